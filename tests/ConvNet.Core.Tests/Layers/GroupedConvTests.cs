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
    [InlineData(2)]
    [InlineData(4)]
    public void Groups_equal_separate_dense_convolutions_bit_for_bit(int groups)
    {
        const int n = 3, h = 9, w = 11;
        int pIn = 2 * groups, qOut = 4 * groups, pg = pIn / groups, qg = qOut / groups, kv = 9;
        var rng = new Random(groups);
        var grouped = new Conv2D(pIn, qOut, 3, padding: Padding.Same, connections: ConnectionTable.Groups(pIn, qOut, groups), seed: 3);
        Reference.Random(rng, qOut).CopyTo(grouped.Bias!.Value.AsSpan());
        var x = Tensor.FromData(Reference.Random(rng, n * pIn * h * w), n, pIn, h, w);
        var y = grouped.Forward(x);
        grouped.UsesBlockSparse.Should().BeTrue("each block of 4 output maps reads only its own group's inputs");
        var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
        var dx = grouped.Backward(x, y, dy);

        for (int gi = 0; gi < groups; gi++)
        {
            var dense = new Conv2D(pg, qg, 3, padding: Padding.Same);
            for (int q = 0; q < qg; q++)
            {
                grouped.Weight.Value.AsSpan().Slice((((gi * qg) + q) * pIn * kv) + (gi * pg * kv), pg * kv).CopyTo(dense.Weight.Value.AsSpan().Slice(q * pg * kv));
                dense.Bias!.Value[q] = grouped.Bias.Value[(gi * qg) + q];
            }

            var xg = new Tensor(n, pg, h, w);
            var dyg = new Tensor(n, qg, h, w);
            for (int s = 0; s < n; s++)
            {
                x.AsSpan().Slice(((s * pIn) + (gi * pg)) * h * w, pg * h * w).CopyTo(xg.AsSpan().Slice(s * pg * h * w));
                dy.AsSpan().Slice(((s * qOut) + (gi * qg)) * h * w, qg * h * w).CopyTo(dyg.AsSpan().Slice(s * qg * h * w));
            }

            var yg = dense.Forward(xg);
            var dxg = dense.Backward(xg, yg, dyg);
            for (int s = 0; s < n; s++)
            {
                y.AsSpan().Slice(((s * qOut) + (gi * qg)) * h * w, qg * h * w).ToArray().Should().Equal(yg.AsSpan().Slice(s * qg * h * w, qg * h * w).ToArray(), $"y, group {gi}");
                dx.AsSpan().Slice(((s * pIn) + (gi * pg)) * h * w, pg * h * w).ToArray().Should().Equal(dxg.AsSpan().Slice(s * pg * h * w, pg * h * w).ToArray(), $"dx, group {gi}");
            }

            for (int q = 0; q < qg; q++)
            {
                grouped.Weight.Gradient.AsSpan().Slice((((gi * qg) + q) * pIn * kv) + (gi * pg * kv), pg * kv).ToArray()
                    .Should().Equal(dense.Weight.Gradient.AsSpan().Slice(q * pg * kv, pg * kv).ToArray(), $"dW, group {gi}, map {q}");
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
