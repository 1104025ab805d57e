using System;
using System.Linq;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// The vectorized 2×2, stride-2 average pool (rows of whole vectors, a moved-back last block, short rows that over-read
/// and over-write inside the tensor) against the plain formula in float: y = ((((0 + x00) + x01) + x10) + x11) · ¼ and
/// δx = 0 + δ · ¼ at each window's four inputs, 0 where no window reads (odd sizes) — bit for bit, on every width 2–70,
/// with −0, ±∞ and NaN in the data, for one and two threads (two threads split the planes, so a short row's
/// over-write must stop at its own part), for 2-D and 3-D (kernel 1×2×2).
/// </summary>
public class AveragePoolFastPathTests
{
    [Fact]
    public void Every_width_matches_the_plain_formula_bit_for_bit()
    {
        var rng = new Random(78);
        for (int w = 2; w <= 70; w++)
        {
            int n = rng.Next(1, 4), c = rng.Next(1, 4), h = rng.Next(2, 7);
            foreach (int threads in new[] { 1, 2 })
            {
                Check(new AveragePool2D(2) { DegreeOfParallelism = threads }, Data(rng, n, c, h, w), 1, h, w, $"w={w} threads={threads}");
            }
        }
    }

    [Theory]
    [InlineData(2, 3, 4, 9)]
    [InlineData(3, 2, 5, 33)]
    [InlineData(1, 4, 6, 16)]
    public void A_3d_pool_with_a_1x2x2_window_matches_the_plain_formula(int n, int d, int h, int w)
    {
        var rng = new Random(d * 100 + w);
        var pool = new AveragePool3D([1, 2, 2]);
        Check(pool, Data(rng, n, 2, d, h, w), d, h, w, $"3-D {d}×{h}×{w}");
    }

    private static Tensor Data(Random rng, params int[] shape)
    {
        var x = new Tensor(shape);
        Span<float> xs = x.AsSpan();
        float[] special = [-0f, 0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-45f, -1e38f];
        for (int i = 0; i < xs.Length; i++)
        {
            xs[i] = rng.Next(12) == 0 ? special[rng.Next(special.Length)] : (float)((rng.NextDouble() * 4) - 2);
        }

        return x;
    }

    /// <summary>Forward and backward of a pool whose window is 1×2×2 with stride 1×2×2 over planes of d×h×w.</summary>
    private static void Check(Layer pool, Tensor x, int d, int h, int w, string what)
    {
        var y = pool.Forward(x);
        int planes = x.Length / (d * h * w), oh = h / 2, ow = w / 2;
        y.Length.Should().Be(planes * d * oh * ow, what);
        var dy = Data(new Random(5), y.Shape.ToArray());
        var dx = pool.Backward(x, y, dy);
        ReadOnlySpan<float> xs = x.AsSpan(), ys = y.AsSpan(), g = dy.AsSpan(), dxs = dx.AsSpan();
        var expectedDx = new float[x.Length];
        for (int p = 0; p < planes * d; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    int o = (((p * oh) + i) * ow) + j;
                    int at = (p * h * w) + (2 * i * w) + (2 * j);
                    float sum = 0f;
                    sum += xs[at];
                    sum += xs[at + 1];
                    sum += xs[at + w];
                    sum += xs[at + w + 1];
                    Bits(ys[o]).Should().Be(Bits(sum * 0.25f), $"{what} y[{o}]");
                    float share = 0f + (g[o] * 0.25f);
                    expectedDx[at] = expectedDx[at + 1] = expectedDx[at + w] = expectedDx[at + w + 1] = share;
                }
            }
        }

        dxs.ToArray().Select(Bits).Should().Equal(expectedDx.Select(Bits), what + " δx");
    }

    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);
}
