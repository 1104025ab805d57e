using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Onnx;

/// <summary>
/// Exports a <see cref="Network"/> to ONNX (IR version 8, opset 13) so it runs in ONNX Runtime and other engines:
/// each layer emits its own nodes through an <see cref="OnnxGraphBuilder"/> (built-ins are registered exporters; a layer
/// of your own implements <see cref="IOnnxExportable"/> or is registered with <see cref="Register{TLayer}"/>). Built in:
/// Conv (1-D/2-D/3-D, stride, dilation, padding resolved to explicit pads; a connection table becomes dense weights with
/// zeros, or the <c>group</c> attribute when it is PyTorch's block-diagonal groups), MaxPool, AveragePool
/// (count_include_pad = 1), Gemm (transB = 1), Relu, LeakyRelu, Sigmoid, Tanh, Softmax/LogSoftmax (axis 1), Flatten,
/// Reshape, BatchNormalization (running statistics), GlobalAverage/MaxPool (+ Flatten), Dropout and Identity (no node),
/// and the blocks Sequential, Residual/Add (Add nodes) and Concat (axis 1). The graph's input is named "input" and its
/// output "output", with a symbolic batch dimension ("N"). Layers it cannot express raise
/// <see cref="NotSupportedException"/> naming every one of them.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter targets.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written.</summary>
    public const int IrVersion = 8;

    private static readonly Dictionary<Type, Func<OnnxGraphBuilder, Layer, string, int[], string>> Exporters = BuiltInExporters.Create();

    /// <summary>Writes the network as an ONNX model.</summary>
    /// <param name="network">The network (its weights are copied).</param>
    /// <param name="stream">The destination.</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1, so the model outputs probabilities instead of logits.</param>
    public static void Export(Network network, Stream stream, bool addSoftmax = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        BuildModel(network, addSoftmax, "input", "output").WriteTo(stream);
    }

    /// <summary>Writes the network as an ONNX model file (atomically: temporary file, then rename).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The .onnx file.</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1.</param>
    public static void Export(Network network, string path, bool addSoftmax = false) => Export(network, path, "input", "output", addSoftmax);

    /// <summary>Writes the network as an ONNX model with the given graph input and output names (e.g. those of an imported model).</summary>
    /// <param name="network">The network.</param>
    /// <param name="stream">The destination.</param>
    /// <param name="inputName">The graph input's name.</param>
    /// <param name="outputName">The graph output's name (different from the input's).</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1.</param>
    public static void Export(Network network, Stream stream, string inputName, string outputName, bool addSoftmax = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        BuildModel(network, addSoftmax, inputName, outputName).WriteTo(stream);
    }

    /// <summary>Writes the network as an ONNX model file with the given graph input and output names (atomically).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The .onnx file.</param>
    /// <param name="inputName">The graph input's name.</param>
    /// <param name="outputName">The graph output's name (different from the input's).</param>
    /// <param name="addSoftmax">Append a Softmax over axis 1.</param>
    public static void Export(Network network, string path, string inputName, string outputName, bool addSoftmax = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var model = BuildModel(network, addSoftmax, inputName, outputName);
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

    /// <summary>
    /// Registers (or replaces) the exporter of a layer type you do not own; a layer of your own can implement
    /// <see cref="IOnnxExportable"/> instead. The exporter emits the layer's nodes and returns its output's name.
    /// </summary>
    /// <typeparam name="TLayer">The layer type (derived types use it unless they have their own).</typeparam>
    /// <param name="exporter">(builder, layer, input name, per-sample input shape) → output name.</param>
    public static void Register<TLayer>(Func<OnnxGraphBuilder, TLayer, string, int[], string> exporter)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(exporter);
        lock (Exporters)
        {
            Exporters[typeof(TLayer)] = (b, l, i, s) => exporter(b, (TLayer)l, i, s);
        }
    }

    internal static Func<OnnxGraphBuilder, Layer, string, int[], string>? Find(Type type)
    {
        lock (Exporters)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (Exporters.TryGetValue(t, out var e))
                {
                    return e;
                }
            }
        }

        return null;
    }

    internal static ModelProto BuildModel(Network network, bool addSoftmax, string inputName, string outputName)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        ArgumentException.ThrowIfNullOrEmpty(outputName);
        if (inputName == outputName)
        {
            throw new ArgumentException($"The input and output names must differ; both are '{inputName}'.", nameof(outputName));
        }

        if (network.Layers.Count == 0)
        {
            throw new ArgumentException("The network has no layers.", nameof(network));
        }

        var graph = new GraphProto { Name = "convnet" };
        graph.Input.Add(ValueInfo(inputName, network.InputShape));
        var unsupported = new List<string>();
        var builder = new OnnxGraphBuilder(graph, unsupported, inputName, outputName);
        string current = inputName;
        ReadOnlySpan<int> inputShape = network.InputShape;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            current = builder.Export(network.Layers[i], current, inputShape);
            inputShape = network.LayerOutputShape(i);
        }

        if (unsupported.Count > 0)
        {
            throw new NotSupportedException($"These layers cannot be exported to ONNX: {string.Join(", ", unsupported)}. Implement IOnnxExportable or call OnnxExporter.Register for them.");
        }

        var last = new NodeProto { OpType = addSoftmax ? "Softmax" : "Identity", Name = outputName };
        last.Input.Add(current);
        last.Output.Add(outputName);
        if (addSoftmax)
        {
            last.Attribute.Add(OnnxAttribute.Int("axis", 1).Proto);
        }

        graph.Node.Add(last);
        graph.Output.Add(ValueInfo(outputName, network.OutputShape));
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
