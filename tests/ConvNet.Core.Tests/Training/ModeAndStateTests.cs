using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Train/eval mode and state buffers through the trainer: BatchNorm's running statistics in checkpoints.</summary>
public sealed class ModeAndStateTests : IDisposable
{
    private readonly TempDirectory _temp = new("mode");

    public void Dispose() => _temp.Dispose();

    private static Network Net(int seed)
    {
        var net = new Network(1, 28, 28)
            .Add(new Conv2D(1, 4, 3, stride: 2, useBias: false)).Add(new BatchNorm2D(4)).Add(new ReLU())
            .Add(new Residual(new Sequential(new Conv2D(4, 4, 3, padding: Padding.Same, useBias: false), new BatchNorm2D(4))))
            .Add(new GlobalAveragePool2D()).Add(new Dropout(0.25, seed: 3)).Add(new FullyConnected(4, 10));
        net.Initialize(seed);
        return net;
    }

    private static TrainingOptions Options(int epochs) => new() { Epochs = epochs, BatchSize = 32, Seed = 9, DegreeOfParallelism = 2 };

    [Fact]
    public void Resuming_a_network_with_batchnorm_and_dropout_from_a_checkpoint_reproduces_the_uninterrupted_run_bit_for_bit()
    {
        var data = ShippedData.Train.Subset(0, 192);
        var straight = Net(4);
        new Trainer(straight, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9, 5e-4), Options(2)).Fit(data);

        string path = _temp.File("bn.safetensors");
        var sgd = new Sgd(0.05, 0.9, 5e-4);
        var once = new Trainer(Net(4), new SoftmaxCrossEntropy(), sgd, Options(2));
        once.Callbacks.Add(new SaveAfterFirstEpoch(path));
        once.Fit(data);

        var ckpt = ModelSerializer.LoadCheckpoint(path);
        ckpt.CompletedEpochs.Should().Be(1);
        var resumed = new Trainer(ckpt.Network, new SoftmaxCrossEntropy(), ckpt.Optimizer!, Options(2));
        resumed.Resume(ckpt);
        resumed.Fit(data);

        ckpt.Network.NamedBuffers.Should().NotBeEmpty();
        ckpt.Network.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).Should().BeEquivalentTo(straight.NamedBuffers.Select(b => b.Buffer.Value.ToArray()), o => o.WithStrictOrdering(), "running statistics resume exactly");
        for (int i = 0; i < straight.Parameters.Count; i++)
        {
            ckpt.Network.Parameters[i].Value.ToArray().Should().Equal(straight.Parameters[i].Value.ToArray(), $"parameter {i}");
        }
    }

    [Fact]
    public void Batchnorm_gives_batch_statistics_in_training_and_running_statistics_in_inference()
    {
        var net = Net(2);
        var batch = new Tensor(16, 1, 28, 28);
        ShippedData.Train.CopyBatch(Enumerable.Range(0, 16).ToArray(), 0, batch, new int[16]);

        var train = net.Forward(batch).ToArray();
        net.Backward(new Tensor(16, 10));
        var eval = net.Predict(batch).ToArray();
        eval.Should().NotEqual(train, "fresh running statistics (0, 1) differ from the batch's");
        var running = net.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).ToList();
        net.SetTraining(false);
        net.Forward(batch).ToArray().Should().Equal(eval, "Forward in eval mode is inference");
        net.Backward(new Tensor(16, 10));
        net.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).Should().BeEquivalentTo(running, o => o.WithStrictOrdering(), "eval mode does not move the running statistics");
        net.SetTraining(true);
        net.Forward(batch);
        net.NamedBuffers[0].Buffer.Value.ToArray().Should().NotEqual(running[0], "training mode does");
        net.Backward(new Tensor(16, 10));
    }

    private sealed class SaveAfterFirstEpoch(string path) : TrainingCallback
    {
        public override void OnEpochEnd(EpochContext context)
        {
            if (context.Trainer.CompletedEpochs == 1)
            {
                context.Trainer.SaveCheckpoint(path);
            }
        }
    }
}
