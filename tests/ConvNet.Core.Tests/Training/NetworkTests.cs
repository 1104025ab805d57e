using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Layers;
using ConvNet.Models;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

public class NetworkTests
{
    [Fact]
    public void A_layer_that_does_not_fit_fails_at_Add_naming_both_layers_and_shapes()
    {
        var net = new Network(1, 28, 28).Add(new Conv2D(1, 6, 5) { Name = "C1" });
        FluentActions.Invoking(() => net.Add(new Conv2D(3, 16, 5) { Name = "C3" }))
            .Should().Throw<ArgumentException>().WithMessage("*'C3'*[6, 24, 24]*'C1'*3 input channels*actual 6*");
        FluentActions.Invoking(() => new Network(1, 28, 28).Add(new FullyConnected(10, 2)))
            .Should().Throw<ArgumentException>().WithMessage("*network input*[10]*[1, 28, 28]*");
    }

    [Fact]
    public void Summary_lists_layers_shapes_and_parameters_like_keras()
    {
        var s = LeNet5.Modern().Summary();
        s.Should().Contain("C1 (Conv2D)").And.Contain("(None, 6, 28, 28)").And.Contain("156").And.Contain("Total params: 61,706");
        LeNet5.Classic().ParameterCount.Should().Be(156 + 1516 + 48120 + 10164 + 850);
    }

    [Fact]
    public void Initialize_with_a_seed_is_reproducible()
    {
        var a = LeNet5.Modern(seed: 5);
        var b = LeNet5.Modern(seed: 5);
        var c = LeNet5.Modern(seed: 6);
        a.Parameters[0].Value.ToArray().Should().Equal(b.Parameters[0].Value.ToArray());
        a.Parameters[0].Value.ToArray().Should().NotEqual(c.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Predict_of_one_sample_equals_the_batch_prediction()
    {
        var net = LeNet5.Modern(seed: 1);
        var rng = new Random(1);
        var x = new Tensor(3, 1, 28, 28);
        for (int i = 0; i < x.Length; i++)
        {
            x.AsSpan()[i] = (float)rng.NextDouble();
        }

        var batch = net.Predict(x);
        var one = net.Predict(x.AsSpan().Slice(28 * 28, 28 * 28));
        one.Should().Equal(batch.AsSpan().Slice(10, 10).ToArray());
        net.PredictClasses(x).Should().HaveCount(3);
    }

    [Fact]
    public void Predict_from_eight_threads_matches_sequential_results()
    {
        var net = LeNet5.Modern(seed: 1);
        var inputs = new Tensor[8];
        var expected = new float[8][];
        var rng = new Random(2);
        for (int t = 0; t < 8; t++)
        {
            inputs[t] = new Tensor(1 + (t % 3), 1, 28, 28);
            for (int i = 0; i < inputs[t].Length; i++)
            {
                inputs[t].AsSpan()[i] = (float)rng.NextDouble();
            }

            expected[t] = net.Predict(inputs[t]).ToArray();
        }

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int k = 0; k < 1000; k++)
            {
                var y = net.Predict(inputs[t]).ToArray();
                if (!y.AsSpan().SequenceEqual(expected[t]))
                {
                    throw new InvalidOperationException($"thread {t} call {k} differs");
                }
            }
        });
    }

    [Fact]
    public void Predict_during_a_training_step_is_refused_rather_than_corrupting_it()
    {
        var net = LeNet5.Modern(seed: 1);
        var x = new Tensor(2, 1, 28, 28);
        var y = net.Forward(x);
        FluentActions.Invoking(() => net.Predict(x)).Should().Throw<InvalidOperationException>().WithMessage("*training step*");
        net.Backward(new Tensor(y.Shape.ToArray()));
        net.Predict(x).Shape.ToArray().Should().Equal(2, 10);
    }

    [Fact]
    public void Backward_without_forward_and_wrong_input_are_rejected()
    {
        var net = LeNet5.Modern();
        FluentActions.Invoking(() => net.Backward(new Tensor(2, 10))).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => net.Forward(new Tensor(2, 1, 27, 28))).Should().Throw<ArgumentException>().WithMessage("*[N, 1, 28, 28]*[2, 1, 27, 28]*");
        FluentActions.Invoking(() => new Network(1, 0)).Should().Throw<ArgumentException>();
    }
}

public class ConcurrentTrainingTests
{
    [Fact]
    public async Task Predict_from_four_threads_while_training_either_waits_or_reports_a_clear_error_never_garbage()
    {
        var net = LeNet5.Modern(seed: 1);
        var train = ConvNet.Core.Tests.Infrastructure.ShippedData.Train.Subset(0, 512);
        var x = new Tensor(2, 1, 28, 28);
        var trainer = new ConvNet.Training.Trainer(net, new ConvNet.Losses.SoftmaxCrossEntropy(), new ConvNet.Optimizers.Sgd(0.01, 0.9),
            new ConvNet.Training.TrainingOptions { Epochs = 2, BatchSize = 32 });
        int predictions = 0, refused = 0;
        var training = Task.Run(() => trainer.Fit(train));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!training.IsCompleted)
            {
                try
                {
                    var y = net.Predict(x).ToArray();
                    y.Should().OnlyContain(v => float.IsFinite(v));
                    Interlocked.Increment(ref predictions);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("training step", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToArray();
        await Task.WhenAll(readers);
        (await training).Epochs.Should().HaveCount(2);
        predictions.Should().BeGreaterThan(0);
    }
}
