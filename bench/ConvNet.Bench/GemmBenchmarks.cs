using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ConvNet.Kernels;

namespace ConvNet.Bench;

/// <summary>Our SGEMM against the TensorPrimitives row loop.</summary>
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
