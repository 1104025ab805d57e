using System;
using System.Collections.Generic;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// BatchNorm → ReLU inside a Sequential block or a Network runs as one fused pair (y is never stored; the ReLU's mask
/// is recomputed from x). The pair must give the bits of the two layers run one after the other: outputs, δ's,
/// ∂E/∂γ, ∂E/∂β and running statistics, in both modes, with and without δx, including values where y is exactly 0
/// (the lecture's f′(0) = 1 passes δ there).
/// </summary>
public class BatchNormReLUFusionTests
{
    [Theory]
    [InlineData(new[] { 37 })]
    [InlineData(new[] { 5, 19 })]
    [InlineData(new[] { 3, 7, 5 })]
    [InlineData(new[] { 2, 3, 2, 3 })]
    [InlineData(new[] { 2, 9, 17 })]
    public void A_fused_pair_gives_the_bits_of_the_two_layers_in_both_modes(int[] sample)
    {
        foreach (bool train in new[] { true, false })
        {
            foreach (bool withDx in new[] { true, false })
            {
                var shape = new[] { 6 }.Concat(sample).ToArray();
                var (x, dz) = Inputs(shape, sample[0]);
                var reference = MakeBatchNorm(sample.Length, sample[0]);
                var fusedBn = MakeBatchNorm(sample.Length, sample[0]);
                reference.SetTraining(train);
                var relu = new ReLU();
                var y = reference.Forward(x);
                var z = relu.Forward(y);
                var dy = relu.Backward(y, z, dz);
                Tensor? dx = withDx ? new Tensor(shape) : null;
                reference.Backward(x, y, dy, dx);

                var block = new Sequential(fusedBn, new ReLU());
                block.SetTraining(train);
                var fz = block.Forward(x);
                Tensor? fdx = withDx ? new Tensor(shape) : null;
                fusedBn.LastPassFused.Should().BeTrue("the forward ran fused");
                block.Backward(x, fz, dz, fdx);
                fusedBn.LastPassFused.Should().BeTrue("the backward ran fused");

                string at = $"{string.Join("x", shape)} train={train} dx={withDx}";
                y.ToArray().Count(v => v == 0f).Should().BeGreaterThan(0, $"the data must put some y exactly at 0 ({at})");
                Bits(fz).Should().Equal(Bits(z), at + " z");
                if (withDx)
                {
                    Bits(fdx!).Should().Equal(Bits(dx!), at + " dx");
                }

                Bits(fusedBn.Weight!.Gradient).Should().Equal(Bits(reference.Weight!.Gradient), at + " dγ");
                Bits(fusedBn.Bias!.Gradient).Should().Equal(Bits(reference.Bias!.Gradient), at + " dβ");
                Bits(fusedBn.RunningMean!.Value).Should().Equal(Bits(reference.RunningMean!.Value), at + " running mean");
                Bits(fusedBn.RunningVar!.Value).Should().Equal(Bits(reference.RunningVar!.Value), at + " running var");
            }
        }
    }

    [Fact]
    public void A_network_with_fused_pairs_trains_and_predicts_like_the_same_network_unfused()
    {
        // The unfused twin has an Identity between every BatchNorm and its ReLU (a pair is fused only when adjacent).
        var fusedPairs = new List<BatchNorm>();
        var plainPairs = new List<BatchNorm>();
        var fused = Build(separate: false, fusedPairs);
        var plain = Build(separate: true, plainPairs);
        fusedPairs.Should().HaveCount(3);
        fused.Parameters.Count.Should().Be(plain.Parameters.Count);
        var r = new Random(5);
        var x = Random(r, 8, 2, 6, 6);
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        var loss = new SoftmaxCrossEntropy();
        var opts = (new Sgd(0.05, momentum: 0.9), new Sgd(0.05, momentum: 0.9));
        for (int step = 0; step < 3; step++)
        {
            var yf = fused.Forward(x);
            var yp = plain.Forward(x);
            Bits(yf).Should().Equal(Bits(yp), $"step {step} output");
            var d = new Tensor(8, 3);
            loss.Backward(yf, labels, d);
            fusedPairs.Should().OnlyContain(bn => bn.LastPassFused, "every BatchNorm directly before a ReLU runs fused");
            plainPairs.Should().OnlyContain(bn => !bn.LastPassFused, "an Identity in between prevents fusion");
            fused.Backward(d);
            plain.Backward(d);
            fusedPairs.Should().OnlyContain(bn => bn.LastPassFused, "the backward of a pair is fused too");
            plainPairs.Should().OnlyContain(bn => !bn.LastPassFused);
            for (int i = 0; i < fused.Parameters.Count; i++)
            {
                Bits(fused.Parameters[i].Gradient).Should().Equal(Bits(plain.Parameters[i].Gradient), $"step {step} gradient of {fused.NamedParameters[i].Name}");
            }

            opts.Item1.Step(fused.Parameters);
            opts.Item2.Step(plain.Parameters);
        }

        for (int i = 0; i < fused.NamedBuffers.Count; i++)
        {
            Bits(fused.NamedBuffers[i].Buffer.Value).Should().Equal(Bits(plain.NamedBuffers[i].Buffer.Value), fused.NamedBuffers[i].Name);
        }

        Bits(fused.Predict(x)).Should().Equal(Bits(plain.Predict(x)), "inference");
        fusedPairs.Should().OnlyContain(bn => bn.LastPassFused, "inference fuses the pairs too");
    }

    [Fact]
    public void A_fused_pair_passes_the_gradient_checker_in_both_modes()
    {
        // |x| in [0.5, 1] with alternating signs and β = 0: every y = γ x̂ stays clear of the ReLU's kink under the
        // checker's steps (a step moves one x and, through μ and σ, every y of its channel a little).
        var r = new Random(11);
        var x = new Tensor(3, 3, 4, 5);
        var v = x.AsSpan();
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (i % 2 == 0 ? 1 : -1) * (float)(0.5 + (0.5 * r.NextDouble()));
        }

        foreach (bool train in new[] { true, false })
        {
            var bn = MakeBatchNorm(3, 3);
            bn.Bias!.Value.Clear();
            bn.RunningMean!.Value.Clear();
            var block = new Sequential(bn, new ReLU());
            block.SetTraining(train);
            var result = GradientChecker.Check(block, x, new GradientCheckOptions { Seed = 11 });
            result.Passed.Should().BeTrue($"train={train}: {result}");
        }
    }

    [Fact]
    public void A_relu_that_does_not_follow_a_batch_norm_directly_is_not_fused()
    {
        // BatchNorm as the last layer of an inner block and ReLU after the block: two containers, no fusion; and a
        // ReLU → BatchNorm order. Both must still match the layers run one by one.
        var bn1 = MakeBatchNorm(3, 2);
        var bn2 = MakeBatchNorm(3, 2);
        var block = new Sequential(new Sequential(bn1), new ReLU(), bn2);
        var r = new Random(3);
        var x = Random(r, 4, 2, 3, 3);
        var z = block.Forward(x);
        var refBn1 = MakeBatchNorm(3, 2);
        var refBn2 = MakeBatchNorm(3, 2);
        var relu = new ReLU();
        var expected = refBn2.Forward(relu.Forward(refBn1.Forward(x)));
        Bits(z).Should().Equal(Bits(expected));
        bn1.LastPassFused.Should().BeFalse("the ReLU is outside bn1's container");
        bn2.LastPassFused.Should().BeFalse("nothing follows bn2");
    }

    private static Network Build(bool separate, List<BatchNorm> pairs)
    {
        var random = new Random(7);
        IEnumerable<Layer> Pair(int c)
        {
            var bn = MakeBatchNorm(3, c, random);
            pairs.Add(bn);
            return separate ? [bn, new Identity(), new ReLU()] : [bn, new ReLU()];
        }

        var body = new Sequential(new Layer[] { new Conv2D(4, 4, 3, padding: Padding.Same, useBias: false, seed: 2) }
            .Concat(Pair(4)).Append(new Conv2D(4, 4, 3, padding: Padding.Same, useBias: false, seed: 3)).Append(MakeBatchNorm(3, 4, random)));
        var net = new Network(2, 6, 6);
        foreach (var l in Pair(2))
        {
            net.Add(l);
        }

        net.Add(new Conv2D(2, 4, 3, padding: Padding.Same, useBias: false, seed: 1));
        foreach (var l in Pair(4))
        {
            net.Add(l);
        }

        net.Add(new Sequential(new Residual(body), new ReLU()));
        net.Add(new GlobalAveragePool2D());
        net.Add(new FullyConnected(4, 3, seed: 4));
        return net;
    }

    private static BatchNorm MakeBatchNorm(int rank, int channels) => MakeBatchNorm(rank, channels, new Random(2));

    /// <summary>γ random in [0.5, 1.5) (some negative), β = 0 on even channels (so x = μ gives y = 0 exactly), running
    /// statistics 0.5 and 2 (so inference also hits y = 0 where x = 0.5).</summary>
    private static BatchNorm MakeBatchNorm(int rank, int channels, Random r)
    {
        BatchNorm bn = rank switch
        {
            1 or 2 => new BatchNorm1D(channels),
            3 => new BatchNorm2D(channels),
            _ => new BatchNorm3D(channels),
        };
        for (int c = 0; c < channels; c++)
        {
            float g = (float)(0.5 + r.NextDouble());
            bn.Weight!.Value.AsSpan()[c] = c % 3 == 2 ? -g : g;
            bn.Bias!.Value.AsSpan()[c] = c % 2 == 0 ? 0f : (float)(r.NextDouble() - 0.5);
            bn.RunningMean!.Value.AsSpan()[c] = 0.5f;
            bn.RunningVar!.Value.AsSpan()[c] = 2f;
        }

        return bn;
    }

    /// <summary>x with every channel's values from {0.25, 0.5, 0.75} on even channels (batch mean exactly 0.5 when
    /// balanced: each value appears equally often) and random elsewhere; dz random.</summary>
    private static (Tensor X, Tensor Dz) Inputs(int[] shape, int channels)
    {
        var r = new Random(17);
        var x = Random(r, shape);
        var dz = Random(r, shape);
        int n = shape[0], s = x.Length / (n * channels);
        var v = x.AsSpan();
        float[] levels = [0.25f, 0.5f, 0.75f];
        for (int c = 0; c < channels; c += 2)
        {
            int k = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < s; j++)
                {
                    v[(((i * channels) + c) * s) + j] = levels[k++ % 3];
                }
            }
        }

        return (x, dz);
    }

    private static Tensor Random(Random r, params int[] shape) => TestTensors.Uniform(r, shape);

    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
