using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Onnx;

/// <summary>
/// The ONNX graph being written: unique tensor names, nodes, initializers, and <see cref="Export"/> to emit a (child)
/// layer through its <see cref="IOnnxExportable"/> implementation or its registered exporter. Blocks call Export on
/// their children and combine the names it returns (Add, Concat).
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<string> _unsupported;

    internal OnnxGraphBuilder(GraphProto graph, List<string> unsupported, string inputName, string outputName)
    {
        Graph = graph;
        _unsupported = unsupported;
        _names.Add(inputName);
        _names.Add(outputName);
    }

    internal GraphProto Graph { get; }

    /// <summary>A tensor name not used before in this graph, starting with <paramref name="prefix"/>.</summary>
    /// <param name="prefix">A readable prefix, e.g. a layer name.</param>
    /// <returns>The unique name.</returns>
    public string NewName(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string name = prefix;
        for (int i = 1; !_names.Add(name); i++)
        {
            name = $"{prefix}_{i}";
        }

        return name;
    }

    /// <summary>Adds a node and returns the name of its (single) output.</summary>
    /// <param name="opType">The ONNX operator, e.g. "Conv".</param>
    /// <param name="inputs">The input tensor names.</param>
    /// <param name="outputPrefix">The prefix of the output's unique name.</param>
    /// <param name="attributes">The node's attributes.</param>
    /// <returns>The output tensor's name.</returns>
    public string AddNode(string opType, IReadOnlyList<string> inputs, string outputPrefix, params OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributes);
        string output = NewName(outputPrefix);
        var n = new NodeProto { OpType = opType, Name = output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        foreach (var a in attributes)
        {
            n.Attribute.Add(a.Proto);
        }

        Graph.Node.Add(n);
        return output;
    }

    /// <summary>Adds a float32 initializer (a constant tensor) and returns its unique name.</summary>
    /// <param name="prefix">The prefix of the name.</param>
    /// <param name="dims">The shape.</param>
    /// <param name="values">The row-major values.</param>
    /// <returns>The initializer's name.</returns>
    public string AddInitializer(string prefix, ReadOnlySpan<int> dims, ReadOnlySpan<float> values)
    {
        var t = new TensorProto { Name = NewName(prefix), DataType = (int)TensorProto.Types.DataType.Float };
        long count = 1;
        foreach (int d in dims)
        {
            t.Dims.Add(d);
            count *= d;
        }

        if (count != values.Length)
        {
            throw new ArgumentException($"The initializer's shape holds {count} values; {values.Length} were given.", nameof(values));
        }

        byte[] raw = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < raw.Length; i += 4)
            {
                Array.Reverse(raw, i, 4);
            }
        }

        t.RawData = ByteString.CopyFrom(raw);
        Graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Adds an int64 initializer (e.g. a Reshape target) and returns its unique name.</summary>
    /// <param name="prefix">The prefix of the name.</param>
    /// <param name="values">The values (a 1-D tensor).</param>
    /// <returns>The initializer's name.</returns>
    public string AddInt64Initializer(string prefix, ReadOnlySpan<long> values)
    {
        var t = new TensorProto { Name = NewName(prefix), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        var raw = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8 * i), values[i]);
        }

        t.RawData = ByteString.CopyFrom(raw);

        Graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Emits <paramref name="layer"/> and returns the name of its output tensor.</summary>
    /// <param name="layer">The layer (a network's layer or a block's child).</param>
    /// <param name="input">The input tensor's name.</param>
    /// <param name="inputShape">The per-sample input shape.</param>
    /// <returns>The output tensor's name.</returns>
    public string Export(Layer layer, string input, ReadOnlySpan<int> inputShape)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = inputShape.ToArray();
        if (layer is IOnnxExportable own)
        {
            return own.ExportOnnx(this, input, shape);
        }

        var exporter = OnnxExporter.Find(layer.GetType());
        if (exporter is null)
        {
            _unsupported.Add($"{layer.GetType().Name} '{layer.Name}'");
            return input;
        }

        return exporter(this, layer, input, shape);
    }
}
