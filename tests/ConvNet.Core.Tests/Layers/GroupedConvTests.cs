using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// A grouped convolution is its groups side by side: the block-sparse product (which skips the other groups' maps)
/// must give exactly what separate dense convolutions give on each group's maps — same bits, since both sum the same
/// products in the same order.
/// </summary>
public class GroupedConvTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 2)]
    public void Groups_equal_separate_dense_convolutions_bit_for_bit(int groups, int stride)
    {
        // Stride 1 runs the block-sparse implicit GEMM; stride 2 the im2col engine's per-group products (ResNeXt's
        // strided 3×3), which must not compute the blocks off the diagonal either: their ∂E/∂W stays exactly 0.
        const int n = 3, h = 9, w = 11;
        int pIn = 2 * groups, qOut = 4 * groups, pg = pIn / groups, qg = qOut / groups, kv = 9;
        var rng = new Random(groups + (10 * stride));
        var grouped = new Conv2D(pIn, qOut, 3, stride, Padding.Symmetric(1), connections: ConnectionTable.Groups(pIn, qOut, groups), seed: 3);
        Reference.Random(rng, qOut).CopyTo(grouped.Bias!.Value.AsSpan());
        var x = Tensor.FromData(Reference.Random(rng, n * pIn * h * w), n, pIn, h, w);
        var y = grouped.Forward(x);
        int oh = y.Shape[2], ow = y.Shape[3];
        grouped.UsesBlockSparse.Should().Be(stride == 1, "each block of 4 output maps reads only its own group's inputs");
        var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
        var dx = grouped.Backward(x, y, dy);

        for (int gi = 0; gi < groups; gi++)
        {
            var dense = new Conv2D(pg, qg, 3, stride, Padding.Symmetric(1));
            for (int q = 0; q < qg; q++)
            {
                grouped.Weight.Value.AsSpan().Slice((((gi * qg) + q) * pIn * kv) + (gi * pg * kv), pg * kv).CopyTo(dense.Weight.Value.AsSpan().Slice(q * pg * kv));
                dense.Bias!.Value[q] = grouped.Bias.Value[(gi * qg) + q];
            }

            var xg = new Tensor(n, pg, h, w);
            var dyg = new Tensor(n, qg, oh, ow);
            for (int s = 0; s < n; s++)
            {
                x.AsSpan().Slice(((s * pIn) + (gi * pg)) * h * w, pg * h * w).CopyTo(xg.AsSpan().Slice(s * pg * h * w));
                dy.AsSpan().Slice(((s * qOut) + (gi * qg)) * oh * ow, qg * oh * ow).CopyTo(dyg.AsSpan().Slice(s * qg * oh * ow));
            }

            var yg = dense.Forward(xg);
            var dxg = dense.Backward(xg, yg, dyg);
            for (int s = 0; s < n; s++)
            {
                y.AsSpan().Slice(((s * qOut) + (gi * qg)) * oh * ow, qg * oh * ow).ToArray().Should().Equal(yg.AsSpan().Slice(s * qg * oh * ow, qg * oh * ow).ToArray(), $"y, group {gi}");
                dx.AsSpan().Slice(((s * pIn) + (gi * pg)) * h * w, pg * h * w).ToArray().Should().Equal(dxg.AsSpan().Slice(s * pg * h * w, pg * h * w).ToArray(), $"dx, group {gi}");
            }

            for (int q = 0; q < qg; q++)
            {
                var row = grouped.Weight.Gradient.AsSpan().Slice(((gi * qg) + q) * pIn * kv, pIn * kv);
                row.Slice(gi * pg * kv, pg * kv).ToArray()
                    .Should().Equal(dense.Weight.Gradient.AsSpan().Slice(q * pg * kv, pg * kv).ToArray(), $"dW, group {gi}, map {q}");
                for (int i = 0; i < row.Length; i++)
                {
                    if (i / (pg * kv) != gi)
                    {
                        row[i].Should().Be(0f, $"dW outside group {gi}, map {q}");
                    }
                }
            }
        }
    }

    [Fact]
    public void LeNet_C3_stays_dense_because_every_block_of_four_maps_reads_all_six_inputs()
    {
        var c3 = new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3);
        c3.Forward(new Tensor(2, 6, 14, 14));
        c3.UsesBlockSparse.Should().BeFalse();
    }
}
