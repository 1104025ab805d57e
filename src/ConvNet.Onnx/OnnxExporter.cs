using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Onnx;

/// <summary>
/// Exports a <see cref="Network"/> to ONNX (IR version 8, opset 13) so it runs in ONNX Runtime and other engines:
/// Conv (1-D/2-D/3-D, stride, dilation, padding resolved to explicit pads; a connection table becomes dense weights with
/// zeros, or the <c>group</c> attribute when it is PyTorch's block-diagonal groups), MaxPool, AveragePool
/// (count_include_pad = 1), Gemm (transB = 1), Relu, Sigmoid, Tanh, Flatten (axis 1) and an optional Softmax on the
/// output. The batch dimension is symbolic ("N"). A layer it cannot express raises <see cref="NotSupportedException"/>.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter targets.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written.</summary>
    public const int IrVersion = 8;

    /// <summary>Writes the network as an ONNX model.</summary>
    /// <param name="network">The network (its weights are copied).</param>
    /// <param name="stream">The destination.</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1, so the model outputs probabilities instead of logits.</param>
    public static void Export(Network network, Stream stream, bool addSoftmax = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        BuildModel(network, addSoftmax).WriteTo(stream);
    }

    /// <summary>Writes the network as an ONNX model file (atomically: temporary file, then rename).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The .onnx file.</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1.</param>
    public static void Export(Network network, string path, bool addSoftmax = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var model = BuildModel(network, addSoftmax);
        string full = Path.GetFullPath(path);
        string temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                model.WriteTo(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    internal static ModelProto BuildModel(Network network, bool addSoftmax)
    {
        if (network.Layers.Count == 0)
        {
            throw new ArgumentException("The network has no layers.", nameof(network));
        }

        var graph = new GraphProto { Name = "convnet" };
        graph.Input.Add(ValueInfo("input", network.InputShape));
        string current = "input";
        ReadOnlySpan<int> inputShape = network.InputShape;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            string output = i == network.Layers.Count - 1 && !addSoftmax ? "output" : $"l{i}";
            string name = $"{i}_{layer.Name}";
            var node = layer switch
            {
                ConvolutionND c => Conv(graph, c, inputShape, current, output, name, i),
                FullyConnected f => Gemm(graph, f, current, output, name, i),
                MaxPool m => Pool("MaxPool", m, current, output, name),
                AveragePool a => Pool("AveragePool", a, current, output, name, countIncludePad: true),
                ReLU => Node("Relu", name, [current], output),
                Sigmoid => Node("Sigmoid", name, [current], output),
                Tanh => Node("Tanh", name, [current], output),
                Flatten => Node("Flatten", name, [current], output, IntAttr("axis", 1)),
                _ => throw new NotSupportedException($"Layer {i} '{layer.Name}' of type {layer.GetType().Name} cannot be exported to ONNX."),
            };
            graph.Node.Add(node);
            current = output;
            inputShape = network.LayerOutputShape(i);
        }

        if (addSoftmax)
        {
            graph.Node.Add(Node("Softmax", "softmax", [current], "output", IntAttr("axis", 1)));
        }

        graph.Output.Add(ValueInfo("output", network.OutputShape));
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "ConvNet",
            ProducerVersion = typeof(Network).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    private static NodeProto Conv(GraphProto graph, ConvolutionND c, ReadOnlySpan<int> inputShape, string input, string output, string name, int index)
    {
        int rank = c.SpatialRank;
        var pads = new long[2 * rank];
        for (int d = 0; d < rank; d++)
        {
            var (before, after) = c.Padding.Resolve(d, rank, inputShape[1 + d], c.KernelSize[d], c.Stride[d], c.Dilation[d]);
            pads[d] = before;
            pads[rank + d] = after;
        }

        int groups = GroupCount(c.Connections);
        float[] weights = c.Weight.Value.ToArray();
        var wShape = c.Weight.Value.Shape.ToArray();
        if (groups > 1)
        {
            // PyTorch's grouped layout [out][in/groups][k…]: keep each output's own input group.
            int kvol = weights.Length / (c.OutChannels * c.InChannels), ig = c.InChannels / groups, og = c.OutChannels / groups;
            var grouped = new float[c.OutChannels * ig * kvol];
            for (int q = 0; q < c.OutChannels; q++)
            {
                int g = q / og;
                Array.Copy(weights, ((q * c.InChannels) + (g * ig)) * kvol, grouped, q * ig * kvol, ig * kvol);
            }

            weights = grouped;
            wShape[1] = ig;
        }

        string w = $"w{index}";
        graph.Initializer.Add(Initializer(w, wShape, weights));
        var inputs = new List<string> { input, w };
        if (c.Bias is not null)
        {
            graph.Initializer.Add(Initializer($"b{index}", c.Bias.Value.Shape.ToArray(), c.Bias.Value.ToArray()));
            inputs.Add($"b{index}");
        }

        return Node("Conv", name, inputs, output,
            IntsAttr("kernel_shape", c.KernelSize), IntsAttr("strides", c.Stride), IntsAttr("dilations", c.Dilation),
            IntsAttr("pads", pads), IntAttr("group", groups));
    }

    /// <summary>The number of groups when the table is exactly PyTorch's block-diagonal grouping, else 1 (dense weights with zeros).</summary>
    private static int GroupCount(ConnectionTable table)
    {
        if (table.IsFull)
        {
            return 1;
        }

        for (int g = 2; g <= Math.Min(table.Inputs, table.Outputs); g++)
        {
            if (table.Inputs % g == 0 && table.Outputs % g == 0 && ConnectionTable.Groups(table.Inputs, table.Outputs, g).Equals(table))
            {
                return g;
            }
        }

        return 1;
    }

    private static NodeProto Gemm(GraphProto graph, FullyConnected f, string input, string output, string name, int index)
    {
        string w = $"w{index}";
        graph.Initializer.Add(Initializer(w, [f.Outputs, f.Inputs], f.Weight.Value.ToArray()));
        var inputs = new List<string> { input, w };
        if (f.Bias is not null)
        {
            graph.Initializer.Add(Initializer($"b{index}", [f.Outputs], f.Bias.Value.ToArray()));
            inputs.Add($"b{index}");
        }

        return Node("Gemm", name, inputs, output, IntAttr("transB", 1));
    }

    private static NodeProto Pool(string op, PoolingND p, string input, string output, string name, bool countIncludePad = false)
    {
        var pads = new long[2 * p.SpatialRank];
        for (int d = 0; d < p.SpatialRank; d++)
        {
            pads[d] = pads[p.SpatialRank + d] = p.Padding[d];
        }

        var node = Node(op, name, [input], output, IntsAttr("kernel_shape", p.KernelSize), IntsAttr("strides", p.Stride), IntsAttr("pads", pads));
        if (countIncludePad)
        {
            node.Attribute.Add(IntAttr("count_include_pad", 1));
        }

        return node;
    }

    private static NodeProto Node(string op, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto IntAttr(string name, long value) =>
        new() { Name = name, I = value, Type = AttributeProto.Types.AttributeType.Int };

    private static AttributeProto IntsAttr(string name, ReadOnlySpan<int> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (int v in values)
        {
            a.Ints.Add(v);
        }

        return a;
    }

    private static AttributeProto IntsAttr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static TensorProto Initializer(string name, int[] shape, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in shape)
        {
            t.Dims.Add(d);
        }

        byte[] raw = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < raw.Length; i += 4)
            {
                Array.Reverse(raw, i, 4);
            }
        }

        t.RawData = ByteString.CopyFrom(raw);
        return t;
    }

    private static ValueInfoProto ValueInfo(string name, ReadOnlySpan<int> sampleShape)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (int d in sampleShape)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
