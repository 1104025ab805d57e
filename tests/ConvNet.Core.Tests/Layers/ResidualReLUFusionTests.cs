using System;
using System.Linq;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// A residual block followed by a ReLU inside a container runs the sum and the ReLU in one pass (z = max(f(x) + s(x), 0);
/// backward δ = δz ⊙ [f(x) + s(x) ≥ 0] with the sum recomputed). It must give the bits of the block and a separate ReLU:
/// outputs, δx and every gradient, with sums that are exactly 0 (the lecture's f′(0) = 1 passes δ there), for identity
/// and projection shortcuts, on tensors large enough to split over threads.
/// </summary>
public class ResidualReLUFusionTests
{
    [Theory]
    [InlineData(false, 3, 1)]
    [InlineData(true, 3, 2)]
    [InlineData(false, 40, 2)] // 40 · 4 · 24² values: the fused pass splits over the worker pool
    public void The_fused_block_gives_the_bits_of_the_block_and_a_separate_relu(bool projection, int batch, int threads)
    {
        var fusedBlock = Block(projection);
        var plainBlock = Block(projection);
        var fused = new Sequential(fusedBlock, new ReLU()) { DegreeOfParallelism = threads };
        var plain = new Sequential(plainBlock, new Identity(), new ReLU()) { DegreeOfParallelism = threads };
        var r = new Random(batch);
        var x = Integers(r, batch, 4, 24, 24);
        var z = fused.Forward(x);
        var zp = plain.Forward(x);
        fusedBlock.LastPassFused.Should().BeTrue();
        plainBlock.LastPassFused.Should().BeFalse("an Identity between the block and the ReLU prevents fusion");
        Bits(z).Should().Equal(Bits(zp), "z");

        // Integer weights and inputs: many sums are exactly 0, where the ReLU passes δ.
        var sum = new Sequential(Block(projection)).Forward(x);
        sum.ToArray().Count(v => v == 0f).Should().BeGreaterThan(10, "the data must put sums exactly at 0");

        var dz = Integers(r, z.Shape.ToArray());
        var dx = new Tensor(x.Shape.ToArray());
        var dxp = new Tensor(x.Shape.ToArray());
        fused.Backward(x, z, dz, dx);
        fusedBlock.LastPassFused.Should().BeTrue("the backward is fused too");
        plain.Backward(x, zp, dz, dxp);
        Bits(dx).Should().Equal(Bits(dxp), "δx");
        for (int i = 0; i < fused.Parameters.Count; i++)
        {
            Bits(fused.Parameters[i].Gradient).Should().Equal(Bits(plain.Parameters[i].Gradient), $"gradient {i}");
        }
    }

    [Fact]
    public void The_fused_block_passes_the_gradient_checker()
    {
        // Inputs of |x| in [0.5, 1] and small body weights keep every sum clear of the ReLU's kink under the checker's steps.
        var r = new Random(4);
        var x = new Tensor(2, 2, 5, 5);
        var v = x.AsSpan();
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (i % 2 == 0 ? 1 : -1) * (float)(0.5 + (0.5 * r.NextDouble()));
        }

        var conv = new Conv2D(2, 2, 3, padding: Padding.Same, seed: 3);
        var w = conv.Weight.Value.AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            w[i] *= 0.05f;
        }

        var block = new Sequential(new Residual(new Sequential(conv)), new ReLU());
        var result = GradientChecker.Check(block, x, new GradientCheckOptions { Seed = 4 });
        result.Passed.Should().BeTrue(result.ToString());
    }

    private static Residual Block(bool projection)
    {
        var body = new Sequential(IntegerConv(4, 4, 3, 1), new ReLU(), IntegerConv(4, 4, 3, 2));
        return new Residual(body, projection ? new Sequential(IntegerConv(4, 4, 1, 3)) : null);
    }

    private static Conv2D IntegerConv(int p, int q, int k, int seed)
    {
        var conv = new Conv2D(p, q, k, padding: Padding.Same, seed: seed);
        var r = new Random(seed);
        var w = conv.Weight.Value.AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = r.Next(-1, 2);
        }

        conv.Bias!.Value.AsSpan().Fill(0f);
        return conv;
    }

    private static Tensor Integers(Random r, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = r.Next(-2, 3);
        }

        return t;
    }

    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
