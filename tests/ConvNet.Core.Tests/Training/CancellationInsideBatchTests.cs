using System;
using System.Threading;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Cancellation reaches inside a batch (between layers), undoes the half step, and keeps the partial epoch's metrics.</summary>
public sealed class CancellationInsideBatchTests
{
    private static Network Net(CancellationTokenSource? cts, int cancelAtForward, bool inBackward = false)
    {
        var net = new Network(Tiny.Inputs)
            .Add(new FullyConnected(Tiny.Inputs, 6))
            .Add(new BatchNorm1D(6))
            .Add(new Dropout(0.3, seed: 4))
            .Add(new Tripwire(cts, cancelAtForward, inBackward))
            .Add(new ReLU())
            .Add(new FullyConnected(6, Tiny.Classes));
        net.Initialize(9);
        return net;
    }

    private static Trainer Trainer(Network net) =>
        new(net, new SoftmaxCrossEntropy(), new Sgd(0.1, 0.9), new() { Epochs = 2, BatchSize = 10, Seed = 5, DegreeOfParallelism = 1 });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_batch_cancelled_between_layers_changes_nothing_and_is_trained_again_on_resume(bool inBackward)
    {
        var data = Tiny.Data(60);
        var straight = Net(null, 0);
        Trainer(straight).Fit(data);

        using var cts = new CancellationTokenSource();
        var net = Net(cts, cancelAtForward: 9, inBackward);
        var trainer = Trainer(net);
        var values = new float[3][];
        trainer.Callbacks.Add(new Record(net, values));
        var history = trainer.Fit(data, cancellationToken: cts.Token);

        history.Cancelled.Should().BeTrue();
        (trainer.CompletedEpochs, trainer.CompletedBatches).Should().Be((1, 2), "forward 9 is batch 3 of epoch 2; it was abandoned");
        net.Parameters[0].Value.ToArray().Should().Equal(values[0], "the optimizer did not run for the cancelled batch");
        net.NamedBuffers[0].Buffer.Value.ToArray().Should().Equal(values[1], "BatchNorm's running mean moved by the half step was put back");
        ((Dropout)net.Layers[2]).Step.Should().Be(8, "the dropout step counter is a buffer and was put back too");
        history.Epochs.Should().HaveCount(1);
        history.CancelledEpoch.Should().NotBeNull();
        history.CancelledEpoch!.Epoch.Should().Be(2);
        history.CancelledEpoch.TrainLoss.Should().BeInRange(0, 10);
        net.Predict(new Tensor(1, Tiny.Inputs)).Length.Should().Be(Tiny.Classes, "the network is usable after an abandoned step");

        trainer.Fit(data).Epochs.Should().HaveCount(1, "the same trainer (and optimizer state) continues at batch 3 of epoch 2");
        for (int i = 0; i < net.Parameters.Count; i++)
        {
            net.Parameters[i].Value.ToArray().Should().Equal(straight.Parameters[i].Value.ToArray(), $"parameter {i}");
        }

        net.NamedBuffers[0].Buffer.Value.ToArray().Should().Equal(straight.NamedBuffers[0].Buffer.Value.ToArray());
    }

    [Fact]
    public void Cancelling_before_the_first_batch_of_an_epoch_reports_no_partial_epoch()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var history = Trainer(Net(null, 0)).Fit(Tiny.Data(20), cancellationToken: cts.Token);
        history.Cancelled.Should().BeTrue();
        history.CancelledEpoch.Should().BeNull();
        history.Epochs.Should().BeEmpty();
    }

    /// <summary>Keeps the first weight and the buffers as they were after every completed batch.</summary>
    private sealed class Record(Network net, float[][] values) : TrainingCallback
    {
        public override void OnBatchEnd(Trainer trainer)
        {
            values[0] = net.Parameters[0].Value.ToArray();
            values[1] = net.NamedBuffers[0].Buffer.Value.ToArray();
        }
    }

    /// <summary>An identity layer that cancels the token during its n-th training Forward (or the Backward after it).</summary>
    private sealed class Tripwire(CancellationTokenSource? cts, int at, bool inBackward) : Layer("Tripwire")
    {
        private int _forwards;

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output)
        {
            input.AsSpan().CopyTo(output.AsSpan());
            if (IsTraining && ++_forwards == at && !inBackward)
            {
                cts?.Cancel();
            }
        }

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
            outputGradient.AsSpan().CopyTo(inputGradient!.AsSpan());
            if (_forwards == at && inBackward)
            {
                cts?.Cancel();
            }
        }
    }
}
