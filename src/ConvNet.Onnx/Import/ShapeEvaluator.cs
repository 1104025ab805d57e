using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>
/// Evaluates the small int64 computations PyTorch exports for <c>x.view(x.size(0), -1)</c> (Shape → Gather →
/// Unsqueeze → Concat → Reshape) from the per-sample shapes known while layers are built; the batch size is the
/// symbol <see cref="Batch"/>.
/// </summary>
internal sealed class ShapeEvaluator(OnnxGraph graph, Func<string, int[]?> dataShape)
{
    /// <summary>Stands for the (dynamic) batch size.</summary>
    public const long Batch = long.MinValue;

    private const int MaxLength = 64;
    private readonly Dictionary<string, long[]> _memo = new(StringComparer.Ordinal);

    public long[] Evaluate(string tensor, int depth = 0)
    {
        if (graph.Constants.TryGetValue(tensor, out var c))
        {
            if (c.Count > MaxLength)
            {
                throw new NotSupportedException($"{graph.Source}: shape tensor '{tensor}' has {c.Count} values.");
            }

            return c.AsInts();
        }

        if (_memo.TryGetValue(tensor, out var known))
        {
            return known;
        }

        if (depth > 32)
        {
            throw new NotSupportedException($"{graph.Source}: the shape computation of '{tensor}' is too deep.");
        }

        var node = graph.Producer(tensor) ?? throw new NotSupportedException($"{graph.Source}: '{tensor}' is not a constant or shape computation.");
        long[] result = node.OpType switch
        {
            "Shape" => ShapeOf(node),
            "Cast" => Evaluate(node.Input[0], depth + 1),
            "Gather" => Gather(node, depth),
            "Unsqueeze" or "Squeeze" => Evaluate(node.Input[0], depth + 1),
            "Concat" => Concat(node, depth),
            _ => throw Unsupported(node),
        };
        if (result.Length > MaxLength)
        {
            throw new NotSupportedException($"{graph.Source}: shape tensor '{tensor}' has {result.Length} values.");
        }

        _memo[tensor] = result;
        return result;
    }

    private long[] ShapeOf(NodeProto node)
    {
        if (OnnxAttributes.Has(node, "start") || OnnxAttributes.Has(node, "end"))
        {
            throw new NotSupportedException($"{graph.Source}: Shape node '{node.Name}' with start/end is not supported.");
        }

        var s = dataShape(node.Input[0]) ?? throw Unsupported(node);
        var r = new long[s.Length + 1];
        r[0] = graph.FixedBatch ?? Batch;
        for (int i = 0; i < s.Length; i++)
        {
            r[i + 1] = s[i];
        }

        return r;
    }

    private long[] Gather(NodeProto node, int depth)
    {
        if (OnnxAttributes.Int(node, "axis", 0) != 0)
        {
            throw Unsupported(node);
        }

        var data = Evaluate(node.Input[0], depth + 1);
        var indices = Evaluate(node.Input[1], depth + 1);
        var r = new long[indices.Length];
        for (int i = 0; i < r.Length; i++)
        {
            long k = indices[i] < 0 ? indices[i] + data.Length : indices[i];
            if (k < 0 || k >= data.Length)
            {
                throw new InvalidDataException($"{graph.Source}: Gather node '{node.Name}' index {indices[i]} is out of range for {data.Length} values.");
            }

            r[i] = data[k];
        }

        return r;
    }

    private long[] Concat(NodeProto node, int depth)
    {
        var r = new List<long>();
        foreach (var i in node.Input)
        {
            r.AddRange(Evaluate(i, depth + 1));
            if (r.Count > MaxLength)
            {
                throw Unsupported(node);
            }
        }

        return [.. r];
    }

    private NotSupportedException Unsupported(NodeProto node) =>
        new($"{graph.Source}: cannot evaluate the shape computed by {node.OpType} node '{node.Name}' (opset {graph.Opset}).");
}
