using System;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>Builds the weighted layers (Conv, Gemm/MatMul, BatchNormalization, pooling) from a node and its constants.</summary>
internal static partial class LayerFactory
{
    public static ConvolutionND Conv(OnnxGraph g, NodeProto node, int[] inputShape, long[]? extraPads)
    {
        var w = Const(g, node, 1);
        int rank = w.Dims.Length - 2;
        if (rank is < 1 or > 3 || inputShape.Length != rank + 1)
        {
            throw Unsupported(g, node, $"weights of rank {w.Dims.Length} on a per-sample input of rank {inputShape.Length}; 1-3 spatial dimensions are supported");
        }

        int groups = (int)Math.Clamp(OnnxAttributes.Int(node, "group", 1), 0, int.MaxValue);
        int outC = w.Dims[0], groupIn = w.Dims[1], inC = inputShape[0];
        if (groups < 1 || groupIn * (long)groups != inC || outC % groups != 0)
        {
            throw new System.IO.InvalidDataException($"{g.Source}: Conv node '{node.Name}': weights [{string.Join(", ", w.Dims)}] with group {groups} do not fit {inC} input channels.");
        }

        var kernel = w.Dims.AsSpan(2).ToArray();
        var ks = OnnxAttributes.IntsInRange(node, "kernel_shape", 1, int.MaxValue, g.Source);
        if (ks is not null && !ks.AsSpan().SequenceEqual(kernel))
        {
            throw new System.IO.InvalidDataException($"{g.Source}: Conv node '{node.Name}': kernel_shape [{string.Join(", ", ks)}] disagrees with the weights.");
        }

        var stride = Spatial(g, node, "strides", rank, 1);
        var dilation = Spatial(g, node, "dilations", rank, 1);
        var pads = Pads(g, node, inputShape, kernel, stride, dilation, extraPads);
        var table = groups == 1 ? null : ConnectionTable.Groups(inC, outC, groups);
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? Const(g, node, 2) : null;
        if (bias is not null && bias.Count != outC)
        {
            throw new System.IO.InvalidDataException($"{g.Source}: Conv node '{node.Name}': {bias.Count} biases for {outC} outputs.");
        }

        ConvolutionND conv;
        try
        {
            conv = Create(rank, inC, outC, kernel, stride, dilation, pads, table, bias is not null);
        }
        catch (ArgumentException e)
        {
            throw Unsupported(g, node, e.Message);
        }

        // PyTorch's grouped weights [out][in/groups][k…] → ConvNet's dense [out][in][k…] (zeros outside the group).
        var dense = conv.Weight.Value.AsSpan();
        dense.Clear();
        var src = w.AsFloats();
        int kvol = src.Length / (outC * groupIn), perGroup = outC / groups;
        for (int q = 0; q < outC; q++)
        {
            int first = q / perGroup * groupIn;
            src.AsSpan(q * groupIn * kvol, groupIn * kvol).CopyTo(dense.Slice(((q * inC) + first) * kvol, groupIn * kvol));
        }

        bias?.AsFloats().CopyTo(conv.Bias!.Value.AsSpan());
        return conv;
    }

    public static ConvolutionND Create(int rank, int inC, int outC, int[] kernel, int[] stride, int[] dilation, Padding padding, ConnectionTable? table, bool bias) => rank switch
    {
        1 => new Conv1D(inC, outC, kernel[0], stride[0], padding, dilation[0], table, bias),
        2 => new Conv2D(inC, outC, kernel, stride, padding, dilation, table, bias),
        _ => new Conv3D(inC, outC, kernel, stride, padding, dilation, table, bias),
    };

    /// <summary>w' = w γ/√(σ² + ε), b' = (b − μ) γ/√(σ² + ε) + β, in double.</summary>
    public static ConvolutionND Fold(ConvolutionND conv, BatchNorm bn)
    {
        var folded = Create(conv.SpatialRank, conv.InChannels, conv.OutChannels, conv.KernelSize.ToArray(), conv.Stride.ToArray(), conv.Dilation.ToArray(), conv.Padding, conv.Connections.IsFull ? null : conv.Connections, true);
        folded.Name = conv.Name;
        var w = conv.Weight.Value.AsSpan();
        var fw = folded.Weight.Value.AsSpan();
        int per = w.Length / conv.OutChannels;
        for (int q = 0; q < conv.OutChannels; q++)
        {
            double gamma = bn.Weight?.Value.AsSpan()[q] ?? 1, beta = bn.Bias?.Value.AsSpan()[q] ?? 0;
            double scale = gamma / Math.Sqrt(bn.RunningVar!.Value.AsSpan()[q] + bn.Epsilon);
            for (int i = q * per; i < (q + 1) * per; i++)
            {
                fw[i] = (float)(w[i] * scale);
            }

            double b = conv.Bias?.Value.AsSpan()[q] ?? 0;
            folded.Bias!.Value.AsSpan()[q] = (float)(((b - bn.RunningMean!.Value.AsSpan()[q]) * scale) + beta);
        }

        folded.Weight.ApplyMask();
        return folded;
    }

    public static FullyConnected Gemm(OnnxGraph g, NodeProto node, int[] inputShape)
    {
        if (OnnxAttributes.Int(node, "transA", 0) != 0)
        {
            throw Unsupported(g, node, "transA = 1");
        }

        bool transB = OnnxAttributes.Int(node, "transB", 0) != 0;
        float alpha = OnnxAttributes.Float(node, "alpha", 1f), beta = OnnxAttributes.Float(node, "beta", 1f);
        var b = Const(g, node, 1);
        var c = node.Input.Count > 2 && node.Input[2].Length > 0 ? Const(g, node, 2) : null;
        return Dense(g, node, inputShape, b, transB, alpha, c, beta);
    }

    public static FullyConnected MatMul(OnnxGraph g, NodeProto node, int[] inputShape, OnnxTensor? bias) =>
        Dense(g, node, inputShape, Const(g, node, 1), false, 1f, bias, 1f);

    private static FullyConnected Dense(OnnxGraph g, NodeProto node, int[] inputShape, OnnxTensor b, bool transB, float alpha, OnnxTensor? c, float beta)
    {
        if (inputShape.Length != 1 || b.Dims.Length != 2)
        {
            throw Unsupported(g, node, $"input [N, {string.Join(", ", inputShape)}] times weights of rank {b.Dims.Length}; only [N, K] × [K, M] is supported (flatten first)");
        }

        int k = transB ? b.Dims[1] : b.Dims[0], m = transB ? b.Dims[0] : b.Dims[1];
        if (k != inputShape[0])
        {
            throw new System.IO.InvalidDataException($"{g.Source}: {node.OpType} node '{node.Name}': weights [{string.Join(", ", b.Dims)}] do not fit {inputShape[0]} inputs.");
        }

        if (c is not null && c.Count != m && c.Count != 1)
        {
            throw Unsupported(g, node, $"a bias of {c.Count} values for {m} outputs");
        }

        var fc = new FullyConnected(k, m, useBias: c is not null);
        var src = b.AsFloats();
        var w = fc.Weight.Value.AsSpan();
        for (int o = 0; o < m; o++)
        {
            for (int i = 0; i < k; i++)
            {
                w[(o * k) + i] = alpha * (transB ? src[(o * k) + i] : src[(i * m) + o]);
            }
        }

        if (c is not null)
        {
            var cv = c.AsFloats();
            var bias = fc.Bias!.Value.AsSpan();
            for (int o = 0; o < m; o++)
            {
                bias[o] = beta * cv[cv.Length == 1 ? 0 : o];
            }
        }

        return fc;
    }

    public static BatchNorm BatchNorm(OnnxGraph g, NodeProto node, int[] inputShape)
    {
        if (OnnxAttributes.Int(node, "training_mode", 0) != 0)
        {
            throw Unsupported(g, node, "training_mode = 1 (export the model in eval mode)");
        }

        int c = inputShape[0];
        var parts = new float[4][];
        for (int i = 0; i < 4; i++)
        {
            var t = Const(g, node, i + 1);
            if (t.Count != c)
            {
                throw new System.IO.InvalidDataException($"{g.Source}: BatchNormalization node '{node.Name}' input {i + 1} has {t.Count} values for {c} channels.");
            }

            parts[i] = t.AsFloats();
        }

        double epsilon = OnnxAttributes.Float(node, "epsilon", 1e-5f);
        double momentum = 1.0 - OnnxAttributes.Float(node, "momentum", 0.9f); // ONNX weighs the old value; PyTorch/ConvNet the new
        momentum = Math.Clamp(Math.Round(momentum, 6), 0, 1);
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
        {
            throw new System.IO.InvalidDataException($"{g.Source}: BatchNormalization node '{node.Name}' epsilon {epsilon} is not finite and ≥ 0.");
        }

        ConvNet.Layers.BatchNorm bn = inputShape.Length switch
        {
            1 or 2 => new BatchNorm1D(c, momentum, epsilon),
            3 => new BatchNorm2D(c, momentum, epsilon),
            4 => new BatchNorm3D(c, momentum, epsilon),
            _ => throw Unsupported(g, node, $"a per-sample input of rank {inputShape.Length}"),
        };
        parts[0].CopyTo(bn.Weight!.Value.AsSpan());
        parts[1].CopyTo(bn.Bias!.Value.AsSpan());
        parts[2].CopyTo(bn.RunningMean!.Value.AsSpan());
        parts[3].CopyTo(bn.RunningVar!.Value.AsSpan());
        return bn;
    }

    private static int[] Spatial(OnnxGraph g, NodeProto node, string name, int rank, int fallback)
    {
        var v = OnnxAttributes.IntsInRange(node, name, 1, 1 << 20, g.Source);
        if (v is null)
        {
            var r = new int[rank];
            Array.Fill(r, fallback);
            return r;
        }

        return v.Length == rank ? v : throw new System.IO.InvalidDataException($"{g.Source}: node '{node.Name}' {name} has {v.Length} values for {rank} spatial dimensions.");
    }

    internal static NotSupportedException Unsupported(OnnxGraph g, NodeProto node, string what) =>
        new($"{g.Source}: {node.OpType} node '{node.Name}': {what} is not supported (opset {g.Opset}).");

    internal static OnnxTensor Const(OnnxGraph g, NodeProto node, int input) =>
        input < node.Input.Count && g.Constants.TryGetValue(node.Input[input], out var t)
            ? t
            : throw Unsupported(g, node, $"input {input} that is not a constant (weights must be initializers)");
}
