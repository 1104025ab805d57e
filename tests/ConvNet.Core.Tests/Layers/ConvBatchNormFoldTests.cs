using System;
using System.Collections.Generic;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Models;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// During <see cref="Network.Predict(Tensor)"/> a convolution followed by an inference BatchNorm (and a ReLU) applies
/// the normalization to each output sample as its engine finishes it, and the convolution's own output is never
/// stored. It must give the bits of the layers run one after the other (an eval-mode <see cref="Network.Forward(Tensor)"/>,
/// which never folds, since a Backward may follow it) for every engine, batch size and thread count, and must not fold
/// where the BatchNorm is not a fixed map (no running statistics).
/// </summary>
public class ConvBatchNormFoldTests
{
    public static TheoryData<string> Models() => new() { "resnet20", "resnext" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_gives_the_bits_of_the_layer_by_layer_eval_forward(string model)
    {
        var net = model == "resnet20" ? ResNet.ResNet20(3) : ResNet.ResNeXt(3);
        Randomize(net, new Random(8));
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in new[] { 1, 3 })
            {
                net.DegreeOfParallelism = threads;
                var x = TestTensors.Uniform(new Random(batch), batch, 1, 28, 28);
                net.SetTraining(false);
                var reference = Bits(net.Forward(x));
                Convolutions(net.Layers).Should().OnlyContain(c => !c.LastForwardNormalized, "an eval-mode Forward keeps every output for a Backward");
                net.Backward(new Tensor(batch, 10));
                net.SetTraining(true);

                var predicted = net.Predict(x);
                net.IsTraining.Should().BeTrue("Predict restores the mode");
                var folded = Convolutions(net.Layers).Count(c => c.LastForwardNormalized);
                folded.Should().BeGreaterThan(Convolutions(net.Layers).Count() / 2, $"{model}: most convolutions are followed by a BatchNorm");
                Bits(predicted).Should().Equal(reference, $"{model}, batch {batch}, {threads} threads");
            }
        }
    }

    [Theory]
    [InlineData("implicit")]
    [InlineData("im2col")]
    [InlineData("pointwise")]
    [InlineData("block-sparse")]
    [InlineData("winograd")]
    [InlineData("conv1d")]
    [InlineData("conv3d")]
    public void Every_engine_folds_to_the_same_bits_with_and_without_a_relu(string engine)
    {
        foreach (bool relu in new[] { true, false })
        {
            foreach (int batch in new[] { 1, 4 })
            {
                var (conv, norm, sample) = Build(engine);
                var layers = new List<Layer> { conv, norm };
                if (relu)
                {
                    layers.Add(new ReLU());
                }

                var net = new Network(sample);
                foreach (var l in layers)
                {
                    net.Add(l);
                }

                Randomize(net, new Random(4));
                net.DegreeOfParallelism = 2;
                var x = TestTensors.Uniform(new Random(6), [batch, .. sample]);
                net.SetTraining(false);
                var reference = Bits(net.Forward(x));
                net.Backward(TestTensors.Uniform(new Random(7), [batch, .. net.OutputShape]));
                var predicted = net.Predict(x);
                conv.LastForwardNormalized.Should().BeTrue($"{engine} relu={relu}");
                Bits(predicted).Should().Equal(reference, $"{engine} relu={relu} batch {batch}");
                if (relu)
                {
                    predicted.ToArray().Should().Contain(0f).And.Contain(v => v > 0, "the ReLU cut some values");
                }
            }
        }
    }

    [Fact]
    public void A_batch_norm_without_running_statistics_is_not_folded()
    {
        // Its inference pass uses the batch's own statistics: not a fixed per-channel map.
        var conv = new Conv2D(2, 4, 3, padding: Padding.Same, seed: 2);
        var net = new Network(2, 6, 6).Add(conv).Add(new BatchNorm2D(4, trackRunningStats: false)).Add(new ReLU());
        var x = TestTensors.Uniform(new Random(3), 3, 2, 6, 6);
        net.SetTraining(false);
        var reference = Bits(net.Forward(x));
        net.Backward(new Tensor(3, 4, 6, 6));
        Bits(net.Predict(x)).Should().Equal(reference);
        conv.LastForwardNormalized.Should().BeFalse();
    }

    [Fact]
    public void Nothing_folds_inside_a_container_of_the_users_that_may_run_a_backward_in_its_forward()
    {
        // An input-gradient layer runs its child's Backward inside its Forward, which needs every output the fold
        // skips (found by a review: a fresh network threw, a used one returned the bits of an older input).
        var conv = new Conv2D(2, 3, 3, padding: Padding.Same, seed: 1);
        var inner = new Sequential(conv, new BatchNorm2D(3), new ReLU(), new Conv2D(3, 2, 3, padding: Padding.Same, seed: 2));
        var net = new Network(2, 6, 6).Add(new InputGradientBlock(inner));
        Randomize(net, new Random(5));
        var x = TestTensors.Uniform(new Random(1), 2, 2, 6, 6);
        net.SetTraining(false);
        net.Layers[0].Forward(TestTensors.Uniform(new Random(2), 2, 2, 6, 6), new Tensor(2, 2, 6, 6));
        var reference = Bits(net.Layers[0].Forward(x));
        net.Layers[0].Forward(TestTensors.Uniform(new Random(3), 2, 2, 6, 6), new Tensor(2, 2, 6, 6));
        Bits(net.Predict(x)).Should().Equal(reference);
        conv.LastForwardNormalized.Should().BeFalse();
    }

    private sealed class InputGradientBlock(Layer inner) : Block("InputGradient", [inner])
    {
        private Tensor? _y, _ones;

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output)
        {
            var shape = BatchShape(input.Shape[0], Children[0].GetOutputShape(input.Shape[1..]));
            if (_y is null || !_y.HasShape(shape))
            {
                (_y, _ones) = (new Tensor(shape), new Tensor(shape));
                _ones.AsSpan().Fill(1f);
            }

            Children[0].Forward(input, _y);
            Children[0].Backward(input, _y, _ones!, output);
        }

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
            throw new NotSupportedException();
    }

    private static (ConvolutionND Conv, BatchNorm Norm, int[] Sample) Build(string engine) => engine switch
    {
        "implicit" => (new Conv2D(3, 8, 3, padding: Padding.Same, seed: 1), new BatchNorm2D(8), [3, 9, 9]),
        "im2col" => (new Conv2D(3, 8, 3, stride: 2, padding: Padding.Same, seed: 1), new BatchNorm2D(8), [3, 9, 9]),
        "pointwise" => (new Conv2D(5, 8, 1, seed: 1), new BatchNorm2D(8), [5, 6, 6]),
        "block-sparse" => (new Conv2D(8, 8, 3, padding: Padding.Same, connections: ConnectionTable.Groups(8, 8, 4), seed: 1), new BatchNorm2D(8), [8, 7, 7]),
        "winograd" => (new Conv2D(4, 4, 3, padding: Padding.Same, seed: 1) { WinogradMinimumChannels = 4 }, new BatchNorm2D(4), [4, 18, 18]),
        "conv1d" => (new Conv1D(3, 6, 5, padding: Padding.Same, seed: 1), new BatchNorm1D(6), [3, 20]),
        _ => (new Conv3D(2, 4, 3, padding: Padding.Same, seed: 1), new BatchNorm3D(4), [2, 4, 5, 6]),
    };

    private static void Randomize(Network net, Random r)
    {
        // Running statistics and affine parameters far from their initial 0/1, so that the fold has work to do.
        foreach (var norm in All(net.Layers).OfType<BatchNorm>())
        {
            Fill(norm.RunningMean?.Value, r, -0.5, 0.5);
            Fill(norm.RunningVar?.Value, r, 0.3, 2.0);
            Fill(norm.Weight?.Value, r, 0.5, 1.5);
            Fill(norm.Bias?.Value, r, -0.5, 0.5);
        }

        foreach (var conv in All(net.Layers).OfType<ConvolutionND>())
        {
            Fill(conv.Bias?.Value, r, -0.2, 0.2);
        }
    }

    private static void Fill(Tensor? t, Random r, double lo, double hi)
    {
        if (t is null)
        {
            return;
        }

        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)(lo + ((hi - lo) * r.NextDouble()));
        }
    }

    private static IEnumerable<Layer> All(IEnumerable<Layer> layers) => layers.SelectMany(l => new[] { l }.Concat(All(l.Children)));

    private static IEnumerable<ConvolutionND> Convolutions(IEnumerable<Layer> layers) => All(layers).OfType<ConvolutionND>();

    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
