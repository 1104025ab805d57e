using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ConvNet.Kernels;

namespace ConvNet.Bench;

/// <summary>Our SGEMM (packed, and the previous unpacked kernel) against the TensorPrimitives row loop.</summary>
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params(128, 256, 512, 1024, 2048)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = ConvolutionBenchmarks.Fill(rng, N * N);
        _b = ConvolutionBenchmarks.Fill(rng, N * N);
        _c = new float[N * N];
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = method;
        double n = (int)parameter(nameof(N))!;
        return (2 * n * n * n, "GFLOP/s");
    }

    [Benchmark]
    public void Ours() => Gemm.Multiply(false, false, N, N, N, _a, N, _b, N, _c, N, accumulate: false);

    /// <summary>Our previous kernel (register-blocked 4 × 32, no packing): the "ours before" baseline.</summary>
    [Benchmark]
    public void OursUnpacked() => Gemm.Unpacked(false, false, N, N, N, _a, N, _b, N, _c, N, accumulate: false);

    /// <summary>Aᵀ·B (the weight gradient's form) through the packing.</summary>
    [Benchmark]
    public void OursTransA() => Gemm.Multiply(true, false, N, N, N, _a, N, _b, N, _c, N, accumulate: false);

    /// <summary>A·Bᵀ (the local sensitivity's form) through the packing.</summary>
    [Benchmark]
    public void OursTransB() => Gemm.Multiply(false, true, N, N, N, _a, N, _b, N, _c, N, accumulate: false);

    [Benchmark]
    public void OursTwoThreads() => Gemm.MultiplyParallel(false, false, N, N, N, _a, N, _b, N, _c, N, accumulate: false, degreeOfParallelism: 2);

    /// <summary>C_i += a_ik · B_k with TensorPrimitives.MultiplyAdd per row: the straightforward vectorized loop.</summary>
    [Benchmark(Baseline = true)]
    public void TensorPrimitivesRows()
    {
        Array.Clear(_c);
        for (int i = 0; i < N; i++)
        {
            Span<float> c = _c.AsSpan(i * N, N);
            for (int k = 0; k < N; k++)
            {
                TensorPrimitives.MultiplyAdd(_b.AsSpan(k * N, N), _a[(i * N) + k], c, c);
            }
        }
    }
}

/// <summary>Our SGEMM against the naive triple loop, at the sizes where the naive loop finishes in reasonable time.</summary>
public class NaiveGemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params(128, 256)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = ConvolutionBenchmarks.Fill(rng, N * N);
        _b = ConvolutionBenchmarks.Fill(rng, N * N);
        _c = new float[N * N];
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = method;
        double n = (int)parameter(nameof(N))!;
        return (2 * n * n * n, "GFLOP/s");
    }

    [Benchmark]
    public void OursVsNaive() => Gemm.Multiply(false, false, N, N, N, _a, N, _b, N, _c, N, accumulate: false);

    [Benchmark(Baseline = true)]
    public void Naive()
    {
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                float s = 0;
                for (int k = 0; k < N; k++)
                {
                    s += _a[(i * N) + k] * _b[(k * N) + j];
                }

                _c[(i * N) + j] = s;
            }
        }
    }
}

/// <summary>
/// The products the layers actually run: LeNet's F5 forward (x·Wᵀ) and weight gradient (δᵀ·x), and ResNet 3×3
/// convolutions as im2col GEMMs; ours against our previous (unpacked) kernel.
/// </summary>
public class GemmShapeBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params("lenet-f5-forward", "lenet-f5-dw", "resnet-64x56x56-3x3", "resnet-256x14x14-3x3")]
    public string Shape { get; set; } = "";

    private (int M, int N, int K, bool TransA, bool TransB) Dims => Of(Shape);

    private static (int M, int N, int K, bool TransA, bool TransB) Of(string shape) => shape switch
    {
        "lenet-f5-forward" => (64, 120, 400, false, true),
        "lenet-f5-dw" => (120, 400, 64, true, false),
        "resnet-64x56x56-3x3" => (64, 56 * 56, 64 * 9, false, false),
        _ => (256, 14 * 14, 256 * 9, false, false),
    };

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k, _, _) = Dims;
        var rng = new Random(1);
        _a = ConvolutionBenchmarks.Fill(rng, m * k);
        _b = ConvolutionBenchmarks.Fill(rng, k * n);
        _c = new float[m * n];
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = method;
        var (m, n, k, _, _) = Of((string)parameter(nameof(Shape))!);
        return (2.0 * m * n * k, "GFLOP/s");
    }

    [Benchmark]
    public void Ours()
    {
        var (m, n, k, ta, tb) = Dims;
        Gemm.Multiply(ta, tb, m, n, k, _a, ta ? m : k, _b, tb ? k : n, _c, n, accumulate: false);
    }

    [Benchmark(Baseline = true)]
    public void OursUnpacked()
    {
        var (m, n, k, ta, tb) = Dims;
        Gemm.Unpacked(ta, tb, m, n, k, _a, ta ? m : k, _b, tb ? k : n, _c, n, accumulate: false);
    }

    /// <summary>The same product split over two threads (LeNet's products are below the size that pays for it and run
    /// on one).</summary>
    [Benchmark]
    public void OursTwoThreads()
    {
        var (m, n, k, ta, tb) = Dims;
        Gemm.MultiplyParallel(ta, tb, m, n, k, _a, ta ? m : k, _b, tb ? k : n, _c, n, accumulate: false, degreeOfParallelism: 2);
    }
}
