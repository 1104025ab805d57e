using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Signal;

/// <summary>The lecture's identities on random shapes (1..9 per dimension, fixed seeds).</summary>
public class ConvolutionPropertyTests
{
    private static int[] RandomShape(Random rng, int rank) => Enumerable.Range(0, rank).Select(_ => rng.Next(1, 10)).ToArray();

    private static int[] KernelNotLarger(Random rng, int[] f) => f.Select(d => rng.Next(1, d + 1)).ToArray();

    private static Tensor RandomTensor(Random rng, int[] shape) => Tensor.FromData(Reference.Random(rng, shape.Aggregate(1, (a, b) => a * b)), shape);

    private static double Tol(Tensor t) => 1e-5 * Math.Max(1, t.ToArray().Max(MathF.Abs)) * 10;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Correlation_equals_convolution_with_the_flipped_kernel(int rank)
    {
        var rng = new Random(100 + rank);
        foreach (var mode in new[] { ConvolutionMode.Full, ConvolutionMode.Same, ConvolutionMode.Valid })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var fs = RandomShape(rng, rank);
                var gs = mode == ConvolutionMode.Valid ? KernelNotLarger(rng, fs) : RandomShape(rng, rank);
                var f = RandomTensor(rng, fs);
                var g = RandomTensor(rng, gs);
                var corr = Convolution.Correlate(f, g, mode);
                var conv = Convolution.Convolve(f, Convolution.Flip(g), mode);
                corr.ToArray().Should().Equal(conv.ToArray(), $"corr(f,g) = f * flip(g) for {mode} f{ThrowShape(fs)} g{ThrowShape(gs)}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Full_convolution_commutes(int rank)
    {
        var rng = new Random(200 + rank);
        for (int trial = 0; trial < 30; trial++)
        {
            var f = RandomTensor(rng, RandomShape(rng, rank));
            var g = RandomTensor(rng, RandomShape(rng, rank));
            var fg = Convolution.Convolve(f, g, ConvolutionMode.Full);
            var gf = Convolution.Convolve(g, f, ConvolutionMode.Full);
            fg.Shape.ToArray().Should().Equal(gf.Shape.ToArray());
            Assertions.ShouldMatch(fg.AsSpan(), gf.ToArray().Select(v => (double)v).ToArray(), Tol(fg), "f*g = g*f");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Valid_correlation_and_full_convolution_are_adjoint(int rank)
    {
        // <corr_valid(x, w), d> = <x, conv_full(d, w)>: the identity behind δ^(l-1) = δ^(l) *full w.
        var rng = new Random(300 + rank);
        for (int trial = 0; trial < 30; trial++)
        {
            var xs = RandomShape(rng, rank);
            var ws = KernelNotLarger(rng, xs);
            var x = RandomTensor(rng, xs);
            var w = RandomTensor(rng, ws);
            var y = Convolution.Correlate(x, w, ConvolutionMode.Valid);
            var d = RandomTensor(rng, y.Shape.ToArray());
            var back = Convolution.Convolve(d, w, ConvolutionMode.Full);
            back.Shape.ToArray().Should().Equal(xs);
            double lhs = Dot(y, d), rhs = Dot(x, back);
            lhs.Should().BeApproximately(rhs, 1e-4 * Math.Max(1, Math.Abs(lhs)));
        }
    }

    [Fact]
    public void ThreeD_valid_convolution_with_flip012_sums_the_channel_correlations()
    {
        // "Do summation using 3D convolution": Y *valid flip012(W_q) = Σ_p y_p corr w_qp.
        var rng = new Random(400);
        for (int trial = 0; trial < 30; trial++)
        {
            int c = rng.Next(1, 10), h = rng.Next(1, 10), w = rng.Next(1, 10);
            int kh = rng.Next(1, h + 1), kw = rng.Next(1, w + 1);
            var stack = RandomTensor(rng, [c, h, w]);
            var kernel = RandomTensor(rng, [c, kh, kw]);
            var threeD = Convolution.Convolve(stack, Convolution.Flip(kernel), ConvolutionMode.Valid);
            threeD.Shape.ToArray().Should().Equal(1, h - kh + 1, w - kw + 1);

            var sum = new double[(h - kh + 1) * (w - kw + 1)];
            for (int p = 0; p < c; p++)
            {
                var yp = Tensor.FromData(stack.AsSpan().Slice(p * h * w, h * w), h, w);
                var wp = Tensor.FromData(kernel.AsSpan().Slice(p * kh * kw, kh * kw), kh, kw);
                var corr = Convolution.Correlate(yp, wp, ConvolutionMode.Valid).ToArray();
                for (int i = 0; i < sum.Length; i++)
                {
                    sum[i] += corr[i];
                }
            }

            Assertions.ShouldMatch(threeD.AsSpan(), sum, 1e-4 * Math.Max(1, sum.Max(Math.Abs)), "3-D sum");
        }
    }

    [Theory]
    [InlineData(ConvolutionMode.Full)]
    [InlineData(ConvolutionMode.Same)]
    [InlineData(ConvolutionMode.Valid)]
    public void Fast_path_matches_double_reference_for_every_length_1_to_64(ConvolutionMode mode)
    {
        var rng = new Random(500 + (int)mode);
        string m = mode.ToString().ToLowerInvariant();
        foreach (int k in new[] { 1, 2, 3, 5, 8 })
        {
            for (int n = 1; n <= 64; n++)
            {
                // 1-D: every SIMD tail of the output row.
                int kk = mode == ConvolutionMode.Valid ? Math.Min(k, n) : k;
                CheckAgainstReference(rng, [n], [kk], mode, m);

                // 2-D and 3-D rows of every width too.
                CheckAgainstReference(rng, [3, n], [Math.Min(2, 3), kk], mode, m);
                if (n % 7 == 0)
                {
                    CheckAgainstReference(rng, [2, 3, n], [2, 2, kk], mode, m);
                }
            }
        }
    }

    [Fact]
    public void Kernel_larger_than_signal_in_full_same_and_valid_follows_scipy()
    {
        var rng = new Random(600);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 8), k = n + rng.Next(0, 6);
            CheckAgainstReference(rng, [n], [k], ConvolutionMode.Full, "full");
            CheckAgainstReference(rng, [n], [k], ConvolutionMode.Same, "same");
            CheckAgainstReference(rng, [n], [k], ConvolutionMode.Valid, "valid");
            CheckAgainstReference(rng, [2, n], [3, k], ConvolutionMode.Valid, "valid");
        }
    }

    private static void CheckAgainstReference(Random rng, int[] fs, int[] gs, ConvolutionMode mode, string m)
    {
        var f = Reference.Random(rng, fs.Aggregate(1, (a, b) => a * b));
        var g = Reference.Random(rng, gs.Aggregate(1, (a, b) => a * b));
        var expectedConv = Reference.Convolve(f, fs, g, gs, m, out var shape);
        var expectedCorr = Reference.Correlate(f, fs, g, gs, m, out _);
        Convolution.OutputShape(fs, gs, mode).Should().Equal(shape);
        var dst = new float[expectedConv.Length + 3];
        dst.AsSpan().Fill(float.NaN);
        Convolution.Convolve(f, fs, g, gs, dst, mode);
        Assertions.ShouldMatch(dst.AsSpan(0, expectedConv.Length), expectedConv, 1e-5 * gs.Aggregate(1, (a, b) => a * b), $"conv {m} f{ThrowShape(fs)} g{ThrowShape(gs)}");
        float.IsNaN(dst[^1]).Should().BeTrue("nothing past the output is written");
        Convolution.Correlate(f, fs, g, gs, dst, mode);
        Assertions.ShouldMatch(dst.AsSpan(0, expectedCorr.Length), expectedCorr, 1e-5 * gs.Aggregate(1, (a, b) => a * b), $"corr {m} f{ThrowShape(fs)} g{ThrowShape(gs)}");
    }

    private static double Dot(Tensor a, Tensor b)
    {
        double s = 0;
        var x = a.AsSpan();
        var y = b.AsSpan();
        for (int i = 0; i < x.Length; i++)
        {
            s += (double)x[i] * y[i];
        }

        return s;
    }

    private static string ThrowShape(int[] s) => "[" + string.Join(",", s) + "]";
}
