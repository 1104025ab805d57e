using System;
using System.IO;
using System.Threading;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>A checkpoint's position only means something with the batch size, order, schedule and data it was taken
/// with: resuming with others is refused, naming both values. Files without that record resume as before.</summary>
public sealed class ResumeMismatchTests : IDisposable
{
    private readonly TempDirectory _temp = new("resume-mismatch");

    public void Dispose() => _temp.Dispose();

    private static TrainingOptions Options(int batchSize = 8, bool shuffle = true, LearningRateSchedule? schedule = null, int epochs = 3) =>
        new() { Epochs = epochs, BatchSize = batchSize, Seed = 4, Shuffle = shuffle, Schedule = schedule ?? LearningRateSchedule.Cosine(3), DegreeOfParallelism = 1 };

    /// <summary>Trains 1 epoch and 2 batches of 40 samples, saves, and returns the file.</summary>
    private string MidEpochCheckpoint()
    {
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.01, 0.9), Options());
        using var cts = new CancellationTokenSource();
        trainer.Callbacks.Add(new CancelAt(1, 2, cts));
        trainer.Fit(Tiny.Data(40), cancellationToken: cts.Token).Cancelled.Should().BeTrue();
        string path = _temp.File("mid.safetensors");
        trainer.SaveCheckpoint(path);
        return path;
    }

    private static Trainer Resumed(Checkpoint c, TrainingOptions options) => new(c.Network, new SoftmaxCrossEntropy(), c.Optimizer!, options);

    [Fact]
    public void The_checkpoint_records_the_run_its_position_belongs_to()
    {
        var c = ModelSerializer.LoadCheckpoint(MidEpochCheckpoint());
        (c.CompletedEpochs, c.CompletedBatches).Should().Be((1, 2));
        c.Run.Should().Be(new TrainingRun(8, 3, true, "cosine(3, min=0)", 40));
        ModelSerializer.LoadCheckpoint(SaveWithoutTrainer()).Run.Should().BeNull("ModelSerializer.Save has no run to record");
    }

    [Theory]
    [InlineData("convnet.batchSize", "0")]
    [InlineData("convnet.batchSize", "-8")]
    [InlineData("convnet.shuffle", "yes")]
    [InlineData("convnet.samples", "1e3")]
    public void A_malformed_training_record_is_invalid_data(string key, string value)
    {
        var f = new SafetensorsFile(File.ReadAllBytes(MidEpochCheckpoint()));
        f.Metadata[key] = value;
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(f.ToBytes()))).Should().Throw<InvalidDataException>().WithMessage($"*{key}*");
    }

    [Fact]
    public void An_incomplete_training_record_is_invalid_data()
    {
        var f = new SafetensorsFile(File.ReadAllBytes(MidEpochCheckpoint()));
        f.Metadata.Remove("convnet.schedule");
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(f.ToBytes()))).Should().Throw<InvalidDataException>().WithMessage("*incomplete*convnet.schedule*");
    }

    private string SaveWithoutTrainer()
    {
        string path = _temp.File("plain.safetensors");
        ModelSerializer.Save(Tiny.Net(), path, new Sgd(0.01), 1, 2, 4);
        return path;
    }

    [Fact]
    public void Resuming_with_another_batch_size_is_refused_naming_both()
    {
        var c = ModelSerializer.LoadCheckpoint(MidEpochCheckpoint());
        FluentActions.Invoking(() => Resumed(c, Options(batchSize: 32)).Resume(c)).Should().Throw<InvalidOperationException>()
            .WithMessage("*BatchSize 8*32*");
    }

    [Fact]
    public void Resuming_with_another_shuffle_flag_or_schedule_is_refused()
    {
        var c = ModelSerializer.LoadCheckpoint(MidEpochCheckpoint());
        FluentActions.Invoking(() => Resumed(c, Options(shuffle: false)).Resume(c)).Should().Throw<InvalidOperationException>()
            .WithMessage("*Shuffle True*False*");
        FluentActions.Invoking(() => Resumed(c, Options(schedule: LearningRateSchedule.Cosine(5))).Resume(c)).Should().Throw<InvalidOperationException>()
            .WithMessage("*cosine(3*cosine(5*");
    }

    [Fact]
    public void Fitting_a_resumed_trainer_on_data_of_another_size_is_refused_before_any_step()
    {
        var c = ModelSerializer.LoadCheckpoint(MidEpochCheckpoint());
        var trainer = Resumed(c, Options());
        trainer.Resume(c);
        long steps = c.Optimizer!.Steps;
        FluentActions.Invoking(() => trainer.Fit(Tiny.Data(48))).Should().Throw<InvalidOperationException>().WithMessage("*40 samples*48*");
        c.Optimizer.Steps.Should().Be(steps);
        trainer.Fit(Tiny.Data(40)).Epochs.Should().HaveCount(2, "the right data still resumes");
    }

    [Fact]
    public void A_checkpoint_without_the_training_record_resumes_as_before()
    {
        // Files written before the record existed have only epochs, batches and seed: they still load and resume.
        var f = new SafetensorsFile(File.ReadAllBytes(MidEpochCheckpoint()));
        foreach (string key in new[] { "convnet.batchSize", "convnet.totalEpochs", "convnet.shuffle", "convnet.schedule", "convnet.samples" })
        {
            f.Metadata.Remove(key);
        }

        string old = _temp.File("old.safetensors");
        File.WriteAllBytes(old, f.ToBytes());
        var c = ModelSerializer.LoadCheckpoint(old);
        var trainer = Resumed(c, Options(batchSize: 16));
        trainer.Resume(c);
        (trainer.CompletedEpochs, trainer.CompletedBatches).Should().Be((1, 2));
        trainer.Fit(Tiny.Data(48)).Epochs.Should().HaveCount(2);
    }

    [Theory]
    [InlineData("sgd-checkpoint-v1.safetensors")]
    [InlineData("adam-checkpoint-v1.safetensors")]
    public void A_checkpoint_of_the_first_format_resumes(string file)
    {
        var c = ModelSerializer.LoadCheckpoint(Path.Combine(AppContext.BaseDirectory, "TestData", "legacy", file));
        var trainer = Resumed(c, new TrainingOptions { Epochs = 3, BatchSize = 4, Seed = c.Seed, DegreeOfParallelism = 1 });
        trainer.Resume(c);
        int[] shape = c.Network.InputShape.ToArray();
        int size = 1;
        foreach (int d in shape)
        {
            size *= d;
        }

        var data = new ConvNet.Data.Dataset(new float[12 * size], new int[12], shape, c.Network.OutputShape[0]);
        trainer.Fit(data).Epochs.Should().HaveCount(1);
        c.Optimizer!.Steps.Should().Be(3 + 2, "epoch 3 continues after its first batch: batches 2 and 3 of 3");
    }

    private sealed class CancelAt(int epochs, int batches, CancellationTokenSource cts) : TrainingCallback
    {
        public override void OnBatchEnd(Trainer trainer)
        {
            if (trainer.CompletedEpochs == epochs && trainer.CompletedBatches == batches)
            {
                cts.Cancel();
            }
        }
    }
}
