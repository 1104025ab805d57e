using System;
using ConvNet.Data;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>Float targets: a data set of (x, t) pairs trains a regression network and evaluates to its loss.</summary>
public sealed class RegressionTests
{
    // t = (2 x₀ − x₁ + 0.5, x₀ + x₁) for x on a grid: a linear map a FullyConnected(2, 2) can learn exactly.
    private static Dataset Data(int n)
    {
        var x = new float[n * 2];
        var t = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            float a = (i % 7) / 7f, b = (i % 5) / 5f;
            (x[2 * i], x[(2 * i) + 1]) = (a, b);
            (t[2 * i], t[(2 * i) + 1]) = ((2 * a) - b + 0.5f, a + b);
        }

        return new Dataset(x, t, [2], [2]);
    }

    [Fact]
    public void A_linear_regression_is_learned_from_float_targets()
    {
        var data = Data(70);
        data.Classes.Should().Be(0);
        data.HasLabels.Should().BeFalse();
        data.Labels.IsEmpty.Should().BeTrue();
        var net = new Network(2).Add(new FullyConnected(2, 2));
        net.Initialize(1);
        var trainer = new Trainer(net, new EuclideanLoss(), new Sgd(0.2, 0.9), new() { Epochs = 60, BatchSize = 10, Seed = 2, DegreeOfParallelism = 1 });
        var history = trainer.Fit(data, validation: Data(35));

        history.Epochs[^1].TrainLoss.Should().BeLessThan(history.Epochs[0].TrainLoss / 100);
        history.Epochs[^1].TrainAccuracy.Should().Be(double.NaN, "accuracy means nothing for regression");
        var eval = trainer.Evaluate(Data(35));
        eval.Loss.Should().BeLessThan(1e-4);
        eval.Accuracy.Should().Be(double.NaN);
        eval.ConfusionMatrix.Should().BeNull();
        var fc = (FullyConnected)net.Layers[0];
        fc.Weight.Value.ToArray().Should().BeEquivalentTo(new[] { 2f, -1f, 1f, 1f }, o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 0.02f)).WhenTypeIs<float>());
    }

    [Fact]
    public void Subsets_keep_the_targets_and_mismatches_are_named()
    {
        var data = Data(10);
        var sub = data.Subset([3, 1]);
        sub.Targets.ToArray().Should().Equal([.. data.Targets.Slice(6, 2), .. data.Targets.Slice(2, 2)]);
        data.Subset(2, 3).Targets.ToArray().Should().Equal(data.Targets.Slice(4, 6).ToArray());
        var (train, val) = data.Split(0.3, seed: 1);
        (train.Count + val.Count).Should().Be(10);
        train.TargetShape.ToArray().Should().Equal(2);

        FluentActions.Invoking(() => new Dataset(new float[6], new float[5], [2], [2])).Should().Throw<ArgumentException>().WithParameterName("targets");
        var net = new Network(2).Add(new FullyConnected(2, 3));
        FluentActions.Invoking(() => new Trainer(net, new EuclideanLoss(), new Sgd(0.1)).Fit(data))
            .Should().Throw<ArgumentException>().WithMessage("*output [3]*targets of shape [2]*");
        FluentActions.Invoking(() => new Trainer(new Network(2).Add(new FullyConnected(2, 2)), new EuclideanLoss(), new Sgd(0.1)).Fit(data, Tiny2Classes()))
            .Should().Throw<ArgumentException>().WithParameterName("validation");
    }

    private static Dataset Tiny2Classes() => new(new float[4], [0, 1], [2], 2);
}
