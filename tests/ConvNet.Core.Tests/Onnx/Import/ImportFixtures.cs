using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>The PyTorch-made fixtures in TestData/onnx-import (see make_fixtures.py there) and ONNX Runtime helpers.</summary>
internal static class ImportFixtures
{
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "onnx-import");

    public static string ModelPath(string name) => Path.Combine(Folder, name + ".onnx");

    /// <summary>PyTorch's fixed input and its eval-mode output, with their shapes from fixtures.json.</summary>
    public static (Tensor Input, Tensor Output) Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "fixtures.json")));
        var entry = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);
        int[] inShape = entry.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] outShape = entry.GetProperty("output").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (Tensor.FromData(ReadFloats(name + ".input.bin"), inShape), Tensor.FromData(ReadFloats(name + ".output.bin"), outShape));
    }

    public static float[] ReadFloats(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        var r = new float[bytes.Length / 4];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = BitConverter.ToSingle(bytes, 4 * i);
        }

        return r;
    }

    public static float[] RunOrt(byte[] model, string inputName, Tensor x)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<float>(x.ToArray(), x.Shape.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>max |a − b| divided by the output scale max(1, max |b|).</summary>
    public static double RelativeMaxDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"lengths differ: {a.Length} vs {b.Length}");
        }

        double scale = Math.Max(1.0, b.Max(v => Math.Abs((double)v)));
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max() / scale;
    }
}
