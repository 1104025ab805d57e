using System;
using System.Linq;
using System.Numerics.Tensors;
using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>
/// The ReLU gate of the normalization kernels against the plain two-step reference: forward = affine map, then
/// TensorPrimitives.Max(y, 0) (the ReLU layer's forward); backward kernels = the ungated kernel on δ masked by
/// [y ≥ 0] from the stored y (the ReLU layer's backward). Lengths cover whole vectors and the scalar tail; the data
/// includes NaN, ±∞, y = −0 and y = +0.
/// </summary>
public class NormalizationGateTests
{
    private const int Length = 37;
    private const float Shift = 0.5f, Scale = -2f, Offset = -0f;

    [Fact]
    public void The_gated_affine_map_is_the_affine_map_then_the_ieee_maximum_with_zero()
    {
        var x = Data(1);
        var y = new float[Length];
        var expected = new float[Length];
        var z = new float[Length];
        ChannelStatistics.Affine<PassGate>(x, Shift, Scale, Offset, y);
        TensorPrimitives.Max(y, 0f, expected);
        ChannelStatistics.Affine<ReLUGate>(x, Shift, Scale, Offset, z);
        y.Should().Contain(v => v == 0f && float.IsNegative(v), "the data must give y = −0");
        y.Should().Contain(float.NaN);
        Bits(z).Should().Equal(Bits(expected));

        var shift = Enumerable.Repeat(Shift, Length).ToArray();
        var scale = Enumerable.Repeat(Scale, Length).ToArray();
        var offset = Enumerable.Repeat(Offset, Length).ToArray();
        ChannelStatistics.Affine<ReLUGate>(x, shift, scale, offset, z);
        Bits(z).Should().Equal(Bits(expected), "per-column form");
    }

    [Fact]
    public void The_gated_backward_kernels_equal_the_plain_kernels_on_the_masked_delta()
    {
        var x = Data(2);
        var dy = Data(3).Select(v => float.IsFinite(v) ? v : 0.25f).ToArray();
        var y = new float[Length];
        ChannelStatistics.Affine<PassGate>(x, Shift, Scale, Offset, y);
        var masked = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            masked[i] = y[i] >= 0f ? dy[i] : 0f;
        }

        masked.Should().Contain(0f).And.Contain(v => v != 0f);

        // Sums over one channel of 2 blocks of 18 values (over finite x: a NaN would make both sums NaN).
        const double mean = 0.125;
        int half = Length / 2;
        var xf = x.Select(v => float.IsFinite(v) ? v : -0.75f).ToArray();
        var maskedF = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            maskedF[i] = ((xf[i] - Shift) * Scale) + Offset >= 0f ? dy[i] : 0f;
        }

        foreach (bool centred in new[] { true, false })
        {
            BlockStatistics.BlockGradientSums<ReLUGate>(dy, xf, 0, 2, half, half, centred, mean, Shift, Scale, Offset, out double g1, out double g2);
            BlockStatistics.BlockGradientSums<PassGate>(maskedF, xf, 0, 2, half, half, centred, mean, Shift, 0, 0, out double p1, out double p2);
            g1.Should().Be(p1).And.NotBe(double.NaN);
            g2.Should().Be(p2);
        }

        var gated = new float[Length];
        var plain = new float[Length];
        ChannelStatistics.AffineGradient<ReLUGate>(dy, x, 1.5f, Shift, 0.75f, -0.25f, 0.125f, Scale, Offset, gated);
        ChannelStatistics.AffineGradient<PassGate>(masked, x, 1.5f, Shift, 0.75f, -0.25f, 0.125f, 0, 0, plain);
        Bits(gated).Should().Equal(Bits(plain), "affine gradient");
        ChannelStatistics.Scale<ReLUGate>(dy, x, 1.5f, Shift, Scale, Offset, gated);
        TensorPrimitives.Multiply(masked, 1.5f, plain);
        Bits(gated).Should().Equal(Bits(plain), "scale");

        // Per-column forms: one row of Length columns, the same coefficients in every column.
        float[] Col(float v) => Enumerable.Repeat(v, Length).ToArray();
        ChannelStatistics.AffineGradient<ReLUGate>(dy, x, Col(1.5f), Col(Shift), Col(0.75f), Col(-0.25f), Col(0.125f), Col(Scale), Col(Offset), gated);
        ChannelStatistics.AffineGradient<PassGate>(masked, x, Col(1.5f), Col(Shift), Col(0.75f), Col(-0.25f), Col(0.125f), Col(0), Col(0), plain);
        Bits(gated).Should().Equal(Bits(plain), "per-column affine gradient");
        ChannelStatistics.Scale<ReLUGate>(dy, x, Col(1.5f), Col(Shift), Col(Scale), Col(Offset), gated);
        TensorPrimitives.Multiply(masked, Col(1.5f), plain);
        Bits(gated).Should().Equal(Bits(plain), "per-column scale");

        var means = Enumerable.Repeat(mean, Length).ToArray();
        double[] s1 = new double[Length], s2 = new double[Length], q1 = new double[Length], q2 = new double[Length];
        ChannelStatistics.ColumnGradientSums<ReLUGate>(dy, xf, 1, Length, 0, Length, means, Col(Shift), Col(Scale), Col(Offset), s1, s2);
        ChannelStatistics.ColumnGradientSums<PassGate>(maskedF, xf, 1, Length, 0, Length, means, Col(0), Col(0), Col(0), q1, q2);
        s1.Should().Equal(q1);
        s2.Should().Equal(q2);
    }

    /// <summary>Random values in [−1, 1] with x = shift (y = −0 for scale &lt; 0, offset −0), NaN and ±∞ mixed in.</summary>
    private static float[] Data(int seed)
    {
        var r = new Random(seed);
        var x = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            x[i] = (float)((r.NextDouble() * 2) - 1);
        }

        x[3] = Shift;
        x[Length - 2] = Shift;
        x[5] = float.NaN;
        x[Length - 1] = float.NaN;
        x[8] = float.PositiveInfinity;
        x[9] = float.NegativeInfinity;
        return x;
    }

    private static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
}
