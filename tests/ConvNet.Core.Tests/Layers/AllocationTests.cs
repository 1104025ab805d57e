using System;
using ConvNet.Layers;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>After a warm-up call, Forward and Backward allocate nothing (single- and multi-threaded).</summary>
public class AllocationTests
{
    private static long Measure(Action action)
    {
        // Warm-up until tiered compilation has settled (call counting starts after 100 ms and promotes after 30 calls;
        // the runtime's own bookkeeping for a promotion can land on whichever thread made the counted call).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 40 || clock.ElapsedMilliseconds < 300; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static TheoryData<string> LayerNames() => new() { "conv", "convC3", "conv3d", "pointwise", "winograd2", "winograd4", "bnrelu", "fc", "relu", "sigmoid", "tanh", "maxpool", "avgpool", "flatten" };

    private static (Layer Layer, int[] Shape) Make(string name) => name switch
    {
        "conv" => (new Conv2D(1, 6, 5, padding: Padding.Same), [8, 1, 28, 28]),
        "convC3" => (new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3), [8, 6, 14, 14]),
        "conv3d" => (new Conv3D(2, 3, 3, stride: 2), [4, 2, 7, 7, 7]),
        "pointwise" => (new Conv2D(16, 32, 1), [8, 16, 14, 14]),
        "winograd2" => (new Conv2D(8, 8, 3, padding: Padding.Same) { WinogradMinimumChannels = 4, WinogradTile = 2 }, [4, 8, 16, 16]),
        "winograd4" => (new Conv2D(8, 8, 3, padding: Padding.Same) { WinogradMinimumChannels = 4, WinogradTile = 4 }, [4, 8, 16, 16]),
        "bnrelu" => (new Sequential(new BatchNorm2D(6), new ReLU()), [8, 6, 14, 14]),
        "fc" => (new FullyConnected(400, 120), [8, 400]),
        // Large enough for the element-wise and pooling layers to split over the worker pool with 2 threads.
        "relu" => (new ReLU(), [8, 20000]),
        "sigmoid" => (new Sigmoid(), [8, 20000]),
        "tanh" => (new Tanh(), [8, 20000]),
        "maxpool" => (new MaxPool2D(2), [16, 6, 28, 28]),
        "avgpool" => (new AveragePool2D(2), [16, 6, 28, 28]),
        _ => (new Flatten(), [8, 16, 5, 5]),
    };

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Forward_and_backward_allocate_nothing_after_warm_up(string name)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            var (layer, shape) = Make(name);
            layer.DegreeOfParallelism = threads;
            var x = new Tensor(shape);
            var y = new Tensor(Layer.BatchShape(shape[0], layer.GetOutputShape(shape.AsSpan(1))));
            var dy = new Tensor(y.Shape.ToArray());
            var dx = new Tensor(shape);
            Measure(() =>
            {
                layer.Forward(x, y);
                layer.Backward(x, y, dy, dx);
            }).Should().Be(0, $"{name} with {threads} thread(s)");
        }
    }

    [Fact]
    public void Losses_allocate_nothing()
    {
        var y = new Tensor(64, 10);
        var g = new Tensor(64, 10);
        var labels = new int[64];
        var ce = new SoftmaxCrossEntropy();
        Measure(() =>
        {
            ce.Forward(y, labels);
            ce.Backward(y, labels, g);
        }).Should().Be(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Predict_into_a_tensor_allocates_nothing_for_nested_blocks_in_either_mode(bool training)
    {
        // ResNet-20: Sequential/Residual blocks, whose mode Predict switches off and back on every call in training mode.
        var net = Models.ResNet.ResNet20(seed: 1);
        net.DegreeOfParallelism = 1;
        net.SetTraining(training);
        var x = new Tensor(2, 1, 28, 28);
        var y = new Tensor(2, 10);
        Measure(() => net.Predict(x, y)).Should().Be(0);
        net.IsTraining.Should().Be(training);
    }
}
