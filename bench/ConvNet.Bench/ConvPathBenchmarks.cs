using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Layers;

namespace ConvNet.Bench;

/// <summary>
/// The stride-1 convolution paths side by side, one thread: the implicit GEMM (ours) against our previous path,
/// im2col + GEMM on the same layer, forward and forward + backward.
/// </summary>
public class ConvPathBenchmarks
{
    private Conv2D _layer = null!;
    private Tensor _x = null!, _y = null!, _dy = null!, _dx = null!;

    [Params("C1 N64 1->6 28x28 k5 pad2", "C3 N64 6->16 14x14 k5", "N16 64->64 56x56 k3 same")]
    public string Case { get; set; } = "";

    [Params(true, false)]
    public bool Implicit { get; set; }

    private static (Func<Conv2D> Make, int[] Shape, double Macs) Of(string c) => c switch
    {
        "C1 N64 1->6 28x28 k5 pad2" => (() => new Conv2D(1, 6, 5, padding: Padding.Same), [64, 1, 28, 28], 64.0 * 6 * 28 * 28 * 25),
        "C3 N64 6->16 14x14 k5" => (() => new Conv2D(6, 16, 5), [64, 6, 14, 14], 64.0 * 96 * 10 * 10 * 25),
        _ => (() => new Conv2D(64, 64, 3, padding: Padding.Same), [16, 64, 56, 56], 16.0 * 64 * 64 * 56 * 56 * 9),
    };

    [GlobalSetup]
    public void Setup()
    {
        var (make, shape, _) = Of(Case);
        _layer = make();
        _layer.DegreeOfParallelism = 1;
        _layer.AllowImplicitGemm = Implicit;
        var rng = new Random(1);
        _x = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, ConvolutionBenchmarks.Product(shape)), shape);
        _y = _layer.Forward(_x);
        _dy = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, _y.Length), _y.Shape.ToArray());
        _dx = new Tensor(shape);
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        double macs = Of((string)parameter(nameof(Case))!).Macs;
        return ((method == nameof(Forward) ? 2 : 6) * macs, "GFLOP/s");
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
