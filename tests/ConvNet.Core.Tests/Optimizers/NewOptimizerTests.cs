using System;
using System.IO;
using ConvNet.Layers;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Optimizers;

/// <summary>AdamW, RMSprop and Adagrad: settings and state survive a checkpoint, bad settings are refused, decay is decoupled.</summary>
public class NewOptimizerTests
{
    [Fact]
    public void Settings_and_state_round_trip_through_a_checkpoint_and_training_resumes_bit_identically()
    {
        foreach (Func<Optimizer> make in new Func<Optimizer>[]
        {
            () => new AdamW(0.01, 0.8, 0.99, 1e-6, 0.05),
            () => new RmsProp(0.01, 0.9, 1e-7, 0.5, 1e-3, centered: true),
            () => new Adagrad(0.1, 0.01, 1e-3, 0.1, 1e-9),
        })
        {
            var net = new Network(3).Add(new FullyConnected(3, 2));
            net.Initialize(seed: 1);
            var opt = make();
            Step(net, opt, 2);
            using var ms = new MemoryStream();
            ModelSerializer.Save(net, ms, opt, 1, 0, 1);
            ms.Position = 0;
            var ckpt = ModelSerializer.LoadCheckpoint(ms);
            var loaded = ckpt.Optimizer!;
            loaded.GetType().Should().Be(opt.GetType());
            loaded.StateNames.Should().Equal(opt.StateNames);
            loaded.Steps.Should().Be(2);

            Step(net, opt, 3);
            Step(ckpt.Network, loaded, 3);
            ckpt.Network.Parameters[0].Value.ToArray().Should().Equal(net.Parameters[0].Value.ToArray(), opt.GetType().Name);
        }
    }

    private static void Step(Network net, Optimizer opt, int steps)
    {
        for (int s = 0; s < steps; s++)
        {
            foreach (var p in net.Parameters)
            {
                var g = p.Gradient.AsSpan();
                for (int i = 0; i < g.Length; i++)
                {
                    g[i] = MathF.Sin((i + 1) * (s + opt.Steps + 1));
                }
            }

            opt.Step(net.Parameters);
        }
    }

    [Fact]
    public void AdamW_decays_weights_without_a_gradient_and_leaves_biases_alone()
    {
        var w = new Parameter("weight", [2], decays: true);
        var b = new Parameter("bias", [2], decays: false);
        w.Value.AsSpan().Fill(1f);
        b.Value.AsSpan().Fill(1f);
        new AdamW(0.1, weightDecay: 0.5).Step([w, b]);

        // g = 0: Adam's step is 0 / (0 + ε) = 0, so only the decoupled decay moves W: 1 − 0.1·0.5.
        w.Value.ToArray().Should().Equal(0.95f, 0.95f);
        b.Value.ToArray().Should().Equal(1f, 1f);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        FluentActions.Invoking(() => new AdamW(beta1: 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("beta1");
        FluentActions.Invoking(() => new AdamW(weightDecay: -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("weightDecay");
        FluentActions.Invoking(() => new RmsProp(alpha: 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha");
        FluentActions.Invoking(() => new RmsProp(momentum: -0.1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("momentum");
        FluentActions.Invoking(() => new RmsProp(epsilon: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("epsilon");
        FluentActions.Invoking(() => new Adagrad(learningRateDecay: double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("learningRateDecay");
        FluentActions.Invoking(() => new Adagrad(initialAccumulatorValue: -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("initialAccumulatorValue");
    }

    [Fact]
    public void Adagrad_starts_its_accumulator_at_the_initial_value()
    {
        var w = new Parameter("weight", [1], decays: true);
        w.Gradient.AsSpan()[0] = 2f;
        var opt = new Adagrad(0.5, initialAccumulatorValue: 5, epsilon: 1e-10);
        opt.Step([w]);
        opt.State(w)[0][0].Should().Be(9f);
        w.Value[0].Should().BeApproximately(-0.5f * 2f / 3f, 1e-6f);
    }
}
