using System;
using System.Collections.Generic;
using ConvNet.Layers;

namespace ConvNet.Onnx;

/// <summary>The exporters of the built-in layers and blocks (registered like a user's, by type).</summary>
internal static class BuiltInExporters
{
    public static Dictionary<Type, Func<OnnxGraphBuilder, Layer, string, int[], string>> Create() => new()
    {
        [typeof(ConvolutionND)] = (b, l, i, s) => Conv(b, (ConvolutionND)l, i, s),
        [typeof(FullyConnected)] = (b, l, i, _) => Gemm(b, (FullyConnected)l, i),
        [typeof(MaxPool)] = (b, l, i, _) => Pool(b, "MaxPool", (PoolingND)l, i, false),
        [typeof(AveragePool)] = (b, l, i, _) => Pool(b, "AveragePool", (PoolingND)l, i, true),
        [typeof(ReLU)] = (b, l, i, _) => b.AddNode("Relu", [i], l.Name),
        [typeof(Sigmoid)] = (b, l, i, _) => b.AddNode("Sigmoid", [i], l.Name),
        [typeof(Tanh)] = (b, l, i, _) => b.AddNode("Tanh", [i], l.Name),
        [typeof(LeakyReLU)] = (b, l, i, _) => b.AddNode("LeakyRelu", [i], l.Name, OnnxAttribute.Float("alpha", (float)((LeakyReLU)l).NegativeSlope)),
        [typeof(Flatten)] = (b, l, i, _) => b.AddNode("Flatten", [i], l.Name, OnnxAttribute.Int("axis", 1)),
        [typeof(Softmax)] = (b, l, i, _) => b.AddNode(((Softmax)l).IsLog ? "LogSoftmax" : "Softmax", [i], l.Name, OnnxAttribute.Int("axis", 1)),
        [typeof(Identity)] = (_, _, i, _) => i,
        [typeof(Dropout)] = (_, _, i, _) => i,
        [typeof(Reshape)] = (b, l, i, s) => ReshapeTo(b, l.Name, i, l.GetOutputShape(s)),
        [typeof(GlobalAveragePool)] = (b, l, i, _) => b.AddNode("Flatten", [b.AddNode("GlobalAveragePool", [i], l.Name)], l.Name + "_flat", OnnxAttribute.Int("axis", 1)),
        [typeof(GlobalMaxPool)] = (b, l, i, _) => b.AddNode("Flatten", [b.AddNode("GlobalMaxPool", [i], l.Name)], l.Name + "_flat", OnnxAttribute.Int("axis", 1)),
        [typeof(BatchNorm)] = (b, l, i, _) => Norm(b, (BatchNorm)l, i),
        [typeof(Sequential)] = (b, l, i, s) => Chain(b, l, i, s),
        [typeof(Add)] = (b, l, i, s) => Sum(b, l, i, s),
        [typeof(Residual)] = (b, l, i, s) => Sum(b, l, i, s),
        [typeof(Concat)] = (b, l, i, s) => b.AddNode("Concat", BranchOutputs(b, l, i, s), l.Name, OnnxAttribute.Int("axis", 1)),
    };

    private static string Chain(OnnxGraphBuilder b, Layer block, string input, int[] shape)
    {
        string current = input;
        int[] s = shape;
        foreach (var child in block.Children)
        {
            current = b.Export(child, current, s);
            s = child.GetOutputShape(s);
        }

        return current;
    }

    private static List<string> BranchOutputs(OnnxGraphBuilder b, Layer block, string input, int[] shape)
    {
        var outputs = new List<string>();
        foreach (var child in block.Children)
        {
            outputs.Add(b.Export(child, input, shape));
        }

        return outputs;
    }

    private static string Sum(OnnxGraphBuilder b, Layer block, string input, int[] shape)
    {
        var outputs = BranchOutputs(b, block, input, shape);
        string sum = outputs[0];
        for (int k = 1; k < outputs.Count; k++)
        {
            sum = b.AddNode("Add", [sum, outputs[k]], block.Name);
        }

        return sum;
    }

    private static string ReshapeTo(OnnxGraphBuilder b, string name, string input, int[] sample)
    {
        var target = new long[sample.Length + 1];
        target[0] = -1;
        for (int d = 0; d < sample.Length; d++)
        {
            target[d + 1] = sample[d];
        }

        return b.AddNode("Reshape", [input, b.AddInt64Initializer(name + "_shape", target)], name);
    }

    private static string Norm(OnnxGraphBuilder b, BatchNorm n, string input)
    {
        int c = n.Channels;
        var ones = new float[c];
        Array.Fill(ones, 1f);
        var zeros = new float[c];
        string scale = b.AddInitializer(n.Name + "_scale", [c], n.Weight is null ? ones : n.Weight.Value.AsSpan());
        string bias = b.AddInitializer(n.Name + "_bias", [c], n.Bias is null ? zeros : n.Bias.Value.AsSpan());
        string mean = b.AddInitializer(n.Name + "_mean", [c], n.RunningMean is null ? zeros : n.RunningMean.Value.AsSpan());
        string var = b.AddInitializer(n.Name + "_var", [c], n.RunningVar is null ? ones : n.RunningVar.Value.AsSpan());
        if (!n.TrackRunningStats)
        {
            throw new NotSupportedException($"{n.Name}: a BatchNorm without running statistics normalizes with batch statistics at inference too, which ONNX's BatchNormalization (inference) cannot express.");
        }

        return b.AddNode("BatchNormalization", [input, scale, bias, mean, var], n.Name, OnnxAttribute.Float("epsilon", (float)n.Epsilon));
    }

    private static string Conv(OnnxGraphBuilder b, ConvolutionND c, string input, int[] inputShape)
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

        var inputs = new List<string> { input, b.AddInitializer(c.Name + "_w", wShape, weights) };
        if (c.Bias is not null)
        {
            inputs.Add(b.AddInitializer(c.Name + "_b", c.Bias.Value.Shape, c.Bias.Value.AsSpan()));
        }

        return b.AddNode("Conv", inputs, c.Name,
            OnnxAttribute.Ints("kernel_shape", c.KernelSize), OnnxAttribute.Ints("strides", c.Stride), OnnxAttribute.Ints("dilations", c.Dilation),
            OnnxAttribute.Ints("pads", pads), OnnxAttribute.Int("group", groups));
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

    private static string Gemm(OnnxGraphBuilder b, FullyConnected f, string input)
    {
        var inputs = new List<string> { input, b.AddInitializer(f.Name + "_w", [f.Outputs, f.Inputs], f.Weight.Value.AsSpan()) };
        if (f.Bias is not null)
        {
            inputs.Add(b.AddInitializer(f.Name + "_b", [f.Outputs], f.Bias.Value.AsSpan()));
        }

        return b.AddNode("Gemm", inputs, f.Name, OnnxAttribute.Int("transB", 1));
    }

    private static string Pool(OnnxGraphBuilder b, string op, PoolingND p, string input, bool countIncludePad)
    {
        var pads = new long[2 * p.SpatialRank];
        for (int d = 0; d < p.SpatialRank; d++)
        {
            pads[d] = pads[p.SpatialRank + d] = p.Padding[d];
        }

        var attributes = new List<OnnxAttribute> { OnnxAttribute.Ints("kernel_shape", p.KernelSize), OnnxAttribute.Ints("strides", p.Stride), OnnxAttribute.Ints("pads", pads) };
        if (countIncludePad)
        {
            attributes.Add(OnnxAttribute.Int("count_include_pad", 1));
        }

        return b.AddNode(op, [input], p.Name, attributes.ToArray());
    }
}
