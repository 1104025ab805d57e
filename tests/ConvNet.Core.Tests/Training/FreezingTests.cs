using System;
using System.Linq;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>A frozen layer keeps its weights and optimizer state through training; the rest trains as before.</summary>
public class FreezingTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void Training_leaves_a_frozen_body_untouched_and_trains_the_head(string optimizer)
    {
        var net = Tiny.Net();
        var body = net.Layers[1];
        var head = net.Layers[2];
        body.Trainable = false;
        body.Trainable.Should().BeFalse();
        net.Layers[0].Trainable.Should().BeTrue("a layer without parameters is trainable");
        var bodyBefore = body.Parameters.Select(p => p.Value.ToArray()).ToArray();
        var headBefore = head.Parameters.Select(p => p.Value.ToArray()).ToArray();
        Optimizer opt = optimizer == "sgd" ? new Sgd(0.1, momentum: 0.9, weightDecay: 1e-2) : new AdamW(0.01);

        new Trainer(net, new SoftmaxCrossEntropy(), opt, new TrainingOptions { Epochs = 2, BatchSize = 4 }).Fit(Tiny.Data(24));

        for (int i = 0; i < bodyBefore.Length; i++)
        {
            body.Parameters[i].Value.ToArray().Should().Equal(bodyBefore[i], "weight decay and momentum skip frozen parameters too");
        }

        head.Parameters.Select(p => p.Value.ToArray()).Zip(headBefore).Should().Contain(pair => !pair.First.SequenceEqual(pair.Second));

        // Unfreezing later trains the body from where it was.
        body.Trainable = true;
        new Trainer(net, new SoftmaxCrossEntropy(), opt, new TrainingOptions { Epochs = 1, BatchSize = 4 }).Fit(Tiny.Data(24));
        body.Parameters[0].Value.ToArray().Should().NotEqual(bodyBefore[0]);
    }

    [Fact]
    public void Freezing_the_whole_network_changes_nothing()
    {
        var net = new Network(3).Add(new FullyConnected(3, 2));
        net.Initialize(seed: 2);
        var before = net.Parameters[0].Value.ToArray();
        foreach (var l in net.Layers)
        {
            l.Trainable = false;
        }

        var opt = new Adam(0.1);
        net.Parameters[0].Gradient.AsSpan().Fill(1f);
        opt.Step(net.Parameters);
        net.Parameters[0].Value.ToArray().Should().Equal(before);
        opt.Steps.Should().Be(1);
        Array.TrueForAll(opt.State(net.Parameters[0]).ToArray(), s => s.All(v => v == 0)).Should().BeTrue("no state moved");
    }
}
