using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Kernels;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>
/// BatchNorm's per-channel block sums: the float partial-sum path against a plain double reference, and the inputs
/// where float partial sums fail (huge values overflow, a shift far from the data loses digits), which must be summed
/// in double instead. Each BatchNorm case is checked against the formula evaluated in double.
/// </summary>
public class BlockStatisticsTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 16)]
    [InlineData(8, 25)]
    [InlineData(16, 100)]
    [InlineData(4, 784)]
    [InlineData(2, 4099)]
    public void Block_sums_match_the_double_reference(int count, int length)
    {
        // Two channels interleaved ([count, 2, length]); the second channel's data sits at 3 ± 0.5.
        var r = new Random(count * 1000 + length);
        var x = TestTensors.Uniform(r, count, 2, length).AsSpan().ToArray();
        for (int b = 0; b < count; b++)
        {
            for (int i = 0; i < length; i++)
            {
                x[(((b * 2) + 1) * length) + i] = 3f + (x[(((b * 2) + 1) * length) + i] / 2);
            }
        }

        for (int c = 0; c < 2; c++)
        {
            BlockStatistics.BlockSums(x, c * length, count, length, 2 * length, out double shift, out double s1, out double s2);
            double m = (double)count * length;
            (double mean, double variance) = Reference(x, c * length, count, length, 2 * length);
            (shift + (s1 / m)).Should().BeApproximately(mean, 1e-7 * (Math.Abs(mean) + 1));
            ((s2 / m) - ((s1 / m) * (s1 / m))).Should().BeApproximately(variance, 1e-6 * variance);
            ((double)(float)shift).Should().Be(shift, "the float path subtracts the shift in float");
        }
    }

    [Fact]
    public void Huge_values_are_summed_in_double_instead_of_overflowing()
    {
        // |x − k| ≈ 1e20: (x − k)² overflows float. 610c089's all-double sums were right; the float path gave s2 = +∞.
        var x = new float[64];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((i % 2 == 0 ? 1e20 : -1e20) * (1 + (i / 32.0)));
        }

        BlockStatistics.BlockSums(x, 0, 4, 16, 16, out double shift, out double s1, out double s2);
        BlockStatistics.WideSums(x, 0, 4, 16, 16, shift, out double w1, out double w2);
        s2.Should().Be(w2, "the channel is summed again in double").And.BeGreaterThan(0).And.NotBe(double.PositiveInfinity);
        s1.Should().Be(w1);
        (double _, double variance) = Reference(x, 0, 4, 16, 16);
        ((s2 / 64) - ((s1 / 64) * (s1 / 64))).Should().BeApproximately(variance, 1e-12 * variance);
    }

    [Fact]
    public void A_first_block_far_from_the_rest_is_summed_in_double()
    {
        // The shift is the first block's mean; here that block sits 1000 above the others (|μ − k| ≫ σ).
        var r = new Random(3);
        var x = TestTensors.Uniform(r, 8, 1, 64).AsSpan().ToArray();
        for (int i = 0; i < 64; i++)
        {
            x[i] += 1000f;
        }

        BlockStatistics.BlockSums(x, 0, 8, 64, 64, out double shift, out double s1, out double s2);
        BlockStatistics.WideSums(x, 0, 8, 64, 64, shift, out double w1, out double w2);
        s1.Should().Be(w1, "|μ − k| > σ takes the double path");
        s2.Should().Be(w2);
        (double mean, double variance) = Reference(x, 0, 8, 64, 64);
        (shift + (s1 / 512)).Should().BeApproximately(mean, 1e-12 * mean);
        ((s2 / 512) - ((s1 / 512) * (s1 / 512))).Should().BeApproximately(variance, 1e-10 * variance);
    }

    [Fact]
    public void Gradient_sums_about_a_running_mean_or_after_overflow_are_in_double()
    {
        var r = new Random(4);
        var x = TestTensors.Uniform(r, 4, 1, 40).AsSpan().ToArray();
        var dy = TestTensors.Uniform(r, 4, 1, 40).AsSpan().ToArray();

        // A running mean far from the batch: not centred, so the sums run in double.
        BlockStatistics.BlockGradientSums<PassGate>(dy, x, 0, 4, 40, 40, false, 250.0, 250f, 1f, 0f, out double g1, out double g2);
        BlockStatistics.WideGradientSums<PassGate>(dy, x, 0, 4, 40, 40, 250.0, 250f, 1f, 0f, out double w1, out double w2);
        g1.Should().Be(w1);
        g2.Should().Be(w2);

        // δ (x − shift) ≈ 1e40 overflows float: summed again in double, finite and equal to the reference.
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= 1e20f;
            dy[i] *= 1e20f;
        }

        BlockStatistics.BlockGradientSums<PassGate>(dy, x, 0, 4, 40, 40, true, 0.0, 0f, 1f, 0f, out g1, out g2);
        BlockStatistics.WideGradientSums<PassGate>(dy, x, 0, 4, 40, 40, 0.0, 0f, 1f, 0f, out w1, out w2);
        g2.Should().Be(w2).And.NotBe(double.PositiveInfinity).And.NotBe(double.NegativeInfinity);
        g1.Should().Be(w1);
        double reference = 0;
        for (int i = 0; i < x.Length; i++)
        {
            reference += (double)dy[i] * x[i];
        }

        g2.Should().BeApproximately(reference, 1e-12 * Math.Abs(reference));
    }

    [Theory]
    [InlineData(1e4)]
    [InlineData(1e6)]
    [InlineData(3e7)]
    public void Centred_gradient_sums_correct_for_the_rounded_shift(double mean)
    {
        // |μ| ≫ σ: the shift μ rounded to float differs from μ by up to half a float spacing, which the correction
        // (shift − mean) Σ δ must restore (dropping it gives a relative error of ~1e-1 here, found in review).
        var r = new Random(9);
        var x = new float[8 * 256];
        var dy = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(mean + (0.01 * ((r.NextDouble() * 2) - 1)));
            dy[i] = (float)(r.NextDouble() * 2) - 0.7f;
        }

        (double mu, double _) = Reference(x, 0, 8, 256, 256);
        BlockStatistics.BlockGradientSums<PassGate>(dy, x, 0, 8, 256, 256, true, mu, (float)mu, 1f, 0f, out double g1, out double g2);
        double sdy = 0, sdyx = 0, ady = 0, adyx = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sdy += dy[i];
            sdyx += dy[i] * (x[i] - mu);
            ady += Math.Abs(dy[i]);
            adyx += Math.Abs(dy[i] * (x[i] - mu));
        }

        // Float partial sums of ≤ 8 terms: error ≲ 1e-6 of the sum of the terms' magnitudes.
        g1.Should().BeApproximately(sdy, 1e-6 * ady);
        g2.Should().BeApproximately(sdyx, 1e-6 * adyx);
    }

    [Fact]
    public void Tiny_values_are_summed_in_double_instead_of_underflowing()
    {
        // x ~ 1e-22: (x − k)² is a float subnormal (found in review: with ε = 0 the variance was 1–15 % off).
        var r = new Random(1);
        var x = TestTensors.Uniform(r, 8, 1, 256).AsSpan().ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= 1e-22f;
        }

        BlockStatistics.BlockSums(x, 0, 8, 256, 256, out double shift, out double s1, out double s2);
        BlockStatistics.WideSums(x, 0, 8, 256, 256, shift, out double w1, out double w2);
        s2.Should().Be(w2, "mean squares below 1e-30 are summed in double");
        s1.Should().Be(w1);
        (double _, double variance) = Reference(x, 0, 8, 256, 256);
        ((s2 / 2048) - ((s1 / 2048) * (s1 / 2048))).Should().BeApproximately(variance, 1e-9 * variance);
    }

    [Fact]
    public void Batch_norm_trains_on_values_near_1e20()
    {
        // The repro of the review: BatchNorm2D(1) in training on ±1e20 · (1 + i/32), [2, 1, 4, 4], gave y = β and ∂E/∂γ = 0.
        var x = new Tensor(2, 1, 4, 4);
        var xs = x.AsSpan();
        for (int i = 0; i < xs.Length; i++)
        {
            xs[i] = (float)((i % 2 == 0 ? 1e20 : -1e20) * (1 + (i / 32.0)));
        }

        CheckAgainstReference(x, new Random(6));
    }

    [Theory]
    [InlineData(1e22, 1e-5)]
    [InlineData(1e25, 1e-5)]
    [InlineData(1e-20, 0.0)]
    [InlineData(1e-22, 0.0)]
    public void Batch_norm_is_accurate_at_extreme_scales(double scale, double epsilon)
    {
        // Found in review: δx's coefficient of (x − μ), ∝ γ/σ³, underflowed (σ ≈ 1e22: 3 % error, 1e25: 46 %) or
        // overflowed (σ ≈ 1e-20 with ε = 0: δx = ∞); now δx is formed from x̂. At 1e-22 the float squares are subnormal.
        var r = new Random(10);
        var x = TestTensors.Uniform(r, 8, 1, 16, 16);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)(s[i] * scale);
        }

        CheckAgainstReference(x, r, new BatchNorm2D(1, epsilon: epsilon));
    }

    [Fact]
    public void Batch_norm_is_accurate_when_the_first_value_is_an_outlier()
    {
        // The repro of the review: x[0] = 1000 on uniform(−1, 1) data, [8, 1, 64, 64]; the float path centred on x[0]
        // gave |Δy| = 5.6e-5.
        var r = new Random(7);
        var x = TestTensors.Uniform(r, 8, 1, 64, 64);
        x.AsSpan()[0] = 1000f;
        CheckAgainstReference(x, r);
    }

    [Fact]
    public void Batch_norm_is_accurate_when_the_first_sample_is_offset()
    {
        // The first sample's map (the block the shift is taken from) lies 50 above the rest.
        var r = new Random(8);
        var x = TestTensors.Uniform(r, 8, 1, 32, 32);
        var s = x.AsSpan();
        for (int i = 0; i < 1024; i++)
        {
            s[i] += 50f;
        }

        CheckAgainstReference(x, r);
    }

    /// <summary>y, δx, ∂E/∂γ, ∂E/∂β of a training BatchNorm2D(1) (γ = 1, β = 0) against the formulas in double:
    /// y = x̂ = (x − μ)/√(σ² + ε), ∂E/∂γ = Σ δ x̂, ∂E/∂β = Σ δ, δx = (δ − mean(δ) − x̂ mean(δ x̂)) / √(σ² + ε).</summary>
    private static void CheckAgainstReference(Tensor x, Random r, BatchNorm? layer = null)
    {
        var bn = layer ?? new BatchNorm2D(1);
        var y = bn.Forward(x);
        var dy = TestTensors.Uniform(r, x.Shape.ToArray());
        var dx = bn.Backward(x, y, dy);
        ReadOnlySpan<float> xs = x.AsSpan(), ys = y.AsSpan(), g = dy.AsSpan(), dxs = dx.AsSpan();
        int m = xs.Length;
        (double mean, double variance) = Reference(xs.ToArray(), 0, 1, m, m);
        double inv = 1 / Math.Sqrt(variance + bn.Epsilon), sdy = 0, sdyx = 0;
        for (int i = 0; i < m; i++)
        {
            double hat = (xs[i] - mean) * inv;
            ys[i].Should().BeApproximately((float)hat, 2e-6f * (float)Math.Max(1, Math.Abs(hat)), $"y[{i}]");
            sdy += g[i];
            sdyx += g[i] * hat;
        }

        bn.Bias!.Gradient.AsSpan()[0].Should().BeApproximately((float)sdy, 1e-5f * (float)Math.Max(1, Math.Abs(sdy)));
        bn.Weight!.Gradient.AsSpan()[0].Should().BeApproximately((float)sdyx, 1e-5f * (float)Math.Max(1, Math.Abs(sdyx)));
        double scale = 0;
        for (int i = 0; i < m; i++)
        {
            scale = Math.Max(scale, Math.Abs(g[i] * inv));
        }

        for (int i = 0; i < m; i++)
        {
            double hat = (xs[i] - mean) * inv;
            double reference = (g[i] - (sdy / m) - (hat * sdyx / m)) * inv;
            dxs[i].Should().BeApproximately((float)reference, (float)(1e-5 * scale), $"δx[{i}]");
        }
    }

    /// <summary>Two-pass mean and (biased) variance in double.</summary>
    private static (double Mean, double Variance) Reference(ReadOnlySpan<float> x, int offset, int count, int length, int stride)
    {
        double sum = 0;
        for (int b = 0; b < count; b++)
        {
            for (int i = 0; i < length; i++)
            {
                sum += x[offset + (b * stride) + i];
            }
        }

        double mean = sum / ((double)count * length), sq = 0;
        for (int b = 0; b < count; b++)
        {
            for (int i = 0; i < length; i++)
            {
                sq += Math.Pow(x[offset + (b * stride) + i] - mean, 2);
            }
        }

        return (mean, sq / ((double)count * length));
    }
}
