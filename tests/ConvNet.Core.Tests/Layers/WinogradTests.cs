using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// Winograd F(2×2, 3×3) and F(4×4, 3×3) for 3×3 stride-1 convolutions (forward and δx): checked against the lecture's
/// formulas in double precision (<see cref="ConvReference"/>), against the direct implicit GEMM of the same layer,
/// across thread counts, by finite differences, and for the shapes where it must not run. By default it runs from 64
/// maps in and out; most tests lower that to 4 (<c>WinogradMinimumChannels</c>) to check small shapes quickly. The CI
/// re-runs these with 256-bit, 128-bit and no vectors, so each width of the F(4×4) transforms is checked.
/// </summary>
public class WinogradTests(ITestOutputHelper output)
{
    /// <summary>The error the docs quote, per tile size, at a realistic width (64 → 64 maps at 28², inputs and weights
    /// of order 1, He-scaled weights as a layer starts): max |Δ| over the largest |value| of y and of δx against the
    /// double-precision formulas. Both stay an order of magnitude inside the 1e-4.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Error_relative_to_the_largest_output_per_tile_size(int tile)
    {
        var rng = new Random(17);
        var conv = new Conv2D(64, 64, 3, padding: Padding.Same, seed: 3) { WinogradTile = tile };
        var x = Tensor.FromData(Reference.Random(rng, 64 * 28 * 28), 1, 64, 28, 28);
        var y = conv.Forward(x);
        conv.UsedWinogradTile.Should().Be(tile);
        var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
        var dx = conv.Backward(x, y, dy);
        var table = new bool[64, 64];
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 64; j++)
            {
                table[i, j] = true;
            }
        }

        var spec = new ConvReference.Spec(1, 64, 64, [1, 28, 28], [1, 3, 3], [1, 1, 1], [1, 1, 1], [0, 1, 1], [0, 1, 1], table);
        var r = ConvReference.Run(spec, x.ToArray(), conv.Weight.Value.ToArray(), conv.Bias!.Value.ToArray(), dy.ToArray());
        double ey = Relative(y.AsSpan(), r.Y), edx = Relative(dx.AsSpan(), r.Dx);
        output.WriteLine($"F({tile}x{tile}, 3x3): y {ey:E2}, dx {edx:E2}");
        ey.Should().BeLessThan(1e-5);
        edx.Should().BeLessThan(1e-5);
    }

    private static double Relative(ReadOnlySpan<float> actual, double[] expected)
    {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return worst / scale;
    }

    [Theory]
    [InlineData(2, 16, 16, 28, 28, 1, 3)] // ResNet-20's stage-1 convolution
    [InlineData(2, 4, 8, 15, 17, 1, 2)] // the narrowest maps F(2×2) takes, odd sizes: partial tiles at both edges
    [InlineData(2, 5, 6, 20, 18, 0, 2)] // valid (no padding): δx needs padding 2
    [InlineData(2, 6, 4, 17, 33, 2, 1)] // padding 2: δx needs none
    [InlineData(2, 64, 64, 30, 30, 1, 1)] // 15 rows of tiles in blocks of 4 (WinogradPlan.BlockBudget), the last one of 3
    [InlineData(4, 16, 16, 28, 28, 1, 3)] // 7 tiles a row: two vectors of 4 tiles (128-bit), the second moved back
    [InlineData(4, 4, 8, 15, 17, 1, 2)] // 5 tiles a row, partial tiles at both edges (right: lane by lane)
    [InlineData(4, 5, 6, 20, 18, 0, 2)] // valid: 4 tiles a row; δx needs padding 2
    [InlineData(4, 6, 4, 17, 33, 2, 1)] // padding 2 (9 tiles a row: 256-bit vectors); δx needs none
    [InlineData(4, 64, 64, 30, 30, 1, 1)] // 8 tiles a row, blocks of 4 rows (Winograd4x4Plan.BlockRows), 2 blocks
    [InlineData(4, 16, 16, 74, 66, 1, 1)] // 17 tiles a row (512-bit vectors), blocks of 6 rows, the last one of 1
    public void Forward_and_input_gradient_match_the_double_precision_formulas(int tile, int p, int q, int h, int w, int pad, int n)
    {
        var rng = new Random((p * 100) + q + h + w + pad);
        var conv = new Conv2D(p, q, 3, 1, Padding.Symmetric(pad), seed: 5) { WinogradMinimumChannels = 4, WinogradTile = tile };
        Reference.Random(rng, q).CopyTo(conv.Bias!.Value.AsSpan());
        var x = Tensor.FromData(Reference.Random(rng, n * p * h * w), n, p, h, w);
        var y = conv.Forward(x);
        conv.UsedWinogradTile.Should().Be(tile);
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
        // the 1e-4 the performance issue allows; measured about 1e-6 for F(2×2) and 2e-6 for F(4×4) (see
        // Error_relative_to_the_largest_output_per_tile_size).
        Assertions.ShouldMatch(y.AsSpan(), r.Y, 1e-5 * r.Y.Max(Math.Abs), "y");
        Assertions.ShouldMatch(dx.AsSpan(), r.Dx, 1e-5 * r.Dx.Max(Math.Abs), "dx");
        Assertions.ShouldMatch(conv.Weight.Gradient.AsSpan(), r.Dw, 1e-5 * r.Dw.Max(Math.Abs), "dw");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void It_agrees_with_the_direct_product_to_rounding_and_can_be_switched_off(int tile)
    {
        var rng = new Random(3);
        var x = Tensor.FromData(Reference.Random(rng, 2 * 8 * 24 * 24), 2, 8, 24, 24);
        var fast = new Conv2D(8, 8, 3, padding: Padding.Same, seed: 2) { WinogradMinimumChannels = 4, WinogradTile = tile };
        var direct = new Conv2D(8, 8, 3, padding: Padding.Same, seed: 2) { AllowWinograd = false };
        var y1 = fast.Forward(x);
        var y2 = direct.Forward(x);
        fast.UsedWinogradTile.Should().Be(tile);
        direct.UsesWinograd.Should().BeFalse();
        float scale = y2.ToArray().Max(Math.Abs);
        Assertions.ShouldMatch(y1.AsSpan(), Array.ConvertAll(y2.ToArray(), v => (double)v), 1e-5 * scale, "y");
        y1.ToArray().Should().NotEqual(y2.ToArray(), "a different algorithm rounds differently somewhere");

        fast.AllowWinograd = false;
        fast.Forward(x).ToArray().Should().Equal(y2.ToArray(), "switched off it is the direct product, bit for bit");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void One_and_two_threads_give_the_same_bits(int tile)
    {
        var rng = new Random(4);
        var x = Tensor.FromData(Reference.Random(rng, 6 * 8 * 16 * 16), 6, 8, 16, 16);
        var one = new Conv2D(8, 12, 3, padding: Padding.Same, seed: 7) { DegreeOfParallelism = 1, WinogradMinimumChannels = 4, WinogradTile = tile };
        var two = new Conv2D(8, 12, 3, padding: Padding.Same, seed: 7) { DegreeOfParallelism = 2, WinogradMinimumChannels = 4, WinogradTile = tile };
        var y1 = one.Forward(x);
        var y2 = two.Forward(x);
        one.UsedWinogradTile.Should().Be(tile);
        y1.ToArray().Should().Equal(y2.ToArray());
        var dy = Tensor.FromData(Reference.Random(rng, y1.Length), y1.Shape.ToArray());
        one.Backward(x, y1, dy).ToArray().Should().Equal(two.Backward(x, y2, dy).ToArray());
        one.Weight.Gradient.ToArray().Should().Equal(two.Weight.Gradient.ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Gradients_pass_the_finite_difference_check(int tile)
    {
        var conv = new Conv2D(4, 4, 3, padding: Padding.Same, seed: 9) { WinogradMinimumChannels = 4, WinogradTile = tile };
        var r = GradientChecker.Check(conv, [2, 4, 16, 16]);
        conv.UsedWinogradTile.Should().Be(tile);
        r.Passed.Should().BeTrue(r.ToString());
    }

    [Theory]
    [InlineData(16, 16, 12, 3, 1, 1)] // maps narrower than 4 tiles of F(4×4) and 8 of F(2×2)
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
    [InlineData(64, 64, 20, 4)]
    [InlineData(64, 64, 14, 4)] // 4 tiles a row of F(4×4); F(2×2) would need 15 columns
    [InlineData(64, 64, 12, 0)]
    [InlineData(32, 32, 20, 0)]
    [InlineData(16, 16, 20, 0)]
    public void By_default_it_runs_from_64_maps_with_4x4_tiles(int p, int q, int size, int tile)
    {
        var conv = new Conv2D(p, q, 3, padding: Padding.Same);
        conv.Forward(new Tensor(1, p, size, size));
        conv.UsedWinogradTile.Should().Be(tile);
        conv.UsesWinograd.Should().Be(tile != 0);
    }

    [Fact]
    public void The_2x2_tiles_run_where_asked()
    {
        // 16 wide: both apply. 13 wide: F(4×4) has 4 tiles a row (its fewest), F(2×2) 7 (fewer than its 8).
        var conv = new Conv2D(64, 64, 3, padding: Padding.Same) { WinogradTile = 2 };
        conv.Forward(new Tensor(1, 64, 16, 16));
        conv.UsedWinogradTile.Should().Be(2);
        conv.WinogradTile = 4;
        conv.Forward(new Tensor(1, 64, 16, 16));
        conv.UsedWinogradTile.Should().Be(4);
        conv.Forward(new Tensor(1, 64, 13, 13));
        conv.UsedWinogradTile.Should().Be(4);
        conv.WinogradTile = 2;
        conv.Forward(new Tensor(1, 64, 13, 13));
        conv.UsesWinograd.Should().BeFalse();
    }

    [Fact]
    public void A_grouped_table_does_not_use_it()
    {
        var conv = new Conv2D(8, 8, 3, padding: Padding.Same, connections: ConnectionTable.Groups(8, 8, 2)) { WinogradMinimumChannels = 4 };
        conv.Forward(new Tensor(1, 8, 20, 20));
        conv.UsesWinograd.Should().BeFalse();
    }
}
