using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>
/// The validated graph: constants (initializers and Constant nodes), the one data input and output, who produces and
/// who consumes every tensor, and a topological order (a cycle, a tensor produced twice, or an input nobody produces —
/// e.g. a missing initializer — is <see cref="InvalidDataException"/>). Tensors computed from shapes only (Shape,
/// Gather, Unsqueeze… feeding a Reshape) are "shape tensors", evaluated on demand by <see cref="ShapeEvaluator"/>.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>Operators that compute shapes (int64 vectors), not data.</summary>
    internal static readonly HashSet<string> ShapeOps = new(StringComparer.Ordinal) { "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast" };

    /// <summary>Operators that become layers (or vanish into one).</summary>
    internal static readonly HashSet<string> DataOps = new(StringComparer.Ordinal)
    {
        "Conv", "Gemm", "MatMul", "Add", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "BatchNormalization", "Concat", "Flatten", "Reshape", "Softmax", "LogSoftmax", "Dropout", "Identity", "Pad",
    };

    private readonly Dictionary<string, int> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraph(ModelProto model, string modelFolder, OnnxImportOptions options, string source)
    {
        Source = source;
        Opset = ReadOpset(model, source);
        var g = model.Graph;
        if (g.Node.Count > options.MaxNodes)
        {
            throw new InvalidDataException($"{source}: {g.Node.Count} nodes, more than OnnxImportOptions.MaxNodes ({options.MaxNodes}).");
        }

        long budget = options.MaxFileBytes;
        foreach (var t in g.Initializer)
        {
            if (!Constants.TryAdd(t.Name ?? string.Empty, OnnxFileReader.Decode(t, modelFolder, options, ref budget)))
            {
                throw new InvalidDataException($"{source}: initializer '{t.Name}' is defined twice.");
            }
        }

        var inputs = new List<ValueInfoProto>();
        foreach (var i in g.Input)
        {
            if (!Constants.ContainsKey(i.Name))
            {
                inputs.Add(i);
            }
        }

        if (inputs.Count != 1 || g.Output.Count != 1)
        {
            throw new NotSupportedException($"{source}: the graph has {inputs.Count} data inputs and {g.Output.Count} outputs; the importer maps graphs with exactly one of each.");
        }

        Input = inputs[0];
        OutputName = g.Output[0].Name;
        InputShape = ReadInputShape(Input, options, source);

        for (int n = 0; n < g.Node.Count; n++)
        {
            var node = g.Node[n];
            Nodes.Add(node);
            if (node.OpType == "Constant")
            {
                Constants[Single(node, source)] = ConstantValue(node, modelFolder, options, ref budget, source);
                continue;
            }

            foreach (var o in node.Output)
            {
                if (o.Length > 0 && (!_producer.TryAdd(o, n) || Constants.ContainsKey(o) || o == Input.Name))
                {
                    throw new InvalidDataException($"{source}: tensor '{o}' is produced more than once (node '{node.Name}').");
                }
            }
        }

        for (int n = 0; n < Nodes.Count; n++)
        {
            if (Nodes[n].OpType == "Constant")
            {
                continue;
            }

            foreach (var i in Nodes[n].Input)
            {
                if (i.Length == 0 || Constants.ContainsKey(i))
                {
                    continue;
                }

                if (i != Input.Name && !_producer.ContainsKey(i))
                {
                    throw new InvalidDataException($"{source}: node '{Nodes[n].Name}' ({Nodes[n].OpType}) reads '{i}', which is neither the input, an initializer nor any node's output (missing initializer?).");
                }

                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }

                if (!list.Contains(n))
                {
                    list.Add(n);
                }
            }
        }

        if (OutputName != Input.Name && !_producer.ContainsKey(OutputName) && !Constants.ContainsKey(OutputName))
        {
            throw new InvalidDataException($"{source}: the graph output '{OutputName}' is produced by no node.");
        }

        Order = TopologicalOrder(source);
    }

    public string Source { get; }

    public int Opset { get; }

    public ValueInfoProto Input { get; }

    public int[] InputShape { get; }

    public int? FixedBatch { get; private set; }

    public string OutputName { get; }

    public List<NodeProto> Nodes { get; } = [];

    public Dictionary<string, OnnxTensor> Constants { get; } = new(StringComparer.Ordinal);

    /// <summary>Each node's position in a topological order.</summary>
    public int[] Order { get; }

    public NodeProto? Producer(string tensor) => _producer.TryGetValue(tensor, out int n) ? Nodes[n] : null;

    public int ProducerIndex(string tensor) => _producer.TryGetValue(tensor, out int n) ? n : -1;

    public IReadOnlyList<int> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : [];

    public bool IsConstant(string tensor) => tensor.Length == 0 || Constants.ContainsKey(tensor);

    /// <summary>Whether the tensor is computed from shapes and constants only (never data).</summary>
    public bool IsShapeTensor(string tensor)
    {
        var p = Producer(tensor);
        if (p is null)
        {
            return false;
        }

        if (p.OpType == "Shape")
        {
            return true;
        }

        if (!ShapeOps.Contains(p.OpType))
        {
            return false;
        }

        foreach (var i in p.Input)
        {
            if (!IsConstant(i) && !IsShapeTensor(i))
            {
                return false;
            }
        }

        return true;
    }

    private static int ReadOpset(ModelProto model, string source)
    {
        int? opset = null;
        foreach (var o in model.OpsetImport)
        {
            if (string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx")
            {
                opset = (int)Math.Clamp(o.Version, 0, int.MaxValue);
            }
        }

        if (opset is null)
        {
            throw new InvalidDataException($"{source}: the model imports no default-domain operator set.");
        }

        if (opset < OnnxImporter.MinOpset || opset > OnnxImporter.MaxOpset)
        {
            throw new NotSupportedException($"{source}: opset {opset} is not supported (the importer reads opsets {OnnxImporter.MinOpset}-{OnnxImporter.MaxOpset}).");
        }

        return opset.Value;
    }

    private int[] ReadInputShape(ValueInfoProto input, OnnxImportOptions options, string source)
    {
        var shape = input.Type?.TensorType?.Shape;
        if (shape is null || shape.Dim.Count < 2 || shape.Dim.Count > Tensor.MaxRank)
        {
            throw new InvalidDataException($"{source}: input '{input.Name}' needs a known shape [N, C, …] of rank 2 to {Tensor.MaxRank}.");
        }

        if (input.Type!.TensorType!.ElemType != 1)
        {
            throw new NotSupportedException($"{source}: input '{input.Name}' has element type {input.Type.TensorType.ElemType}; only float (1) is supported.");
        }

        var dims = new long[shape.Dim.Count - 1];
        for (int d = 1; d < shape.Dim.Count; d++)
        {
            if (shape.Dim[d].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || shape.Dim[d].DimValue <= 0)
            {
                throw new InvalidDataException($"{source}: input '{input.Name}' dimension {d} must be a fixed positive size (only the batch axis may be symbolic).");
            }

            dims[d - 1] = shape.Dim[d].DimValue;
        }

        OnnxFileReader.CheckedCount($"input '{input.Name}'", dims, options.MaxTensorElements);
        if (shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
        {
            FixedBatch = (int)Math.Clamp(shape.Dim[0].DimValue, 0, int.MaxValue);
        }

        return Array.ConvertAll(dims, d => (int)d);
    }

    private static string Single(NodeProto node, string source) =>
        node.Output.Count == 1 && node.Output[0].Length > 0 ? node.Output[0] : throw new InvalidDataException($"{source}: node '{node.Name}' ({node.OpType}) must have one output.");

    private static OnnxTensor ConstantValue(NodeProto node, string folder, OnnxImportOptions options, ref long budget, string source)
    {
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value" when a.T is not null:
                    return OnnxFileReader.Decode(a.T, folder, options, ref budget);
                case "value_float":
                    return OnnxTensor.Floats([], [a.F]);
                case "value_floats":
                    return OnnxTensor.Floats([a.Floats.Count], [.. a.Floats]);
                case "value_int":
                    return OnnxTensor.Ints([], [a.I]);
                case "value_ints":
                    return OnnxTensor.Ints([a.Ints.Count], [.. a.Ints]);
            }
        }

        throw new NotSupportedException($"{source}: Constant node '{node.Name}' has no value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported).");
    }

    private int[] TopologicalOrder(string source)
    {
        // Kahn's algorithm over data dependencies; what remains unordered lies on a cycle.
        var pending = new int[Nodes.Count];
        var ready = new Queue<int>();
        for (int n = 0; n < Nodes.Count; n++)
        {
            foreach (var i in Nodes[n].Input)
            {
                if (Nodes[n].OpType != "Constant" && _producer.ContainsKey(i))
                {
                    pending[n]++;
                }
            }

            if (pending[n] == 0)
            {
                ready.Enqueue(n);
            }
        }

        var order = new int[Nodes.Count];
        int next = 0;
        while (ready.Count > 0)
        {
            int n = ready.Dequeue();
            order[n] = next++;
            foreach (var o in Nodes[n].Output)
            {
                foreach (int c in Consumers(o))
                {
                    foreach (var i in Nodes[c].Input)
                    {
                        if (i == o && --pending[c] == 0)
                        {
                            ready.Enqueue(c);
                        }
                    }
                }
            }
        }

        if (next != Nodes.Count)
        {
            throw new InvalidDataException($"{source}: the graph has a cycle ({Nodes.Count - next} nodes never become ready).");
        }

        return order;
    }
}
