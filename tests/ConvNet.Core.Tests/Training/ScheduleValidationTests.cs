using System;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>The learning-rate schedule is checked for every epoch that will run before the first step.</summary>
public sealed class ScheduleValidationTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1e-3)]
    public void A_schedule_that_gives_a_bad_rate_in_a_later_epoch_is_rejected_before_any_step(double bad)
    {
        var net = Tiny.Net();
        var before = Tiny.Weights(net);
        var sgd = new Sgd(0.01);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), sgd, new TrainingOptions { Epochs = 3, BatchSize = 8, Schedule = new Rates(e => e == 2 ? bad : 0.01) });
        FluentActions.Invoking(() => trainer.Fit(Tiny.Data(16))).Should().Throw<ArgumentException>().WithMessage("*epoch 3*");
        sgd.Steps.Should().Be(0);
        Tiny.Weights(net)[0].Should().Equal(before[0]);
    }

    [Fact]
    public void A_rate_of_zero_is_allowed_and_freezes_the_weights_of_plain_sgd()
    {
        var net = Tiny.Net();
        float[][]? afterFirst = null;
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.05, 0, 1e-3), new TrainingOptions { Epochs = 2, BatchSize = 8, Schedule = new Rates(e => e == 0 ? 0.05 : 0) });
        trainer.Callbacks.Add(new DivergenceHardeningTests.AtEpochEnd(c => afterFirst ??= Tiny.Weights(c.Trainer.Network)));
        var history = trainer.Fit(Tiny.Data(16));
        history.Epochs[1].LearningRate.Should().Be(0);
        var after = Tiny.Weights(net);
        for (int i = 0; i < after.Length; i++)
        {
            after[i].Should().Equal(afterFirst![i]);
        }
    }

    private sealed class Rates(Func<int, double> rate) : LearningRateSchedule
    {
        public override double Rate(int epoch, double baseRate) => rate(epoch);
    }
}
