using System;
using System.IO;
using ConvNet;
using ConvNet.Models;
using ConvNet.Onnx;

// The ONNX package as a user gets it: export a LeNet-5, import the file back, and predict the same values.
var net = LeNet5.Modern(seed: 3);
string path = Path.Combine(Path.GetTempPath(), $"convnet-onnx-smoke-{Guid.NewGuid():N}.onnx");
try
{
    OnnxExporter.Export(net, path);
    var imported = OnnxImporter.Load(path);
    var x = new Tensor(2, 1, 28, 28);
    var rng = new Random(1);
    var span = x.AsSpan();
    for (int i = 0; i < span.Length; i++)
    {
        span[i] = (float)rng.NextDouble();
    }

    float[] a = net.Predict(x).ToArray(), b = imported.Predict(x).ToArray();
    Console.WriteLine($"ConvNet.Onnx package smoke test: {new FileInfo(path).Length} bytes exported, {imported.Layers.Count} layers imported");
    for (int i = 0; i < a.Length; i++)
    {
        if (a[i] != b[i])
        {
            Console.Error.WriteLine($"FAILED: output {i} is {b[i]} after the round trip, {a[i]} before");
            return 1;
        }
    }
}
finally
{
    File.Delete(path);
}

Console.WriteLine("OK");
return 0;
