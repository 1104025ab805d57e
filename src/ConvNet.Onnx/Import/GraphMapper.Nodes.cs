using System;
using System.Collections.Generic;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>The conversion of single-input nodes into layers (with the peepholes PyTorch's exports need).</summary>
internal sealed partial class GraphMapper
{
    private long[]? _pendingPads;
    private string? _pendingPadNode;

    private string Convert(NodeProto node, string input, string to, List<Layer> layers)
    {
        MarkConverted(node);
        var shape = _shape[input];
        switch (node.OpType)
        {
            case "Relu":
                return Append(node, new ReLU(), input, layers);
            case "Sigmoid":
                return Append(node, new Sigmoid(), input, layers);
            case "Tanh":
                return Append(node, new Tanh(), input, layers);
            case "LeakyRelu":
                return Append(node, new LeakyReLU(OnnxAttributes.Float(node, "alpha", 0.01f)), input, layers);
            case "Identity":
            case "Dropout":
                return Skip(node, input);
            case "Conv":
                return Append(node, LayerFactory.Conv(_g, node, shape, TakePads()), input, layers);
            case "Gemm":
                return Append(node, LayerFactory.Gemm(_g, node, shape), input, layers);
            case "MatMul":
                return MatMul(node, input, to, layers);
            case "BatchNormalization":
                return BatchNorm(node, input, layers);
            case "MaxPool":
            case "AveragePool":
                return Append(node, LayerFactory.Pool(_g, node, shape, TakePads()), input, layers);
            case "GlobalAveragePool":
            case "GlobalMaxPool":
                return GlobalPool(node, input, to, layers);
            case "Flatten":
                return Flatten(node, input, layers);
            case "Reshape":
                return Reshape(node, input, layers);
            case "Softmax":
            case "LogSoftmax":
                return Softmax(node, input, layers);
            case "Pad":
                return Pad(node, input);
            default:
                throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' cannot be mapped here: it needs {node.Input.Count} inputs but only one carries data (opset {_g.Opset}).");
        }
    }

    private long[]? TakePads()
    {
        var p = _pendingPads;
        _pendingPads = null;
        return p;
    }

    private string MatMul(NodeProto node, string input, string to, List<Layer> layers)
    {
        var uses = Uses(node.Output[0], to);
        NodeProto? add = null;
        if (uses.Count == 1 && uses[0].OpType == "Add" && uses[0].Input.Count == 2 && DataInputs(uses[0]).Count == 1)
        {
            add = uses[0];
            MarkConverted(add);
        }

        var bias = add is null ? null : _g.Constants[add.Input[0] == node.Output[0] ? add.Input[1] : add.Input[0]];
        return Append(node, LayerFactory.MatMul(_g, node, _shape[input], bias), input, layers, add?.Output[0]);
    }

    private string BatchNorm(NodeProto node, string input, List<Layer> layers)
    {
        var bn = LayerFactory.BatchNorm(_g, node, _shape[input]);
        if (_options.FoldBatchNorm && layers.Count > 0 && layers[^1] is ConvolutionND conv && _g.Producer(input)?.OpType == "Conv")
        {
            layers[^1] = LayerFactory.Fold(conv, bn);
            Notes.Add($"BatchNormalization '{node.Name}' folded into Conv '{conv.Name}'.");
            return Skip(node, input);
        }

        return Append(node, bn, input, layers);
    }

    private string GlobalPool(NodeProto node, string input, string to, List<Layer> layers)
    {
        var shape = _shape[input];
        bool max = node.OpType == "GlobalMaxPool";
        Layer pool = shape.Length switch
        {
            2 => max ? new GlobalMaxPool1D() : new GlobalAveragePool1D(),
            3 => max ? new GlobalMaxPool2D() : new GlobalAveragePool2D(),
            4 => max ? new GlobalMaxPool3D() : new GlobalAveragePool3D(),
            _ => throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' on a per-sample input of rank {shape.Length}; 1-3 spatial dimensions are supported."),
        };

        // ConvNet's global pools give [C]; ONNX gives [C, 1, …]. A following flatten to [C] is then a no-op.
        var onnxShape = new int[shape.Length];
        Array.Fill(onnxShape, 1);
        onnxShape[0] = shape[0];
        string pooled = Append(node, pool, input, layers);
        var uses = Uses(pooled, to);
        if (uses.Count == 1)
        {
            var u = uses[0];
            bool toVector = IsFlattenToVector(u) || (u.OpType == "Reshape" && ReshapeTarget(u, onnxShape) is [var t] && (t == -1 || t == shape[0]));
            if (toVector)
            {
                MarkConverted(u);
                return Skip(u, pooled);
            }
        }

        return Append(node, new Layers.Reshape(onnxShape), pooled, layers);
    }

    private bool IsFlattenToVector(NodeProto node) => node.OpType == "Flatten" && OnnxAttributes.Int(node, "axis", 1) == 1;

    private string Flatten(NodeProto node, string input, List<Layer> layers)
    {
        var shape = _shape[input];
        long axis = OnnxAttributes.Int(node, "axis", 1);
        if (axis != 1 && axis != 1 - (shape.Length + 1))
        {
            throw new NotSupportedException($"{_g.Source}: Flatten node '{node.Name}' with axis {axis}; only axis 1 (keep the batch) is supported (opset {_g.Opset}).");
        }

        return shape.Length == 1 ? Skip(node, input) : Append(node, new Layers.Flatten(), input, layers);
    }

    /// <summary>The per-sample target of a Reshape (−1 allowed, 0 resolved), or NotSupportedException when it moves the batch.</summary>
    private int[]? ReshapeTarget(NodeProto node, int[] inputShape)
    {
        var target = _shapes.Evaluate(node.Input[1]);
        bool allowZero = OnnxAttributes.Int(node, "allowzero", 0) != 0;
        if (target.Length < 2 || target.Length > Tensor.MaxRank)
        {
            throw new NotSupportedException($"{_g.Source}: Reshape node '{node.Name}' to rank {target.Length}; the target must keep the batch axis and have rank 2 to {Tensor.MaxRank} (opset {_g.Opset}).");
        }

        long first = target[0];
        bool batchKept = first == ShapeEvaluator.Batch || (first == 0 && !allowZero) || (first == -1 && Array.IndexOf(target, -1L, 1) < 0) || (_g.FixedBatch is int b && first == b);
        if (!batchKept)
        {
            throw new NotSupportedException($"{_g.Source}: Reshape node '{node.Name}' changes the batch axis (target starts with {first}); only per-sample reshapes are supported (opset {_g.Opset}).");
        }

        var r = new int[target.Length - 1];
        for (int i = 1; i < target.Length; i++)
        {
            long v = target[i];
            if (v == 0 && !allowZero && i - 1 < inputShape.Length)
            {
                v = inputShape[i - 1];
            }

            if (v == ShapeEvaluator.Batch || v < -1 || v == 0 || v > int.MaxValue)
            {
                throw new NotSupportedException($"{_g.Source}: Reshape node '{node.Name}' target value {v} at axis {i} is not supported (opset {_g.Opset}).");
            }

            r[i - 1] = (int)v;
        }

        return r;
    }

    private string Reshape(NodeProto node, string input, List<Layer> layers)
    {
        var shape = _shape[input];
        var target = ReshapeTarget(node, shape)!;
        if (target.AsSpan().SequenceEqual(shape))
        {
            return Skip(node, input);
        }

        if (target is [-1])
        {
            return shape.Length == 1 ? Skip(node, input) : Append(node, new Layers.Flatten(), input, layers);
        }

        return Append(node, new Layers.Reshape(target), input, layers);
    }

    private string Softmax(NodeProto node, string input, List<Layer> layers)
    {
        int rank = _shape[input].Length + 1;
        long axis = OnnxAttributes.Int(node, "axis", _g.Opset < 13 ? 1 : -1);
        if (axis < 0)
        {
            axis += rank;
        }

        // Before opset 13 the input is coerced to 2-D at the axis: axis 1 is the channels only for [N, C].
        bool channels = axis == 1 && (_g.Opset >= 13 || rank == 2);
        if (!channels)
        {
            throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' over axis {axis} of a rank-{rank} tensor; only the channel axis is supported (opset {_g.Opset}).");
        }

        return Append(node, node.OpType == "Softmax" ? new Layers.Softmax() : new LogSoftmax(), input, layers);
    }

    private string Pad(NodeProto node, string input)
    {
        int rank = _shape[input].Length + 1;
        string mode = OnnxAttributes.String(node, "mode", "constant");
        long[] pads;
        float value;
        if (_g.Opset >= 11)
        {
            pads = node.Input.Count > 1 && node.Input[1].Length > 0 ? _shapes.Evaluate(node.Input[1]) : [];
            value = node.Input.Count > 2 && node.Input[2].Length > 0 ? Constant(node, node.Input[2]).AsFloats() is [var v] ? v : float.NaN : 0f;
        }
        else
        {
            pads = OnnxAttributes.Ints(node, "pads") ?? [];
            value = OnnxAttributes.Float(node, "value", 0f);
        }

        if (mode != "constant" || value != 0f || pads.Length != 2 * rank || pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0)
        {
            throw new NotSupportedException($"{_g.Source}: Pad node '{node.Name}' ({mode}, value {value}, pads [{string.Join(", ", pads)}]); only zero padding of the spatial axes, merged into the next Conv or AveragePool, is supported (opset {_g.Opset}).");
        }

        var spatial = new long[2 * (rank - 2)];
        bool any = false;
        for (int d = 0; d < rank - 2; d++)
        {
            spatial[d] = pads[2 + d];
            spatial[rank - 2 + d] = pads[rank + 2 + d];
            any |= spatial[d] != 0 || spatial[rank - 2 + d] != 0;
        }

        if (any)
        {
            _pendingPads = spatial;
            _pendingPadNode = node.Name;
        }

        return Skip(node, input);
    }

    private OnnxTensor Constant(NodeProto node, string name) =>
        _g.Constants.TryGetValue(name, out var t) ? t : throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' input '{name}' must be a constant (initializer) (opset {_g.Opset}).");
}
