using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Layers;

namespace ConvNet.Bench;

/// <summary>
/// 3×3 stride-1 convolutions, one thread, batch 16: the direct implicit GEMM against Winograd F(2×2, 3×3) and
/// F(4×4, 3×3) on the same layer, forward and forward + backward (δx and ∂E/∂W). Throughput counts the direct product's
/// FLOPs, so the Winograd rows read as "effective" GFLOP/s and their ratios to the direct row as the speed-up.
/// </summary>
public class WinogradBenchmarks
{
    private Conv2D _layer = null!;
    private Tensor _x = null!, _y = null!, _dy = null!, _dx = null!;

    [Params("N16 64->64 56x56", "N16 128->128 28x28")]
    public string Case { get; set; } = "";

    [Params("direct", "F2x2", "F4x4")]
    public string Engine { get; set; } = "";

    private static (int Maps, int Size) Of(string c) => c == "N16 64->64 56x56" ? (64, 56) : (128, 28);

    [GlobalSetup]
    public void Setup()
    {
        var (maps, size) = Of(Case);
        _layer = new Conv2D(maps, maps, 3, padding: Padding.Same, useBias: false)
        {
            DegreeOfParallelism = 1,
            AllowWinograd = Engine != "direct",
            WinogradTile = Engine == "F2x2" ? 2 : 4,
        };
        int[] shape = [16, maps, size, size];
        var rng = new Random(1);
        _x = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, ConvolutionBenchmarks.Product(shape)), shape);
        _y = _layer.Forward(_x);
        if ((Engine == "direct") == _layer.UsesWinograd)
        {
            throw new InvalidOperationException($"{Engine} did not run the engine it names");
        }

        _dy = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, _y.Length), _y.Shape.ToArray());
        _dx = new Tensor(shape);
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        var (maps, size) = Of((string)parameter(nameof(Case))!);
        double macs = 16.0 * maps * maps * size * size * 9;
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
