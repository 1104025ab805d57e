using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>The im2col + GEMM convolution against the plain transcription of the lecture formulas, on random geometry.</summary>
public class ConvFastPathTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(1, true, 2)]
    [InlineData(2, true, 2)]
    [InlineData(2, true, 4)]
    [InlineData(3, true, 2)]
    public void Random_geometry_matches_the_plain_formulas(int rank, bool strideOne, int groups = 0)
    {
        // groups > 0: a grouped table whose 4-row blocks skip the other groups (the block-sparse products).
        // strideOne: the implicit-GEMM path (and its im2col fallback where the implicit plan computes too many positions).
        var rng = new Random(700 + rank + (strideOne ? 10 : 0) + (100 * groups));
        for (int trial = 0; trial < (rank == 3 ? 12 : 30); trial++)
        {
            int n = rng.Next(1, 6), p = rng.Next(1, 5), q = rng.Next(1, 6);
            if (groups > 0)
            {
                p = groups * rng.Next(1, 3);
                q = groups * 4 * rng.Next(1, 3);
            }

            var inS = new[] { 1, 1, 1 };
            var k = new[] { 1, 1, 1 };
            var st = new[] { 1, 1, 1 };
            var dil = new[] { 1, 1, 1 };
            var pb = new[] { 0, 0, 0 };
            var pa = new[] { 0, 0, 0 };
            for (int i = 3 - rank; i < 3; i++)
            {
                k[i] = rng.Next(1, 4);
                dil[i] = rng.Next(1, 3);
                st[i] = strideOne ? 1 : rng.Next(1, 3);
                int ke = (dil[i] * (k[i] - 1)) + 1;

                // Explicit padding is at most k_e − 1 per side (the Full padding).
                pb[i] = rng.Next(0, Math.Min(3, ke));
                pa[i] = rng.Next(0, Math.Min(3, ke));
                inS[i] = Math.Max(1, ke - pb[i] - pa[i]) + rng.Next(0, rank == 3 ? 4 : 9);
            }

            var table = new bool[q, p];
            for (int a = 0; a < q; a++)
            {
                if (groups > 0)
                {
                    for (int c = 0; c < p; c++)
                    {
                        table[a, c] = a / (q / groups) == c / (p / groups);
                    }

                    continue;
                }

                table[a, rng.Next(p)] = true;
                for (int c = 0; c < p; c++)
                {
                    table[a, c] |= rng.NextDouble() < 0.6;
                }
            }

            var spec = new ConvReference.Spec(n, p, q, inS, k, st, dil, pb, pa, table);
            var sp = Enumerable.Range(3 - rank, rank);
            ConvolutionND layer = rank switch
            {
                1 => new Conv1D(p, q, k[2], st[2], Padding.Explicit((pb[2], pa[2])), dil[2], ConnectionTable.FromMatrix(table)),
                2 => new Conv2D(p, q, k[1..], st[1..], Padding.Explicit(sp.Select(i => (pb[i], pa[i])).ToArray()), dil[1..], ConnectionTable.FromMatrix(table)),
                _ => new Conv3D(p, q, k, st, Padding.Explicit(sp.Select(i => (pb[i], pa[i])).ToArray()), dil, ConnectionTable.FromMatrix(table)),
            };
            layer.Initialize(new Random(trial));
            Reference.Random(rng, q).CopyTo(layer.Bias!.Value.AsSpan());
            var xShape = new[] { n, p }.Concat(inS[(3 - rank)..]).ToArray();
            var x = Tensor.FromData(Reference.Random(rng, xShape.Aggregate(1, (a, b) => a * b)), xShape);
            var y = layer.Forward(x);
            y.Shape.ToArray().Should().Equal(new[] { n, q }.Concat(spec.Out[(3 - rank)..]));
            var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
            var dx = layer.Backward(x, y, dy);
            var r = ConvReference.Run(spec, x.ToArray(), layer.Weight.Value.ToArray(), layer.Bias.Value.ToArray(), dy.ToArray());
            string what = $"rank {rank} trial {trial}";
            Assertions.ShouldMatch(y.AsSpan(), r.Y, 1e-4 * Math.Max(1, r.Y.Max(Math.Abs)), what + " y");
            Assertions.ShouldMatch(dx.AsSpan(), r.Dx, 1e-4 * Math.Max(1, r.Dx.Max(Math.Abs)), what + " dx");
            Assertions.ShouldMatch(layer.Weight.Gradient.AsSpan(), r.Dw, 1e-4 * Math.Max(1, r.Dw.Max(Math.Abs)), what + " dw");
            Assertions.ShouldMatch(layer.Bias.Gradient.AsSpan(), r.Db, 1e-4 * Math.Max(1, r.Db.Max(Math.Abs)), what + " db");
        }
    }

    [Fact]
    public void An_earlier_batch_of_infinities_does_not_reach_a_later_weight_gradient()
    {
        // The ∂E/∂W pass stacks samples in one padded buffer; a short group's last sample reads a little past itself
        // (positions rounded up to the vector alignment, times δ = 0). A buffer slot that still held an earlier
        // batch's ±∞ turned those products into NaN (found by a review).
        var conv = new Conv1D(1, 1, 3, 1, Padding.Explicit((0, 0))) { DegreeOfParallelism = 1 };
        var big = new Tensor(16, 1, 30);
        big.AsSpan().Fill(float.PositiveInfinity);
        var yb = conv.Forward(big);
        conv.Backward(big, yb, TestTensors.Uniform(new Random(2), yb.Shape.ToArray()));
        var x = TestTensors.Uniform(new Random(3), 1, 1, 30);
        var y = conv.Forward(x);
        var dy = TestTensors.Uniform(new Random(4), y.Shape.ToArray());
        conv.Backward(x, y, dy);
        var spec = new ConvReference.Spec(1, 1, 1, [1, 1, 30], [1, 1, 3], [1, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0], new bool[,] { { true } });
        var r = ConvReference.Run(spec, x.ToArray(), conv.Weight.Value.ToArray(), conv.Bias!.Value.ToArray(), dy.ToArray());
        Assertions.ShouldMatch(conv.Weight.Gradient.AsSpan(), r.Dw, 1e-4 * Math.Max(1, r.Dw.Max(Math.Abs)), "dw after a batch of ∞");
    }

    [Fact]
    public void Results_are_bit_identical_for_one_and_two_threads()
    {
        var rng = new Random(11);
        var x = Tensor.FromData(Reference.Random(rng, 9 * 3 * 12 * 12), 9, 3, 12, 12);
        float[]? y1 = null, dw1 = null, dx1 = null;
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            var conv = new Conv2D(3, 5, 3, padding: Padding.Same, seed: 5) { DegreeOfParallelism = threads };
            var y = conv.Forward(x);
            var dy = Tensor.FromData(Reference.Random(new Random(12), y.Length), y.Shape.ToArray());
            var dx = conv.Backward(x, y, dy);
            if (y1 is null)
            {
                (y1, dw1, dx1) = (y.ToArray(), conv.Weight.Gradient.ToArray(), dx.ToArray());
            }
            else
            {
                y.ToArray().Should().Equal(y1);
                conv.Weight.Gradient.ToArray().Should().Equal(dw1);
                dx.ToArray().Should().Equal(dx1);
            }
        }
    }

    [Theory]
    [InlineData(5, 2, 1, 9)] // stride 2: the output length rounds down
    [InlineData(4, 1, 1, 7)]
    [InlineData(3, 1, 2, 9)] // dilation 2
    public void Same_padding_gives_ceil_length_over_stride(int k, int stride, int dilation, int length)
    {
        var conv = new Conv1D(1, 1, k, stride, Padding.Same, dilation);
        conv.GetOutputShape([1, length]).Should().Equal(1, (length + stride - 1) / stride);
        new Conv1D(1, 1, k, 1, Padding.Full, dilation).GetOutputShape([1, length]).Should().Equal(1, length + (dilation * (k - 1)));
    }

    [Theory]
    [InlineData(1, 6, 5, 28, 2)]
    [InlineData(6, 16, 5, 14, 0)]
    [InlineData(8, 8, 3, 11, 1)]
    public void Implicit_gemm_and_im2col_agree_forward_bit_for_bit_and_backward_to_rounding(int p, int q, int k, int size, int pad)
    {
        // Both sum every output over (c, kh, kw) in order with FMA from zero, then add b (K ≤ 256: one K block).
        var rng = new Random(p + q + k);
        var x = Tensor.FromData(Reference.Random(rng, 5 * p * size * size), 5, p, size, size);
        Conv2D Make()
        {
            var conv = new Conv2D(p, q, k, padding: Padding.Explicit((pad, pad), (pad, pad)), seed: 9);
            Reference.Random(new Random(1), q).CopyTo(conv.Bias!.Value.AsSpan());
            return conv;
        }

        var fast = Make();
        var plain = Make();
        plain.AllowImplicitGemm = false;
        var y1 = fast.Forward(x);
        var y2 = plain.Forward(x);
        y1.ToArray().Should().Equal(y2.ToArray());
        var dy = Tensor.FromData(Reference.Random(rng, y1.Length), y1.Shape.ToArray());
        var dx1 = fast.Backward(x, y1, dy);
        var dx2 = plain.Backward(x, y2, dy);
        Assertions.ShouldMatch(dx1.AsSpan(), Array.ConvertAll(dx2.ToArray(), v => (double)v), 1e-5, "dx");
        Assertions.ShouldMatch(fast.Weight.Gradient.AsSpan(), Array.ConvertAll(plain.Weight.Gradient.ToArray(), v => (double)v), 1e-4, "dW");
    }
}
