using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Onnx.Import;

namespace ConvNet.Onnx;

/// <summary>
/// Imports an ONNX model — typically a CNN exported by <c>torch.onnx.export</c> — as a ConvNet <see cref="Network"/>
/// that predicts the same values and can be saved, exported again and trained further (the import builds ordinary
/// layers: Conv1D/2D/3D, FullyConnected, BatchNorm, pools, activations, and Residual/Concat blocks for the graph's Add
/// and Concat merges). NCHW as PyTorch exports; the batch axis may be symbolic.
/// </summary>
/// <remarks>
/// <para>Operators (opsets 11-21): Conv (1-3-D; strides, dilations, pads incl. asymmetric, auto_pad, group), Gemm
/// (alpha, beta, transB) and MatMul (+ Add of a constant bias) on [N, K], Relu, LeakyRelu, Sigmoid, Tanh, MaxPool and
/// AveragePool (1-3-D, symmetric pads up to half the window; ceil_mode only where it adds no partial window;
/// count_include_pad = 0 only without padding), GlobalAveragePool/GlobalMaxPool, BatchNormalization (inference: a
/// trainable BatchNorm layer, or folded into the preceding Conv with <see cref="OnnxImportOptions.FoldBatchNorm"/>),
/// Add and Concat (axis 1) of branches of one tensor, Flatten (axis 1), Reshape to a per-sample shape (constant, or
/// computed by Shape/Gather/Unsqueeze/Concat as <c>x.view(x.size(0), -1)</c> exports), Softmax/LogSoftmax over the
/// channels, Dropout and Identity (dropped), zero Pad merged into the next Conv/AveragePool, Constant and initializers.</para>
/// <para>Anything else gives <see cref="NotSupportedException"/> listing every unsupported operator in the file with its
/// node and the opset; a graph that is not a nest of chains, residual and concat blocks names the node where mapping
/// failed. A malformed or hostile file (truncated, huge dims, external data outside the model's folder, cycles, missing
/// initializers) gives <see cref="InvalidDataException"/>: sizes are checked before anything is allocated.</para>
/// </remarks>
public static class OnnxImporter
{
    /// <summary>The oldest default-domain opset read.</summary>
    public const int MinOpset = 11;

    /// <summary>The newest default-domain opset read.</summary>
    public const int MaxOpset = 21;

    /// <summary>Imports the model file as a network (in inference mode).</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Folding and limits; null for the defaults.</param>
    /// <returns>The network.</returns>
    /// <exception cref="NotSupportedException">The file uses operators, attributes or a graph shape the importer does not map.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated or exceeds a limit.</exception>
    public static Network Load(string path, OnnxImportOptions? options = null) => Import(path, options).Network;

    /// <summary>Imports the model file with its input/output names, opset and notes.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Folding and limits; null for the defaults.</param>
    /// <returns>The imported model.</returns>
    /// <exception cref="NotSupportedException">The file uses operators, attributes or a graph shape the importer does not map.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated or exceeds a limit.</exception>
    public static OnnxImportedModel Import(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxImportOptions();
        if (options.MaxFileBytes <= 0 || options.MaxTensorElements <= 0 || options.MaxTensorElements > int.MaxValue || options.MaxNodes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "OnnxImportOptions limits must be positive (MaxTensorElements at most int.MaxValue).");
        }

        string full = Path.GetFullPath(path);
        var model = OnnxFileReader.Read(full, options);
        string source = Path.GetFileName(full);
        var graph = new OnnxGraph(model, Path.GetDirectoryName(full)!, options, source);
        ThrowIfUnsupported(graph);
        var mapper = new GraphMapper(graph, options);
        var layers = mapper.Map();
        var network = new Network(graph.InputShape);
        foreach (var layer in layers)
        {
            try
            {
                network.Add(layer);
            }
            catch (ArgumentException e)
            {
                throw new NotSupportedException($"{source}: layer '{layer.Name}' does not fit: {e.Message}", e);
            }
        }

        if (layers.Count == 0)
        {
            network.Add(new Layers.Identity());
        }

        network.SetTraining(false);
        string producer = $"{model.ProducerName} {model.ProducerVersion}".Trim();
        return new OnnxImportedModel(network, graph.Input.Name, graph.OutputName, graph.Opset, producer, mapper.Notes);
    }

    private static void ThrowIfUnsupported(OnnxGraph graph)
    {
        var unsupported = new List<string>();
        foreach (var node in graph.Nodes)
        {
            bool defaultDomain = string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx";
            if (node.OpType == "Constant" && defaultDomain)
            {
                continue;
            }

            if (!defaultDomain || (!OnnxGraph.DataOps.Contains(node.OpType) && !OnnxGraph.ShapeOps.Contains(node.OpType)))
            {
                string op = defaultDomain ? node.OpType : $"{node.Domain}.{node.OpType}";
                unsupported.Add($"{op} (node '{node.Name}')");
            }
        }

        if (unsupported.Count > 0)
        {
            throw new NotSupportedException($"{graph.Source}: {unsupported.Count} node(s) use operators the importer does not support (opset {graph.Opset}): {string.Join(", ", unsupported)}.");
        }
    }
}
