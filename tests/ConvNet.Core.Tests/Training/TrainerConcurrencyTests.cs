using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>One Fit at a time per trainer, the user's thread count survives Fit, and a checkpoint saved from another
/// thread while Fit runs records the position of the weights it holds.</summary>
public sealed class TrainerConcurrencyTests : IDisposable
{
    private readonly TempDirectory _temp = new("trainer-concurrency");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_second_concurrent_Fit_on_the_same_trainer_is_refused()
    {
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 1, BatchSize = 8, DegreeOfParallelism = 1 });
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int calls = 0;
        trainer.Callbacks.Add(new OnBatch(_ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                entered.Set();
                release.Wait();
            }
        }));

        var data = Tiny.Data(32);
        var first = Task.Factory.StartNew(() => trainer.Fit(data), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            entered.Wait();
            FluentActions.Invoking(() => trainer.Fit(data)).Should().Throw<InvalidOperationException>().WithMessage("*already*Fit*");
        }
        finally
        {
            release.Set();
        }

        (await first).Epochs.Should().HaveCount(1, "the first Fit was not disturbed");
        trainer.Fit(data).Epochs.Should().BeEmpty("a later Fit is allowed again (and has nothing left to do)");
    }

    [Fact]
    public void Fit_restores_the_networks_degree_of_parallelism_also_when_it_throws()
    {
        var net = Tiny.Net();
        net.DegreeOfParallelism = 1;
        new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 1, BatchSize = 8, DegreeOfParallelism = 2 }).Fit(Tiny.Data(16));
        net.DegreeOfParallelism.Should().Be(1);
        net.Layers[1].DegreeOfParallelism.Should().Be(1);

        net.Parameters[0].Value.AsSpan().Fill(1e36f);
        var diverging = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 1, BatchSize = 8, DegreeOfParallelism = 2 });
        FluentActions.Invoking(() => diverging.Fit(Tiny.Data(16, scale: 1000))).Should().Throw<TrainingDivergedException>();
        net.DegreeOfParallelism.Should().Be(1);
    }

    [Fact]
    public async Task A_checkpoint_saved_while_Fit_runs_records_the_position_of_its_weights()
    {
        // Every step is one optimizer step (nothing diverges), so a consistent checkpoint has
        // Steps = CompletedEpochs · batches + CompletedBatches: the position and the optimizer state (saved under the
        // network lock with the weights) must come from the same instant.
        const int Batches = 8;
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.01, 0.9), new TrainingOptions { Epochs = 1_000_000, BatchSize = 4, DegreeOfParallelism = 1 });
        int saves = 0;
        trainer.Callbacks.Add(new DivergenceHardeningTests.AtEpochEnd(c => c.StopTraining = Volatile.Read(ref saves) >= 20));
        var mismatches = new ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();
        var saver = Task.Factory.StartNew(() =>
        {
            string path = _temp.File("concurrent.safetensors");
            while (!done.IsCancellationRequested)
            {
                trainer.SaveCheckpoint(path);
                var c = ModelSerializer.LoadCheckpoint(path);
                long expected = ((long)c.CompletedEpochs * Batches) + c.CompletedBatches;
                if (c.Optimizer!.Steps != expected)
                {
                    mismatches.Enqueue($"position ({c.CompletedEpochs}, {c.CompletedBatches}) but {c.Optimizer.Steps} steps");
                }

                Interlocked.Increment(ref saves);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            trainer.Fit(Tiny.Data(Batches * 4));
        }
        finally
        {
            done.Cancel();
            await saver;
        }

        saves.Should().BeGreaterThanOrEqualTo(20);
        mismatches.Should().BeEmpty();
    }

    private sealed class OnBatch(Action<Trainer> action) : TrainingCallback
    {
        public override void OnBatchEnd(Trainer trainer) => action(trainer);
    }
}
