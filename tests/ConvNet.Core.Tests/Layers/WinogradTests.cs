using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (forward and δx): checked against the lecture's formulas in
/// double precision (<see cref="ConvReference"/>), against the direct implicit GEMM of the same layer, across thread
/// counts, by finite differences, and for the shapes where it must not run. By default it runs from 64 maps in and
/// out; most tests lower that to 4 (<c>WinogradMinimumChannels</c>) to check small shapes quickly.
/// </summary>
public class WinogradTests
{
    [Theory]
    [InlineData(16, 16, 28, 28, 1, 3)] // ResNet-20's stage-1 convolution
    [InlineData(4, 8, 15, 17, 1, 2)] // the narrowest maps it takes, odd sizes: partial tiles at both edges
    [InlineData(5, 6, 20, 18, 0, 2)] // valid (no padding): δx needs padding 2
    [InlineData(6, 4, 17, 33, 2, 1)] // padding 2: δx needs none
    [InlineData(64, 64, 30, 30, 1, 1)] // 15 rows of tiles in blocks of 4 (WinogradPlan.BlockBudget), the last one of 3
    public void Forward_and_input_gradient_match_the_double_precision_formulas(int p, int q, int h, int w, int pad, int n)
    {
        var rng = new Random((p * 100) + q + h + w + pad);
        var conv = new Conv2D(p, q, 3, 1, Padding.Symmetric(pad), seed: 5) { WinogradMinimumChannels = 4 };
        Reference.Random(rng, q).CopyTo(conv.Bias!.Value.AsSpan());
        var x = Tensor.FromData(Reference.Random(rng, n * p * h * w), n, p, h, w);
        var y = conv.Forward(x);
        conv.UsesWinograd.Should().BeTrue();
        var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
        var dx = conv.Backward(x, y, dy);

        var table = new bool[q, p];
        for (int i = 0; i < q; i++)
        {
            for (int j = 0; j < p; j++)
            {
                table[i, j] = true;
            }
        }

        var spec = new ConvReference.Spec(n, p, q, [1, h, w], [1, 3, 3], [1, 1, 1], [1, 1, 1], [0, pad, pad], [0, pad, pad], table);
        var r = ConvReference.Run(spec, x.ToArray(), conv.Weight.Value.ToArray(), conv.Bias.Value.ToArray(), dy.ToArray());

        // Relative to the largest magnitude (realistic scales: inputs and weights of order 1): ≤ 1e-5, well inside
        // the 1e-4 the performance issue allows; measured here about 1e-6.
        Assertions.ShouldMatch(y.AsSpan(), r.Y, 1e-5 * r.Y.Max(Math.Abs), "y");
        Assertions.ShouldMatch(dx.AsSpan(), r.Dx, 1e-5 * r.Dx.Max(Math.Abs), "dx");
        Assertions.ShouldMatch(conv.Weight.Gradient.AsSpan(), r.Dw, 1e-5 * r.Dw.Max(Math.Abs), "dw");
    }

    [Fact]
    public void It_agrees_with_the_direct_product_to_rounding_and_can_be_switched_off()
    {
        var rng = new Random(3);
        var x = Tensor.FromData(Reference.Random(rng, 2 * 8 * 24 * 24), 2, 8, 24, 24);
        var fast = new Conv2D(8, 8, 3, padding: Padding.Same, seed: 2) { WinogradMinimumChannels = 4 };
        var direct = new Conv2D(8, 8, 3, padding: Padding.Same, seed: 2) { AllowWinograd = false };
        var y1 = fast.Forward(x);
        var y2 = direct.Forward(x);
        fast.UsesWinograd.Should().BeTrue();
        direct.UsesWinograd.Should().BeFalse();
        float scale = y2.ToArray().Max(Math.Abs);
        Assertions.ShouldMatch(y1.AsSpan(), Array.ConvertAll(y2.ToArray(), v => (double)v), 1e-5 * scale, "y");
        y1.ToArray().Should().NotEqual(y2.ToArray(), "a different algorithm rounds differently somewhere");

        fast.AllowWinograd = false;
        fast.Forward(x).ToArray().Should().Equal(y2.ToArray(), "switched off it is the direct product, bit for bit");
    }

    [Fact]
    public void One_and_two_threads_give_the_same_bits()
    {
        var rng = new Random(4);
        var x = Tensor.FromData(Reference.Random(rng, 6 * 8 * 16 * 16), 6, 8, 16, 16);
        var one = new Conv2D(8, 12, 3, padding: Padding.Same, seed: 7) { DegreeOfParallelism = 1, WinogradMinimumChannels = 4 };
        var two = new Conv2D(8, 12, 3, padding: Padding.Same, seed: 7) { DegreeOfParallelism = 2, WinogradMinimumChannels = 4 };
        var y1 = one.Forward(x);
        var y2 = two.Forward(x);
        y1.ToArray().Should().Equal(y2.ToArray());
        var dy = Tensor.FromData(Reference.Random(rng, y1.Length), y1.Shape.ToArray());
        one.Backward(x, y1, dy).ToArray().Should().Equal(two.Backward(x, y2, dy).ToArray());
        one.Weight.Gradient.ToArray().Should().Equal(two.Weight.Gradient.ToArray());
    }

    [Fact]
    public void Gradients_pass_the_finite_difference_check()
    {
        var conv = new Conv2D(4, 4, 3, padding: Padding.Same, seed: 9) { WinogradMinimumChannels = 4 };
        var r = GradientChecker.Check(conv, [2, 4, 16, 16]);
        conv.UsesWinograd.Should().BeTrue();
        r.Passed.Should().BeTrue(r.ToString());
    }

    [Theory]
    [InlineData(16, 16, 14, 3, 1, 1)] // maps narrower than 8 tiles
    [InlineData(16, 16, 28, 3, 2, 1)] // stride 2
    [InlineData(16, 16, 28, 3, 1, 2)] // dilation 2
    [InlineData(16, 16, 28, 5, 1, 1)] // 5×5
    [InlineData(2, 16, 28, 3, 1, 1)] // fewer than 4 input maps
    public void It_runs_only_where_it_applies(int p, int q, int size, int k, int stride, int dilation)
    {
        var conv = new Conv2D(p, q, k, stride, Padding.Symmetric(dilation * (k / 2)), dilation) { WinogradMinimumChannels = 4 };
        conv.Forward(new Tensor(1, p, size, size));
        conv.UsesWinograd.Should().BeFalse();
    }

    [Theory]
    [InlineData(64, 64, true)]
    [InlineData(32, 32, false)]
    [InlineData(16, 16, false)]
    public void By_default_it_runs_from_64_maps(int p, int q, bool expected)
    {
        var conv = new Conv2D(p, q, 3, padding: Padding.Same);
        conv.Forward(new Tensor(1, p, 20, 20));
        conv.UsesWinograd.Should().Be(expected);
    }

    [Fact]
    public void A_grouped_table_does_not_use_it()
    {
        var conv = new Conv2D(8, 8, 3, padding: Padding.Same, connections: ConnectionTable.Groups(8, 8, 2)) { WinogradMinimumChannels = 4 };
        conv.Forward(new Tensor(1, 8, 20, 20));
        conv.UsesWinograd.Should().BeFalse();
    }
}
