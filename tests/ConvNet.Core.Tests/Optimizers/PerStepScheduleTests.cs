using System;
using System.Collections.Generic;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Core.Tests.Training;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Optimizers;

/// <summary>Linear warm-up and one-cycle (per step), and reduce-on-plateau (per epoch, through the trainer's factor).</summary>
public sealed class PerStepScheduleTests : IDisposable
{
    private readonly TempDirectory _temp = new("schedules");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Linear_warmup_ramps_per_step_then_hands_over()
    {
        var s = LearningRateSchedule.LinearWarmup(5, LearningRateSchedule.Step(1, 0.5));
        s.IsPerStep.Should().BeTrue();
        // 3 batches per epoch: global steps 0..4 ramp α₀·(s+1)/5, then StepLR by epoch.
        s.Rate(0, 0, 3, 1.0).Should().Be(0.2);
        s.Rate(0, 2, 3, 1.0).Should().Be(0.6);
        s.Rate(1, 1, 3, 1.0).Should().Be(1.0, "global step 4 is the last of the warm-up");
        s.Rate(1, 2, 3, 1.0).Should().Be(0.5, "after the warm-up: StepLR's epoch-1 rate");
        s.Rate(3, 0, 3, 1.0).Should().Be(0.125);
    }

    [Fact]
    public void One_cycle_follows_PyTorch_OneCycleLR_formula()
    {
        // Reference: torch.optim.lr_scheduler.OneCycleLR(max_lr=1, total_steps=T, pct_start=0.3, anneal cos,
        // div_factor=25, final_div_factor=1e4), three_phase=False — its get_lr written out.
        const int epochs = 4, batches = 5, total = epochs * batches;
        double max = 1, initial = max / 25, min = initial / 1e4, up = (0.3 * total) - 1, down = total - 1 - up;
        double Anneal(double a, double b, double pct) => b + ((a - b) / 2 * (Math.Cos(Math.PI * pct) + 1));
        var s = LearningRateSchedule.OneCycle(epochs);
        for (int step = 0; step < total; step++)
        {
            double expected = step <= up ? Anneal(initial, max, step / up) : Anneal(max, min, (step - up) / down);
            s.Rate(step / batches, step % batches, batches, max).Should().BeApproximately(expected, 1e-15, $"step {step}");
        }

        s.Rate(0, 0, batches, 1).Should().BeApproximately(0.04, 1e-15);
        s.Rate(epochs - 1, batches - 1, batches, 1).Should().BeApproximately(4e-6, 1e-15);
        s.Rate(1, 0, batches, 1).Should().BeApproximately(max, 1e-12, "step 5 = pct·T − 1 is the peak");
    }

    [Fact]
    public void The_trainer_sets_a_per_step_rate_before_every_batch()
    {
        var opt = new Sgd(0.5);
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), opt, new() { Epochs = 2, BatchSize = 10, Schedule = LearningRateSchedule.LinearWarmup(4) });
        var seen = new List<double>();
        trainer.Callbacks.Add(new RateLog(opt, seen));
        trainer.Fit(Tiny.Data(30));
        seen.Should().Equal(0.125, 0.25, 0.375, 0.5, 0.5, 0.5);
    }

    [Fact]
    public void Per_step_rates_are_checked_before_the_first_step()
    {
        var net = Tiny.Net();
        var before = net.Parameters[0].Value.ToArray();
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1), new() { Epochs = 2, BatchSize = 10, Schedule = new BadAt(1, 2) });
        FluentActions.Invoking(() => trainer.Fit(Tiny.Data(30))).Should().Throw<ArgumentException>().WithMessage("*epoch 2, batch 3*Nothing was trained*");
        net.Parameters[0].Value.ToArray().Should().Equal(before);
    }

    [Fact]
    public void Reduce_on_plateau_multiplies_the_rate_after_patience_epochs_and_the_factor_survives_a_checkpoint()
    {
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.1), new() { Epochs = 1 });
        var plateau = new ReduceLearningRateOnPlateau(factor: 0.5, patience: 1, cooldown: 1, minRate: 0.03);
        double rate = 0.1;
        double[] losses = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9];
        var factors = new List<double>();
        for (int e = 0; e < losses.Length; e++)
        {
            plateau.OnEpochEnd(new EpochContext(trainer, new EpochMetrics(e + 1, rate, losses[e], 0, null, null, 1, TimeSpan.Zero, 0)));
            rate = 0.1 * trainer.LearningRateFactor;
            factors.Add(Math.Round(trainer.LearningRateFactor, 12));
        }

        // PyTorch's step() by hand: bad epochs after the best (0.9 at epoch 2): 1, 2 > patience → ×0.5 at epoch 4; epoch 5
        // is the cooldown (its bad count is reset), then 1, 2 → reduce at epoch 7 to max(0.025, 0.03) = 0.03 (factor
        // 0.3); then nothing lower than α_min.
        factors.Should().Equal(1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3);
        plateau.Reductions.Should().Be(2);

        trainer.Fit(Tiny.Data(10));
        string path = _temp.File("plateau.safetensors");
        trainer.SaveCheckpoint(path);
        var ckpt = ModelSerializer.LoadCheckpoint(path);
        ckpt.Run!.LearningRateFactor.Should().BeApproximately(0.3, 1e-12);
        var resumed = Trainer.FromCheckpoint(ckpt, new SoftmaxCrossEntropy());
        resumed.LearningRateFactor.Should().Be(trainer.LearningRateFactor);
        resumed.FitMore(1, Tiny.Data(10)).Epochs[0].LearningRate.Should().BeApproximately(0.03, 1e-12);
    }

    [Fact]
    public void Bad_schedule_arguments_are_refused()
    {
        FluentActions.Invoking(() => LearningRateSchedule.LinearWarmup(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("warmupSteps");
        FluentActions.Invoking(() => LearningRateSchedule.OneCycle(3, pctStart: 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("pctStart");
        FluentActions.Invoking(() => LearningRateSchedule.OneCycle(3, divFactor: double.NaN)).Should().Throw<ArgumentException>().WithParameterName("divFactor");
        FluentActions.Invoking(() => new ReduceLearningRateOnPlateau(factor: 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("factor");
        FluentActions.Invoking(() => new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.1)).LearningRateFactor = -1).Should().Throw<ArgumentException>();
    }

    private sealed class RateLog(Optimizer opt, List<double> seen) : TrainingCallback
    {
        public override void OnBatchEnd(Trainer trainer) => seen.Add(opt.LearningRate);
    }

    private sealed class BadAt(int epoch, int batch) : LearningRateSchedule
    {
        public override bool IsPerStep => true;

        public override double Rate(int e, double baseRate) => baseRate;

        public override double Rate(int e, int b, int batches, double baseRate) => e == epoch && b == batch ? double.NaN : baseRate;
    }
}
