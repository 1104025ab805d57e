using System;
using System.IO;
using System.Threading;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

public sealed class ResumeTests : IDisposable
{
    private readonly TempDirectory _temp = new("resume");

    public void Dispose() => _temp.Dispose();

    private static TrainingOptions Options() => new() { Epochs = 3, BatchSize = 32, Seed = 21, Schedule = LearningRateSchedule.Cosine(3), DegreeOfParallelism = 2 };

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Resuming_from_a_mid_epoch_checkpoint_reproduces_the_uninterrupted_run_bit_for_bit(string optimizer)
    {
        var data = ShippedData.Train.Subset(0, 320);
        Optimizer Make() => optimizer == "sgd" ? new Sgd(0.05, 0.9, 5e-4) : new Adam(1e-3, weightDecay: 1e-4);

        var straight = LeNet5.Modern(seed: 5);
        new Trainer(straight, new SoftmaxCrossEntropy(), Make(), Options()).Fit(data);

        // Interrupted in epoch 2 after batch 4: checkpoint, throw everything away, load, resume.
        var net = LeNet5.Modern(seed: 5);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), Make(), Options());
        using var cts = new CancellationTokenSource();
        trainer.Callbacks.Add(new StopAt(2, 4, cts));
        trainer.Fit(data, cancellationToken: cts.Token).Cancelled.Should().BeTrue();
        (trainer.CompletedEpochs, trainer.CompletedBatches).Should().Be((1, 4));
        string path = Path.Combine(_temp.Path, "ckpt.safetensors");
        trainer.SaveCheckpoint(path);

        var ckpt = ModelSerializer.LoadCheckpoint(path);
        (ckpt.CompletedEpochs, ckpt.CompletedBatches, ckpt.Seed).Should().Be((1, 4, 21));
        var resumed = new Trainer(ckpt.Network, new SoftmaxCrossEntropy(), ckpt.Optimizer!, Options());
        resumed.Resume(ckpt);
        var history = resumed.Fit(data);
        history.Epochs.Should().HaveCount(2);

        for (int i = 0; i < straight.Parameters.Count; i++)
        {
            ckpt.Network.Parameters[i].Value.ToArray().Should().Equal(straight.Parameters[i].Value.ToArray(), $"parameter {i}");
        }
    }

    [Fact]
    public void ModelCheckpoint_writes_a_loadable_checkpoint_every_epoch()
    {
        string path = Path.Combine(_temp.Path, "every-epoch.safetensors");
        var trainer = new Trainer(LeNet5.Modern(seed: 1), new SoftmaxCrossEntropy(), new Sgd(0.01, 0.9), new TrainingOptions { Epochs = 2, BatchSize = 64, Seed = 3 });
        trainer.Callbacks.Add(new ModelCheckpoint(path));
        trainer.Fit(ShippedData.Train.Subset(0, 128));
        var ckpt = ModelSerializer.LoadCheckpoint(path);
        ckpt.CompletedEpochs.Should().Be(2);
        ckpt.Optimizer.Should().NotBeNull();
    }

    private sealed class StopAt(int epoch, int batch, CancellationTokenSource cts) : TrainingCallback
    {
        public override void OnBatchEnd(Trainer trainer)
        {
            if (trainer.CompletedEpochs == epoch - 1 && trainer.CompletedBatches == batch)
            {
                cts.Cancel();
            }
        }
    }
}
