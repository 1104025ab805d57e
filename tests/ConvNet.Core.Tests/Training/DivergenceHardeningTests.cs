using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Divergence handling: the weights are checked after every step, SkipBatch restores them, a run that only
/// skips ends, and ModelCheckpoint never replaces a good file by a diverged model.</summary>
public sealed class DivergenceHardeningTests : System.IDisposable
{
    private readonly TempDirectory _temp = new("divergence");

    public void Dispose() => _temp.Dispose();

    // Inputs around 1000 make the first-layer gradients ≫ 1, so one step with α = 3e38 overflows the weights to ±∞
    // although the loss and every gradient of that step are finite.
    private static Trainer Overflowing(DivergencePolicy policy, int epochs = 1) =>
        new(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(3e38),
            new TrainingOptions { Epochs = epochs, BatchSize = 8, Seed = 1, OnDivergence = policy, DegreeOfParallelism = 1 });

    [Fact]
    public void SkipBatch_restores_the_weights_when_a_finite_step_overflows_them()
    {
        var trainer = Overflowing(DivergencePolicy.SkipBatch);
        var before = Tiny.Weights(trainer.Network);
        var history = trainer.Fit(Tiny.Data(48, scale: 1000));

        Tiny.AllFinite(trainer.Network).Should().BeTrue("a step that makes the weights non-finite is undone");
        var after = Tiny.Weights(trainer.Network);
        for (int i = 0; i < before.Length; i++)
        {
            after[i].Should().Equal(before[i], $"parameter {i} is back to its value before the skipped steps");
        }

        history.Epochs[0].SkippedBatches.Should().Be(6);
        trainer.Optimizer.Steps.Should().Be(0, "a skipped step does not count (Adam's bias correction depends on it)");
    }

    [Fact]
    public void SkipBatch_also_restores_the_running_statistics_a_NaN_batch_moved()
    {
        var net = new Network(Tiny.Inputs).Add(new ConvNet.Layers.FullyConnected(Tiny.Inputs, 8)).Add(new ConvNet.Layers.BatchNorm1D(8)).Add(new ConvNet.Layers.FullyConnected(8, Tiny.Classes));
        net.Initialize(3);
        var buffers = net.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).ToList();
        var weights = Tiny.Weights(net);
        var nan = new ConvNet.Data.Dataset(Enumerable.Repeat(float.NaN, 16 * Tiny.Inputs).ToArray(), new int[16], [Tiny.Inputs], Tiny.Classes);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Adam(1e-3), new TrainingOptions { Epochs = 1, BatchSize = 8, OnDivergence = DivergencePolicy.SkipBatch, DegreeOfParallelism = 1 });
        trainer.Fit(nan).Epochs[0].SkippedBatches.Should().Be(2);
        net.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).Should().BeEquivalentTo(buffers, o => o.WithStrictOrdering(), "the training Forward's update of the running statistics is undone");
        Tiny.Weights(net).Should().BeEquivalentTo(weights, o => o.WithStrictOrdering());
        trainer.Optimizer.Steps.Should().Be(0);
    }

    [Fact]
    public void Throw_stops_at_the_step_that_overflows_the_weights()
    {
        var trainer = Overflowing(DivergencePolicy.Throw);
        var e = FluentActions.Invoking(() => trainer.Fit(Tiny.Data(48, scale: 1000))).Should().Throw<TrainingDivergedException>().Which;
        e.Batch.Should().Be(1, "the first step's loss and gradients are finite, its result is not");
        e.Message.Should().Contain("weights");
    }

    [Fact]
    public void SkipBatch_gives_up_after_ten_consecutive_skipped_batches_by_default()
    {
        var trainer = Overflowing(DivergencePolicy.SkipBatch, epochs: 3);
        var e = FluentActions.Invoking(() => trainer.Fit(Tiny.Data(48, scale: 1000))).Should().Throw<TrainingDivergedException>().Which;
        e.Message.Should().Contain("10 consecutive");
        (e.Epoch, e.Batch).Should().Be((2, 4), "6 batches per epoch: the 10th skipped batch in a row is batch 4 of epoch 2");
    }

    [Fact]
    public void ModelCheckpoint_keeps_the_previous_good_file_byte_identical_when_the_model_is_not_finite()
    {
        string path = _temp.File("good.safetensors");
        byte[]? afterFirstEpoch = null;
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 2, BatchSize = 8, DegreeOfParallelism = 1 });
        var checkpoint = new ModelCheckpoint(path);
        trainer.Callbacks.Add(new AtEpochEnd(c =>
        {
            if (c.Metrics.Epoch == 2)
            {
                c.Trainer.Network.Parameters[0].Value.AsSpan()[0] = float.NaN;
            }
        }));
        trainer.Callbacks.Add(checkpoint);
        trainer.Callbacks.Add(new AtEpochEnd(c => afterFirstEpoch ??= File.ReadAllBytes(path)));

        trainer.Fit(Tiny.Data(32));

        afterFirstEpoch.Should().NotBeNull();
        File.ReadAllBytes(path).Should().Equal(afterFirstEpoch!, "the diverged model of epoch 2 was not saved over the good file of epoch 1");
        checkpoint.SkippedSaves.Should().Be(1);
        checkpoint.LastSkipReason.Should().Contain("Epoch 2").And.Contain("layer 1.0 (FullyConnected)");
        Directory.GetFiles(_temp.Path).Should().ContainSingle("no temporary file is left behind");
    }

    [Fact]
    public void SkipBatch_gives_up_after_the_configured_number_of_consecutive_skipped_batches()
    {
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(3e38),
            new TrainingOptions { Epochs = 1, BatchSize = 8, OnDivergence = DivergencePolicy.SkipBatch, MaxConsecutiveSkippedBatches = 3, DegreeOfParallelism = 1 });
        var e = FluentActions.Invoking(() => trainer.Fit(Tiny.Data(48, scale: 1000))).Should().Throw<TrainingDivergedException>().Which;
        e.Message.Should().Contain("3 consecutive").And.Contain("MaxConsecutiveSkippedBatches");
        e.Batch.Should().Be(3);
        Tiny.AllFinite(trainer.Network).Should().BeTrue();
        trainer.CompletedBatches.Should().Be(2, "the batch that ended training is not counted as completed");
        FluentActions.Invoking(() => new TrainingOptions { MaxConsecutiveSkippedBatches = 0 }.Validate()).Should().Throw<System.ArgumentOutOfRangeException>()
            .WithParameterName("MaxConsecutiveSkippedBatches");
    }

    [Fact]
    public void Layers_that_share_a_name_are_told_apart_by_their_index()
    {
        var net = new Network(Tiny.Inputs).Add(new ConvNet.Layers.FullyConnected(Tiny.Inputs, 8) { Name = "fc" }).Add(new ConvNet.Layers.ReLU()).Add(new ConvNet.Layers.FullyConnected(8, Tiny.Classes) { Name = "fc" });
        net.Initialize(1);
        net.Parameters[0].Value.AsSpan().Fill(1e36f);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 1, BatchSize = 8, DegreeOfParallelism = 1 });
        var e = FluentActions.Invoking(() => trainer.Fit(Tiny.Data(16, scale: 1000))).Should().Throw<TrainingDivergedException>().Which;
        e.Message.Should().Contain("layer 0 (FullyConnected 'fc')");
        (e.LayerPath, e.LayerType, e.Layer).Should().Be(("0", "FullyConnected", "fc"));
    }

    [Fact]
    public void The_divergence_message_names_a_nested_layer_by_its_path_and_type()
    {
        // Layer 1.0 (the FullyConnected inside the Sequential) overflows its output: every gradient is NaN, and the
        // first parameterized layer is the nested one.
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.01), new TrainingOptions { Epochs = 1, BatchSize = 8, DegreeOfParallelism = 1 });
        trainer.Network.Parameters[0].Value.AsSpan().Fill(1e36f);
        var e = FluentActions.Invoking(() => trainer.Fit(Tiny.Data(16, scale: 1000))).Should().Throw<TrainingDivergedException>().Which;
        e.Message.Should().Contain("layer 1.0 (FullyConnected)");
        (e.LayerPath, e.LayerType).Should().Be(("1.0", "FullyConnected"));
    }

    internal sealed class AtEpochEnd(System.Action<EpochContext> action) : TrainingCallback
    {
        public override void OnEpochEnd(EpochContext context) => action(context);
    }
}
