using System;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>Pooling layers and the resolution of ONNX's pads/auto_pad.</summary>
internal static partial class LayerFactory
{
    public static PoolingND Pool(OnnxGraph g, NodeProto node, int[] inputShape, long[]? extraPads)
    {
        var kernel = OnnxAttributes.IntsInRange(node, "kernel_shape", 1, 1 << 20, g.Source) ?? throw new System.IO.InvalidDataException($"{g.Source}: {node.OpType} node '{node.Name}' has no kernel_shape.");
        int rank = kernel.Length;
        if (rank is < 1 or > 3 || inputShape.Length != rank + 1)
        {
            throw Unsupported(g, node, $"a {rank}-D window on a per-sample input of rank {inputShape.Length}");
        }

        var stride = Spatial(g, node, "strides", rank, 1);
        var ones = Spatial(g, node, "dilations", rank, 1);
        if (Array.Exists(ones, d => d != 1))
        {
            throw Unsupported(g, node, "dilations other than 1");
        }

        bool average = node.OpType == "AveragePool";
        var own = Pads(g, node, inputShape, kernel, stride, ones, null);
        if (average && OnnxAttributes.Int(node, "count_include_pad", 0) == 0 && HasPadding(own, rank))
        {
            throw Unsupported(g, node, "count_include_pad = 0 with padding (ConvNet's average pooling counts the padded zeros, as PyTorch's default)");
        }

        var all = Pads(g, node, inputShape, kernel, stride, ones, extraPads);
        var padding = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            var (before, after) = all.Resolve(d, rank, inputShape[1 + d], kernel[d], stride[d], 1);
            if (before != after)
            {
                throw Unsupported(g, node, $"asymmetric pads ({before}, {after}) along spatial axis {d}");
            }

            padding[d] = before;
            if (OnnxAttributes.Int(node, "ceil_mode", 0) != 0)
            {
                long span = inputShape[1 + d] + (2L * before) - kernel[d];
                if (span >= 0 && span % stride[d] != 0)
                {
                    throw Unsupported(g, node, $"ceil_mode = 1 where it adds a partial window along spatial axis {d} (input {inputShape[1 + d]}, kernel {kernel[d]}, stride {stride[d]}, pad {before})");
                }
            }
        }

        try
        {
            return (average, rank) switch
            {
                (true, 1) => new AveragePool1D(kernel, stride, padding),
                (true, 2) => new AveragePool2D(kernel, stride, padding),
                (true, _) => new AveragePool3D(kernel, stride, padding),
                (false, 1) => new MaxPool1D(kernel, stride, padding),
                (false, 2) => new MaxPool2D(kernel, stride, padding),
                _ => new MaxPool3D(kernel, stride, padding),
            };
        }
        catch (ArgumentException e)
        {
            throw Unsupported(g, node, e.Message);
        }
    }

    private static bool HasPadding(Padding p, int rank)
    {
        foreach (var (b, a) in p.Amounts)
        {
            if (b != 0 || a != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The node's padding as explicit (before, after) pairs: pads, or auto_pad resolved for the input size.</summary>
    private static Padding Pads(OnnxGraph g, NodeProto node, int[] inputShape, int[] kernel, int[] stride, int[] dilation, long[]? extra)
    {
        int rank = kernel.Length;
        var pairs = new (int Before, int After)[rank];
        string auto = OnnxAttributes.String(node, "auto_pad", "NOTSET");
        switch (auto)
        {
            case "NOTSET" or "":
                var pads = OnnxAttributes.IntsInRange(node, "pads", 0, 1 << 20, g.Source);
                if (pads is not null && pads.Length != 2 * rank)
                {
                    throw new System.IO.InvalidDataException($"{g.Source}: node '{node.Name}' has {pads.Length} pads for {rank} spatial dimensions.");
                }

                for (int d = 0; d < rank && pads is not null; d++)
                {
                    pairs[d] = (pads[d], pads[rank + d]);
                }

                break;
            case "VALID":
                break;
            case "SAME_UPPER" or "SAME_LOWER":
                for (int d = 0; d < rank; d++)
                {
                    long length = inputShape[1 + d], ke = ((long)dilation[d] * (kernel[d] - 1)) + 1;
                    long outLen = (length + stride[d] - 1) / stride[d];
                    long total = Math.Clamp(((outLen - 1) * stride[d]) + ke - length, 0, 1 << 20);
                    long small = total / 2;
                    pairs[d] = auto == "SAME_UPPER" ? ((int)small, (int)(total - small)) : ((int)(total - small), (int)small);
                }

                break;
            default:
                throw new System.IO.InvalidDataException($"{g.Source}: node '{node.Name}' has auto_pad '{auto}'.");
        }

        if (extra is not null)
        {
            for (int d = 0; d < rank; d++)
            {
                long b = pairs[d].Before + extra[d], a = pairs[d].After + extra[rank + d];
                if (b < 0 || a < 0 || b > 1 << 20 || a > 1 << 20)
                {
                    throw Unsupported(g, node, $"padding ({b}, {a}) merged from a Pad node");
                }

                pairs[d] = ((int)b, (int)a);
            }
        }

        // One pair for all dimensions when they agree, as ConvNet's own models (and Padding.Symmetric of one value) write it.
        return Array.TrueForAll(pairs, p => p == pairs[0]) ? Padding.Explicit(pairs[0]) : Padding.Explicit(pairs);
    }
}
