using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Signal;

namespace ConvNet.Bench;

/// <summary>Signal.Convolution against a plain scalar loop, in the same run (issue: foundation).</summary>
public class ConvolutionBenchmarks
{
    private float[] _f = [], _g = [], _out = [];
    private int[] _fs = [], _gs = [];
    private ConvolutionMode _mode;

    [Params("2D 256x256 k5 valid", "1D 65536 k31 full", "3D 32^3 k3^3 same")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (_fs, _gs, _mode) = Case switch
        {
            "2D 256x256 k5 valid" => (new[] { 256, 256 }, new[] { 5, 5 }, ConvolutionMode.Valid),
            "1D 65536 k31 full" => (new[] { 65536 }, new[] { 31 }, ConvolutionMode.Full),
            _ => (new[] { 32, 32, 32 }, new[] { 3, 3, 3 }, ConvolutionMode.Same),
        };
        var rng = new Random(1);
        _f = Fill(rng, Product(_fs));
        _g = Fill(rng, Product(_gs));
        var outShape = Convolution.OutputShape(_fs, _gs, _mode);
        _out = new float[Product(outShape)];
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = method;
        (int[] f, int[] g, ConvolutionMode m) = (string)parameter(nameof(Case))! switch
        {
            "2D 256x256 k5 valid" => (new[] { 256, 256 }, new[] { 5, 5 }, ConvolutionMode.Valid),
            "1D 65536 k31 full" => (new[] { 65536 }, new[] { 31 }, ConvolutionMode.Full),
            _ => (new[] { 32, 32, 32 }, new[] { 3, 3, 3 }, ConvolutionMode.Same),
        };
        return (2.0 * Product(Convolution.OutputShape(f, g, m)) * Product(g), "GFLOP/s");
    }

    [Benchmark]
    public void Simd() => Convolution.Convolve(_f, _fs, _g, _gs, _out, _mode);

    /// <summary>The textbook loop: every output, every kernel tap, bounds checked.</summary>
    [Benchmark(Baseline = true)]
    public void ScalarLoop()
    {
        int r = _fs.Length;
        int[] F = Pad(_fs), G = Pad(_gs), O = Pad(Convolution.OutputShape(_fs, _gs, _mode));
        int[] start = new int[3];
        for (int i = 0; i < 3; i++)
        {
            start[i] = _mode switch
            {
                ConvolutionMode.Full => 0,
                ConvolutionMode.Same => (G[i] - 1) / 2,
                _ => G[i] - 1,
            };
        }

        _ = r;
        for (int a = 0; a < O[0]; a++)
        {
            for (int b = 0; b < O[1]; b++)
            {
                for (int c = 0; c < O[2]; c++)
                {
                    float s = 0;
                    for (int i = 0; i < G[0]; i++)
                    {
                        int x0 = a + start[0] - i;
                        if ((uint)x0 >= (uint)F[0])
                        {
                            continue;
                        }

                        for (int j = 0; j < G[1]; j++)
                        {
                            int x1 = b + start[1] - j;
                            if ((uint)x1 >= (uint)F[1])
                            {
                                continue;
                            }

                            for (int k = 0; k < G[2]; k++)
                            {
                                int x2 = c + start[2] - k;
                                if ((uint)x2 < (uint)F[2])
                                {
                                    s += _f[(((x0 * F[1]) + x1) * F[2]) + x2] * _g[(((i * G[1]) + j) * G[2]) + k];
                                }
                            }
                        }
                    }

                    _out[(((a * O[1]) + b) * O[2]) + c] = s;
                }
            }
        }
    }

    internal static int Product(int[] s)
    {
        int p = 1;
        foreach (int d in s)
        {
            p *= d;
        }

        return p;
    }

    internal static float[] Fill(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)(rng.NextDouble() - 0.5);
        }

        return a;
    }

    private static int[] Pad(int[] s) => s.Length switch
    {
        1 => [1, 1, s[0]],
        2 => [1, s[0], s[1]],
        _ => s,
    };
}
