using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using ConvNet.Models;
using ConvNet.Onnx;

namespace ConvNet.Bench;

/// <summary>
/// ResNet-20 inference at batch 1 and 256, built natively and imported from ONNX (the native network exported and
/// imported again, so both have the same weights and architecture): the import builds the same layers, so the two
/// should run at the same speed.
/// </summary>
public class OnnxImportBenchmarks
{
    private Network _net = null!;
    private Tensor _x1 = null!, _x256 = null!, _y1 = null!, _y256 = null!;

    [Params("native", "imported")]
    public string Source { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var native = ResNet.ResNet20(1);
        if (Source == "native")
        {
            _net = native;
        }
        else
        {
            string path = Path.Combine(Path.GetTempPath(), $"convnet-bench-{Guid.NewGuid():N}.onnx");
            try
            {
                OnnxExporter.Export(native, path);
                _net = OnnxImporter.Load(path);
            }
            finally
            {
                File.Delete(path);
            }
        }

        _net.DegreeOfParallelism = Threads;
        var rng = new Random(1);
        _x1 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 784), 1, 1, 28, 28);
        _x256 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 256 * 784), 256, 1, 28, 28);
        _y1 = new Tensor(1, 10);
        _y256 = new Tensor(256, 10);
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = parameter;
        return (method == nameof(Inference1) ? 1 : 256, "img/s");
    }

    [Benchmark]
    public void Inference1() => _net.Predict(_x1, _y1);

    [Benchmark]
    public void Inference256() => _net.Predict(_x256, _y256);
}
