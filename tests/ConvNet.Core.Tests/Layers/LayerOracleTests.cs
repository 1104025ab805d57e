using System;
using System.Collections.Generic;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Every case of conv_layer.json, pool.json and layers_losses.json (PyTorch 1.13 autograd, float64).</summary>
public class LayerOracleTests
{
    public static IEnumerable<object[]> ConvCases() => Oracle.Names("conv_layer.json");

    public static IEnumerable<object[]> PoolCases() => Oracle.Names("pool.json");

    public static IEnumerable<object[]> LayerLossCases() => Oracle.Names("layers_losses.json");

    internal static ConvolutionND BuildConv(OracleCase c)
    {
        var p = c.Params;
        int dims = p.GetProperty("dims").GetInt32();
        var x = c.Inputs["x"];
        var wDense = c.Inputs.TryGetValue("w_dense", out var wd) ? wd : c.Inputs["w"];
        int outC = wDense.Shape[0], inC = wDense.Shape[1];
        var kernel = wDense.Shape[2..];
        var stride = p.GetProperty("stride").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var padding = Padding.Explicit(p.GetProperty("padding").EnumerateArray()
            .Select(e => (e[0].GetInt32(), e[1].GetInt32())).ToArray());
        ConnectionTable? table = null;
        if (p.TryGetProperty("connection_table", out var ct))
        {
            var data = ct.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var m = new bool[outC, inC];
            for (int q = 0; q < outC; q++)
            {
                for (int i = 0; i < inC; i++)
                {
                    m[q, i] = data[(q * inC) + i] != 0;
                }
            }

            table = ConnectionTable.FromMatrix(m);
        }

        int groups = p.GetProperty("groups").GetInt32();
        if (groups > 1)
        {
            ConnectionTable.Groups(inC, outC, groups).Should().Be(table, "the oracle's dense table is PyTorch's groups layout");
        }

        ConvolutionND layer = dims switch
        {
            1 => new Conv1D(inC, outC, kernel[0], stride[0], padding, connections: table),
            2 => new Conv2D(inC, outC, kernel, stride, padding: padding, connections: table),
            _ => new Conv3D(inC, outC, kernel, stride, padding: padding, connections: table),
        };
        wDense.ToFloat().CopyTo(layer.Weight.Value.AsSpan());
        c.Inputs["b"].ToFloat().CopyTo(layer.Bias!.Value.AsSpan());
        x.Shape[1].Should().Be(inC);
        return layer;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv_layer_forward_and_backward_match_pytorch(string name)
    {
        var c = Oracle.Case("conv_layer.json", name);
        foreach (int threads in new[] { 1, 2 })
        {
            var layer = BuildConv(c);
            layer.DegreeOfParallelism = threads;
            var x = c.Inputs["x"].ToTensor();
            var y = layer.Forward(x);
            y.Shape.ToArray().Should().Equal(c.Expected["y"].Shape, name);
            Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], $"{name} y");

            var dx = layer.Backward(x, y, c.Inputs["dy"].ToTensor());
            Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], $"{name} dx");
            var dw = c.Expected.TryGetValue("dw_dense", out var dwd) ? dwd : c.Expected["dw"];
            Assertions.ShouldMatch(layer.Weight.Gradient.AsSpan(), dw, $"{name} dw");
            Assertions.ShouldMatch(layer.Bias!.Gradient.AsSpan(), c.Expected["db"], $"{name} db");

            // Unconnected (q, p) pairs: exactly zero gradient.
            var mask = layer.Weight.Mask;
            for (int i = 0; i < mask.Length; i++)
            {
                if (mask[i] == 0f)
                {
                    layer.Weight.Gradient.AsSpan()[i].Should().Be(0f);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool_forward_and_backward_match_pytorch(string name)
    {
        var c = Oracle.Case("pool.json", name);
        var p = c.Params;
        int dims = p.GetProperty("dims").GetInt32();
        int[] k = p.GetProperty("kernel").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] s = p.GetProperty("stride").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] pad = p.GetProperty("padding").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        p.GetProperty("ceil_mode").GetBoolean().Should().BeFalse();
        bool max = c.Op.StartsWith("max", StringComparison.Ordinal);
        Layer layer = (max, dims) switch
        {
            (true, 1) => new MaxPool1D(k, s, pad),
            (true, 2) => new MaxPool2D(k, s, pad),
            (true, _) => new MaxPool3D(k, s, pad),
            (false, 1) => new AveragePool1D(k, s, pad),
            (false, 2) => new AveragePool2D(k, s, pad),
            _ => new AveragePool3D(k, s, pad),
        };
        var x = c.Inputs["x"].ToTensor();
        var y = layer.Forward(x);
        y.Shape.ToArray().Should().Equal(c.Expected["y"].Shape);
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], name + " y");
        if (max)
        {
            ((MaxPool)layer).ArgMax[..y.Length].ToArray().Should().Equal(c.Expected["argmax"].ToInt(), name + " argmax");
        }

        var dx = layer.Backward(x, y, c.Inputs["dy"].ToTensor());
        Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], name + " dx");
    }

    [Theory]
    [MemberData(nameof(LayerLossCases))]
    public void Layers_and_losses_match_pytorch(string name)
    {
        var c = Oracle.Case("layers_losses.json", name);
        switch (c.Op)
        {
            case "fc":
                {
                    var w = c.Inputs["W"];
                    var fc = new FullyConnected(w.Shape[1], w.Shape[0]);
                    w.ToFloat().CopyTo(fc.Weight.Value.AsSpan());
                    c.Inputs["b"].ToFloat().CopyTo(fc.Bias!.Value.AsSpan());
                    var x = c.Inputs["x"].ToTensor();
                    var y = fc.Forward(x);
                    Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], name + " y");
                    var dx = fc.Backward(x, y, c.Inputs["dy"].ToTensor());
                    Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], name + " dx");
                    Assertions.ShouldMatch(fc.Weight.Gradient.AsSpan(), c.Expected["dW"], name + " dW");
                    Assertions.ShouldMatch(fc.Bias.Gradient.AsSpan(), c.Expected["db"], name + " db");
                    break;
                }

            case "sigmoid":
            case "relu":
                {
                    Layer layer = c.Op == "sigmoid" ? new Sigmoid() : new ReLU();
                    var x = c.Inputs["x"].ToTensor();
                    var y = layer.Forward(x);
                    Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], name + " y");
                    var dx = layer.Backward(x, y, c.Inputs["dy"].ToTensor());
                    Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], name + " dx (lecture convention)");
                    if (c.Op == "relu" && x.ToArray().Contains(0f))
                    {
                        // The lecture's f'(0) = 1 differs from PyTorch's exactly at zero.
                        dx.ToArray().Should().NotEqual(c.Expected["dx_pytorch_convention"].ToFloat());
                    }

                    break;
                }

            case "euclidean_loss":
            case "softmax_cross_entropy":
                {
                    bool ce = c.Op == "softmax_cross_entropy";
                    var pred = (ce ? c.Inputs["z"] : c.Inputs["y"]).ToTensor();
                    var t = c.Inputs["t"].ToTensor();
                    Loss mean = ce ? new SoftmaxCrossEntropy() : new EuclideanLoss();
                    Loss sum = ce ? new SoftmaxCrossEntropy(LossReduction.Sum) : new EuclideanLoss(LossReduction.Sum);
                    ((double)mean.Forward(pred, t)).Should().BeApproximately(c.Expected["loss_mean"].Data[0], Oracle.Tolerance(c.Expected["loss_mean"]));
                    ((double)sum.Forward(pred, t)).Should().BeApproximately(c.Expected["loss_sum"].Data[0], Oracle.Tolerance(c.Expected["loss_sum"]));
                    var g = new Tensor(pred.Shape.ToArray());
                    mean.Backward(pred, t, g);
                    Assertions.ShouldMatch(g.AsSpan(), c.Expected["grad_of_mean"], name + " grad_of_mean");
                    sum.Backward(pred, t, g);
                    Assertions.ShouldMatch(g.AsSpan(), c.Expected["grad_per_sample"], name + " grad_per_sample");
                    if (c.Inputs.TryGetValue("labels", out var labels))
                    {
                        var l = labels.ToInt();
                        ((double)mean.Forward(pred, l)).Should().BeApproximately(c.Expected["loss_mean"].Data[0], Oracle.Tolerance(c.Expected["loss_mean"]));
                        mean.Backward(pred, l, g);
                        Assertions.ShouldMatch(g.AsSpan(), c.Expected["grad_of_mean"], name + " grad_of_mean (labels)");
                    }

                    if (ce)
                    {
                        var sm = new Tensor(pred.Shape.ToArray());
                        SoftmaxCrossEntropy.Softmax(pred, sm);
                        Assertions.ShouldMatch(sm.AsSpan(), c.Expected["softmax"], name + " softmax");
                    }

                    break;
                }

            default:
                throw new InvalidOperationException("Unknown op " + c.Op);
        }
    }

    [Fact]
    public void LeNet5C3_table_matches_the_oracle_and_the_lecture_grid()
    {
        var c = Oracle.Case("conv_layer.json", "conv2d_lenet_c3_table");
        var data = c.Params.GetProperty("connection_table").GetProperty("data").EnumerateArray().Select(e => e.GetInt32() != 0).ToArray();
        var t = ConnectionTable.LeNet5C3;
        t.Outputs.Should().Be(16);
        t.Inputs.Should().Be(6);
        t.ConnectionCount.Should().Be(60);
        for (int q = 0; q < 16; q++)
        {
            for (int p = 0; p < 6; p++)
            {
                t.IsConnected(q, p).Should().Be(data[(q * 6) + p], $"(q={q}, p={p})");
            }
        }

        var sets = c.Params.GetProperty("connection_sets").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        ConnectionTable.FromSets(6, sets).Should().Be(t);
        t.InputsOf(15).Should().Equal(0, 1, 2, 3, 4, 5);
        t.OutputsOf(0).Should().Equal(0, 4, 5, 6, 9, 10, 11, 12, 14, 15);
        t.ToString().Split('\n')[1].Should().Be("  0  X  .  .  .  X  X  X  .  .  X  X  X  X  .  X  X");
    }
}
