using System;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>EarlyStopping's restore of the best weights and ModelCheckpoint's save-best-only, on scripted epoch losses.</summary>
public sealed class BestEpochCallbackTests : IDisposable
{
    private readonly TempDirectory _temp = new("best-epoch");

    public void Dispose() => _temp.Dispose();

    private static EpochContext Epoch(Trainer trainer, int epoch, double validationLoss) =>
        new(trainer, new EpochMetrics(epoch, 0.1, 1.0, 0.5, validationLoss, 0.5, 100, TimeSpan.Zero, 0));

    /// <summary>Moves every weight, as an epoch of training would.</summary>
    private static void Train(Network net, float by)
    {
        foreach (var p in net.Parameters)
        {
            var v = p.Value.AsSpan();
            for (int i = 0; i < v.Length; i++)
            {
                v[i] += by;
            }
        }
    }

    [Fact]
    public void EarlyStopping_restores_the_weights_of_the_best_epoch_when_it_stops()
    {
        var net = Tiny.Net();
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1));
        var stop = new EarlyStopping(patience: 2, restoreBestWeights: true);

        Train(net, 0.1f);
        stop.OnEpochEnd(Epoch(trainer, 1, 0.9));
        Train(net, 0.2f);
        var context = Epoch(trainer, 2, 0.5); // the best
        stop.OnEpochEnd(context);
        var best = Tiny.Weights(net);
        Train(net, 0.3f);
        stop.OnEpochEnd(Epoch(trainer, 3, 0.7));
        Train(net, 0.4f);
        context = Epoch(trainer, 4, 0.8);
        stop.OnEpochEnd(context);

        context.StopTraining.Should().BeTrue();
        stop.BestEpoch.Should().Be(2);
        stop.BestLoss.Should().Be(0.5);
        Tiny.Weights(net).Should().BeEquivalentTo(best, o => o.WithStrictOrdering());
    }

    [Fact]
    public void EarlyStopping_without_restore_leaves_the_last_weights()
    {
        var net = Tiny.Net();
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1));
        var stop = new EarlyStopping(patience: 1);
        stop.OnEpochEnd(Epoch(trainer, 1, 0.5));
        Train(net, 0.3f);
        var last = Tiny.Weights(net);
        var context = Epoch(trainer, 2, 0.6);
        stop.OnEpochEnd(context);
        context.StopTraining.Should().BeTrue();
        Tiny.Weights(net).Should().BeEquivalentTo(last, o => o.WithStrictOrdering());
    }

    [Fact]
    public void ModelCheckpoint_save_best_only_keeps_the_best_epochs_model()
    {
        var net = Tiny.Net();
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1));
        string path = _temp.File("best.safetensors");
        var checkpoint = new ModelCheckpoint(path, saveBestOnly: true);

        checkpoint.OnEpochEnd(Epoch(trainer, 1, 0.9));
        Train(net, 0.1f);
        checkpoint.OnEpochEnd(Epoch(trainer, 2, 0.4));
        var best = Tiny.Weights(net);
        Train(net, 0.1f);
        checkpoint.OnEpochEnd(Epoch(trainer, 3, 0.6));
        checkpoint.OnEpochEnd(Epoch(trainer, 4, double.NaN));

        checkpoint.SavedEpoch.Should().Be(2);
        var loaded = ModelSerializer.Load(path);
        loaded.Parameters.Select(p => p.Value.ToArray()).Should().BeEquivalentTo(best, o => o.WithStrictOrdering());

        var every = new ModelCheckpoint(_temp.File("every.safetensors"));
        every.OnEpochEnd(Epoch(trainer, 5, 0.9));
        every.SavedEpoch.Should().Be(5);
        File.Exists(every.Path).Should().BeTrue();
    }
}
