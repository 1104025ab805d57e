using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Whose α₀ a new trainer starts from: the user's latest rate, or the schedule's base when only a schedule moved it.</summary>
public class LearningRateOwnershipTests
{
    [Fact]
    public void A_new_trainer_starts_from_a_rate_the_user_changed()
    {
        var net = Tiny.Net();
        var opt = new Sgd(0.1);
        new Trainer(net, new SoftmaxCrossEntropy(), opt, new TrainingOptions { Epochs = 2, BatchSize = 8, Schedule = LearningRateSchedule.Step(1, 0.5) }).Fit(Tiny.Data(16));
        opt.LearningRate.Should().Be(0.05, "the schedule halved the rate in epoch 2");

        opt.LearningRate = 0.01;
        var second = new Trainer(net, new SoftmaxCrossEntropy(), opt, new TrainingOptions { Epochs = 1, BatchSize = 8 });
        second.BaseLearningRate.Should().Be(0.01);
        second.Fit(Tiny.Data(16)).Epochs[0].LearningRate.Should().Be(0.01);
    }

    [Fact]
    public void A_new_trainer_keeps_the_schedules_base_when_only_the_schedule_moved_the_rate()
    {
        var net = Tiny.Net();
        var opt = new Sgd(0.1);
        new Trainer(net, new SoftmaxCrossEntropy(), opt, new TrainingOptions { Epochs = 2, BatchSize = 8, Schedule = LearningRateSchedule.Step(1, 0.5) }).Fit(Tiny.Data(16));
        new Trainer(net, new SoftmaxCrossEntropy(), opt).BaseLearningRate.Should().Be(0.1, "0.05 is the schedule's, not the user's");
    }
}
