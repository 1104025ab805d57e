using System;
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

/// <summary>Training N more epochs, and a trainer rebuilt from a checkpoint without re-typing its options.</summary>
public sealed class ContinueTrainingTests : IDisposable
{
    private readonly TempDirectory _temp = new("continue");

    public void Dispose() => _temp.Dispose();

    private static void SameWeights(Network a, Network b)
    {
        for (int i = 0; i < a.Parameters.Count; i++)
        {
            a.Parameters[i].Value.ToArray().Should().Equal(b.Parameters[i].Value.ToArray(), $"parameter {i}");
        }
    }

    [Fact]
    public void Fit_then_FitMore_equals_one_longer_Fit_bit_for_bit()
    {
        var data = Tiny.Data(50);
        var straight = Tiny.Net();
        new Trainer(straight, new SoftmaxCrossEntropy(), new Sgd(0.1, 0.9), new() { Epochs = 5, BatchSize = 8, Seed = 3, Schedule = LearningRateSchedule.Step(2, 0.5) }).Fit(data);

        var net = Tiny.Net();
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1, 0.9), new() { Epochs = 3, BatchSize = 8, Seed = 3, Schedule = LearningRateSchedule.Step(2, 0.5) });
        trainer.Fit(data).Epochs.Should().HaveCount(3);
        trainer.Fit(data).Epochs.Should().BeEmpty("Fit trains up to Options.Epochs, which are done");
        var more = trainer.FitMore(2, data);

        more.Epochs.Should().HaveCount(2);
        more.Epochs[0].Epoch.Should().Be(4);
        more.Epochs[1].LearningRate.Should().Be(0.1 * 0.25, "the schedule goes on counting epochs (epoch index 4 → γ²)");
        trainer.Options.Epochs.Should().Be(5);
        trainer.CompletedEpochs.Should().Be(5);
        SameWeights(net, straight);
    }

    [Fact]
    public void FitMore_refuses_bad_counts_and_keeps_the_options_when_its_rates_are_refused()
    {
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.1), new() { Epochs = 1, Schedule = new NegativeAfter(1) });
        trainer.Fit(Tiny.Data(10));
        FluentActions.Invoking(() => trainer.FitMore(0, Tiny.Data(10))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("epochs");
        FluentActions.Invoking(() => trainer.FitMore(1, Tiny.Data(10))).Should().Throw<ArgumentException>().WithMessage("*epoch 2*Nothing was trained*");
        trainer.Options.Epochs.Should().Be(1);
        trainer.CompletedEpochs.Should().Be(1);
    }

    [Fact]
    public void A_trainer_from_a_checkpoint_finishes_the_run_exactly_without_the_options_being_repeated()
    {
        var data = ShippedData.Train.Subset(0, 192);
        TrainingOptions Options() => new() { Epochs = 3, BatchSize = 32, Seed = 11, Schedule = LearningRateSchedule.LinearWarmup(4, LearningRateSchedule.Cosine(3, 1e-3)), DegreeOfParallelism = 1 };
        var straight = LeNet5.Modern(seed: 2);
        new Trainer(straight, new SoftmaxCrossEntropy(), new Adam(2e-3), Options()).Fit(data);

        var trainer = new Trainer(LeNet5.Modern(seed: 2), new SoftmaxCrossEntropy(), new Adam(2e-3), Options());
        using var cts = new CancellationTokenSource();
        trainer.Callbacks.Add(new CancelAfter(8, cts));
        trainer.Fit(data, cancellationToken: cts.Token).Cancelled.Should().BeTrue();
        string path = _temp.File("run.safetensors");
        trainer.SaveCheckpoint(path);

        var resumed = Trainer.FromCheckpoint(ModelSerializer.LoadCheckpoint(path), new SoftmaxCrossEntropy());
        (resumed.CompletedEpochs, resumed.CompletedBatches).Should().Be((1, 2));
        resumed.Options.Seed.Should().Be(11);
        resumed.Options.BatchSize.Should().Be(32);
        resumed.Options.Epochs.Should().Be(3);
        resumed.Options.Schedule.ToString().Should().Be(Options().Schedule.ToString());
        resumed.Fit(data).Epochs.Should().HaveCount(2);
        SameWeights(resumed.Network, straight);
    }

    [Fact]
    public void FromCheckpoint_explains_what_it_cannot_rebuild()
    {
        var net = Tiny.Net();
        string plain = _temp.File("plain.safetensors");
        ModelSerializer.Save(net, plain);
        FluentActions.Invoking(() => Trainer.FromCheckpoint(ModelSerializer.LoadCheckpoint(plain), new SoftmaxCrossEntropy()))
            .Should().Throw<ArgumentException>().WithMessage("*without optimizer state*");

        string custom = _temp.File("custom.safetensors");
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1), new() { Epochs = 1, Schedule = new NegativeAfter(5) });
        trainer.Fit(Tiny.Data(10));
        trainer.SaveCheckpoint(custom);
        var ckpt = ModelSerializer.LoadCheckpoint(custom);
        FluentActions.Invoking(() => Trainer.FromCheckpoint(ckpt, new SoftmaxCrossEntropy()))
            .Should().Throw<ArgumentException>().WithMessage("*'negative after 5'*not a built-in*");
        Trainer.FromCheckpoint(ckpt, new SoftmaxCrossEntropy(), new() { Epochs = 2, Schedule = new NegativeAfter(5) }).CompletedEpochs.Should().Be(1);

        string old = _temp.File("old.safetensors");
        ModelSerializer.Save(net, old, new Sgd(0.1), completedEpochs: 1);
        FluentActions.Invoking(() => Trainer.FromCheckpoint(ModelSerializer.LoadCheckpoint(old), new SoftmaxCrossEntropy()))
            .Should().Throw<ArgumentException>().WithMessage("*does not record its training run*");
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("step")]
    [InlineData("exponential")]
    [InlineData("cosine")]
    [InlineData("warmup")]
    [InlineData("one-cycle")]
    public void Every_built_in_schedule_is_rebuilt_from_its_description(string kind)
    {
        LearningRateSchedule s = kind switch
        {
            "constant" => LearningRateSchedule.Constant,
            "step" => LearningRateSchedule.Step(3, 0.7),
            "exponential" => LearningRateSchedule.Exponential(0.95),
            "cosine" => LearningRateSchedule.Cosine(12, 1.5e-4),
            "warmup" => LearningRateSchedule.LinearWarmup(100, LearningRateSchedule.Cosine(7, 0.1 / 3)),
            _ => LearningRateSchedule.OneCycle(9, 0.25, 10, 1e3),
        };
        var parsed = LearningRateSchedule.TryParse(s.ToString()!);
        parsed.Should().NotBeNull();
        parsed!.ToString().Should().Be(s.ToString());
        for (int e = 0; e < 10; e++)
        {
            for (int b = 0; b < 20; b += 7)
            {
                parsed.Rate(e, b, 20, 0.1).Should().Be(s.Rate(e, b, 20, 0.1));
            }
        }

        LearningRateSchedule.TryParse("cosine(0, min=0)").Should().BeNull("out-of-range numbers are not a schedule");
        LearningRateSchedule.TryParse("mine").Should().BeNull();
    }

    private sealed class NegativeAfter(int epoch) : LearningRateSchedule
    {
        public override double Rate(int e, double baseRate) => e >= epoch ? -1 : baseRate;

        public override string ToString() => $"negative after {epoch}";
    }

    private sealed class CancelAfter(int batches, CancellationTokenSource cts) : TrainingCallback
    {
        private int _seen;

        public override void OnBatchEnd(Trainer trainer)
        {
            if (++_seen == batches)
            {
                cts.Cancel();
            }
        }
    }
}
