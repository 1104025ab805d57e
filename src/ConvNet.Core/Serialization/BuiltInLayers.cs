using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Initialization;
using ConvNet.Layers;

namespace ConvNet.Serialization;

/// <summary>The factories of the built-in layers: each reads back what the layer's WriteConfig wrote.</summary>
internal static class BuiltInLayers
{
    public static void Register(Dictionary<string, Func<LayerConfigReader, Layer>> f)
    {
        f["Conv1D"] = r => Conv(r, 1);
        f["Conv2D"] = r => Conv(r, 2);
        f["Conv3D"] = r => Conv(r, 3);
        f["FullyConnected"] = r =>
        {
            int i = r.GetInt("in", 1), o = r.GetInt("out", 1);
            bool bias = r.GetBool("bias");
            r.Reserve(((long)i * o) + (bias ? o : 0));
            return new FullyConnected(i, o, bias, Init(r));
        };
        f["MaxPool1D"] = r => new MaxPool1D(r.GetInts("kernel", 1), r.GetInts("stride", 1), r.GetInts("padding", 1));
        f["MaxPool2D"] = r => new MaxPool2D(r.GetInts("kernel", 2), r.GetInts("stride", 2), r.GetInts("padding", 2));
        f["MaxPool3D"] = r => new MaxPool3D(r.GetInts("kernel", 3), r.GetInts("stride", 3), r.GetInts("padding", 3));
        f["AveragePool1D"] = r => new AveragePool1D(r.GetInts("kernel", 1), r.GetInts("stride", 1), r.GetInts("padding", 1));
        f["AveragePool2D"] = r => new AveragePool2D(r.GetInts("kernel", 2), r.GetInts("stride", 2), r.GetInts("padding", 2));
        f["AveragePool3D"] = r => new AveragePool3D(r.GetInts("kernel", 3), r.GetInts("stride", 3), r.GetInts("padding", 3));
        f["BatchNorm1D"] = r => Norm(r, 1);
        f["BatchNorm2D"] = r => Norm(r, 2);
        f["BatchNorm3D"] = r => Norm(r, 3);
        f["ReLU"] = _ => new ReLU();
        f["Sigmoid"] = _ => new Sigmoid();
        f["Tanh"] = _ => new Tanh();
        f["Flatten"] = _ => new Flatten();
        f["Identity"] = _ => new Identity();
        f["LeakyReLU"] = r => new LeakyReLU(r.GetDouble("negativeSlope", -1e6, 1e6));
        f["Softmax"] = _ => new Softmax();
        f["LogSoftmax"] = _ => new LogSoftmax();
        f["Reshape"] = r => new Reshape(r.GetInts("shape", -1, -1, 1 << 30));
        f["Dropout"] = r => new Dropout(r.GetDouble("p", 0, 0.999999), r.GetInt("seed", int.MinValue, int.MaxValue));
        f["GlobalAveragePool1D"] = _ => new GlobalAveragePool1D();
        f["GlobalAveragePool2D"] = _ => new GlobalAveragePool2D();
        f["GlobalAveragePool3D"] = _ => new GlobalAveragePool3D();
        f["GlobalMaxPool1D"] = _ => new GlobalMaxPool1D();
        f["GlobalMaxPool2D"] = _ => new GlobalMaxPool2D();
        f["GlobalMaxPool3D"] = _ => new GlobalMaxPool3D();
        f["Sequential"] = r => new Sequential(r.GetLayers("layers"));
        f["Residual"] = r => new Residual(r.GetLayer("body"), r.Has("shortcut") ? r.GetLayer("shortcut") : null);
        f["Concat"] = r => new Concat(r.GetLayers("branches"));
        f["Add"] = r => new Add(r.GetLayers("branches"));
    }

    private static ConvolutionND Conv(LayerConfigReader r, int rank)
    {
        int i = r.GetInt("in", 1), o = r.GetInt("out", 1);
        int[] kernel = r.GetInts("kernel", rank, 1), stride = r.GetInts("stride", rank, 1), dilation = r.GetInts("dilation", rank, 1);
        long k = 1;
        foreach (int v in kernel)
        {
            k = checked(k * v);
        }

        bool bias = r.GetBool("bias");
        r.Reserve(checked((i * k * o) + (bias ? o : 0)));
        var padding = Pad(r, rank);
        var table = Table(r, i, o);
        var init = Init(r);
        return rank switch
        {
            1 => new Conv1D(i, o, kernel[0], stride[0], padding, dilation[0], table, bias, init),
            2 => new Conv2D(i, o, kernel, stride, padding, dilation, table, bias, init),
            _ => new Conv3D(i, o, kernel, stride, padding, dilation, table, bias, init),
        };
    }

    private static BatchNorm Norm(LayerConfigReader r, int rank)
    {
        int c = r.GetInt("channels", 1);
        double? momentum = r.Has("momentum") ? r.GetDouble("momentum", 0, 1) : null;
        double eps = r.GetDouble("epsilon", 0);
        bool affine = r.GetBool("affine"), track = r.GetBool("trackRunningStats");
        r.Reserve(((affine ? 2L : 0) + (track ? 2L : 0)) * c + (track ? 1 : 0));
        return rank switch
        {
            1 => new BatchNorm1D(c, momentum, eps, affine, track),
            2 => new BatchNorm2D(c, momentum, eps, affine, track),
            _ => new BatchNorm3D(c, momentum, eps, affine, track),
        };
    }

    private static Padding Pad(LayerConfigReader r, int rank)
    {
        string mode = r.GetString("padding");
        switch (mode)
        {
            case "Valid":
                return Padding.Valid;
            case "Same":
                return Padding.Same;
            case "Full":
                return Padding.Full;
            case "Explicit":
                var rows = r.GetIntRows("paddingAmounts", rank, 2);
                var pairs = new (int, int)[rank];
                for (int d = 0; d < rank; d++)
                {
                    pairs[d] = (rows[d][0], rows[d][1]);
                }

                return Padding.Explicit(pairs);
            default:
                throw new InvalidDataException($"{r.TypeName} '{r.Name}': unknown padding mode '{mode}'.");
        }
    }

    private static ConnectionTable? Table(LayerConfigReader r, int inputs, int outputs)
    {
        if (!r.Has("connections"))
        {
            return null;
        }

        var rows = r.GetIntRows("connections", outputs, -1, 0, inputs - 1);
        var sets = new List<IEnumerable<int>>(rows.Length);
        foreach (var row in rows)
        {
            sets.Add(row);
        }

        return ConnectionTable.FromSets(inputs, sets);
    }

    private static WeightInitializer Init(LayerConfigReader r) => WeightInitializer.FromName(r.GetString("initializer"));
}
