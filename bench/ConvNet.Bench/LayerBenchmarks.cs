using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Layers;

namespace ConvNet.Bench;

/// <summary>Conv2D forward and forward+backward on the shapes of the layers issue; FC and max-pool; one thread and two.</summary>
public class LayerBenchmarks
{
    private Layer _layer = null!;
    private Tensor _x = null!, _y = null!, _dy = null!, _dx = null!;

    [Params("conv N64 1->6 28x28 k5 pad2", "conv N64 6->16 12x12 k5 C3", "conv N64 6->16 12x12 k5 full", "conv N16 64->64 56x56 k3 same", "conv N16 64->64 28x28 k3 groups4", "fc N64 400->120", "maxpool N64 6x28x28 2x2")]
    public string Case { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (Layer layer, int[] shape, double macs) = Case switch
        {
            "conv N64 1->6 28x28 k5 pad2" => ((Layer)new Conv2D(1, 6, 5, padding: Padding.Same), new[] { 64, 1, 28, 28 }, 64.0 * 6 * 28 * 28 * 25),
            "conv N64 6->16 12x12 k5 C3" => (new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3), new[] { 64, 6, 12, 12 }, 64.0 * 60 * 8 * 8 * 25),
            "conv N64 6->16 12x12 k5 full" => (new Conv2D(6, 16, 5), new[] { 64, 6, 12, 12 }, 64.0 * 96 * 8 * 8 * 25),
            "conv N16 64->64 56x56 k3 same" => (new Conv2D(64, 64, 3, padding: Padding.Same), new[] { 16, 64, 56, 56 }, 16.0 * 64 * 64 * 56 * 56 * 9),
            "conv N16 64->64 28x28 k3 groups4" => (new Conv2D(64, 64, 3, padding: Padding.Same, connections: ConnectionTable.Groups(64, 64, 4)), new[] { 16, 64, 28, 28 }, 16.0 * 64 * 16 * 28 * 28 * 9),
            "fc N64 400->120" => (new FullyConnected(400, 120), new[] { 64, 400 }, 64.0 * 400 * 120),
            _ => (new MaxPool2D(2), new[] { 64, 6, 28, 28 }, 0),
        };
        _layer = layer;
        _layer.DegreeOfParallelism = Threads;
        var rng = new Random(1);
        _x = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, ConvolutionBenchmarks.Product(shape)), shape);
        _y = _layer.Forward(_x);
        _dy = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, _y.Length), _y.Shape.ToArray());
        _dx = new Tensor(shape);
        _ = macs;
    }

    /// <summary>Multiply-adds of the forward pass (backward: twice that again), or images for layers without products.</summary>
    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        double macs = (string)parameter(nameof(Case))! switch
        {
            "conv N64 1->6 28x28 k5 pad2" => 64.0 * 6 * 28 * 28 * 25,
            "conv N64 6->16 12x12 k5 C3" => 64.0 * 60 * 8 * 8 * 25,
            "conv N64 6->16 12x12 k5 full" => 64.0 * 96 * 8 * 8 * 25,
            "conv N16 64->64 56x56 k3 same" => 16.0 * 64 * 64 * 56 * 56 * 9,
            "conv N16 64->64 28x28 k3 groups4" => 16.0 * 64 * 16 * 28 * 28 * 9,
            "fc N64 400->120" => 64.0 * 400 * 120,
            _ => 0,
        };
        return macs == 0 ? (64, "img/s") : ((method == nameof(Forward) ? 2 : 6) * macs, "GFLOP/s");
    }

    [Benchmark]
    public void Forward() => _layer.Forward(_x, _y);

    [Benchmark]
    public void ForwardBackward()
    {
        _layer.Forward(_x, _y);
        _layer.Backward(_x, _y, _dy, _dx);
    }
}
