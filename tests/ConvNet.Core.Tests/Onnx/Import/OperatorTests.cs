using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Onnx;
using FluentAssertions;
using Xunit;
using static ConvNet.Core.Tests.Onnx.Import.GraphBuilder;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>Operators and attributes torch exports rarely, checked against ONNX Runtime on hand-built graphs; and clear rejections.</summary>
public class OperatorTests
{
    private static void MatchesOrt(GraphBuilder g, params int[] inputShape)
    {
        using var dir = new TempDirectory("onnx-op");
        var bytes = g.Save(dir.File("m.onnx"));
        var x = Tensor.FromData(Reference.Random(new Random(3), inputShape.Aggregate(1, (a, b) => a * b)), inputShape);
        var net = OnnxImporter.Load(dir.File("m.onnx"));
        var ours = net.Predict(x).ToArray();
        var ort = ImportFixtures.RunOrt(bytes, "x", x);
        ours.Should().HaveCount(ort.Length);
        ImportFixtures.RelativeMaxDiff(ours, ort).Should().BeLessThanOrEqualTo(1e-5);
    }

    private static string Rejects(GraphBuilder g)
    {
        using var dir = new TempDirectory("onnx-op");
        g.Save(dir.File("m.onnx"));
        var act = () => OnnxImporter.Load(dir.File("m.onnx"));
        return act.Should().Throw<NotSupportedException>().Which.Message;
    }

    [Fact]
    public void Conv_with_asymmetric_pads_strides_and_dilations()
    {
        var g = new GraphBuilder(13, 3, 9, 10);
        g.Node("Conv", [g.Weights(4, 3, 3, 2), g.Weights(4)], Ints("pads", 2, 0, 1, 1), Ints("strides", 2, 1), Ints("dilations", 1, 2));
        MatchesOrt(g, 2, 3, 9, 10);
    }

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    [InlineData("VALID")]
    public void Conv_auto_pad(string mode)
    {
        var g = new GraphBuilder(11, 2, 8, 7);
        g.Node("Conv", [g.Weights(3, 2, 4, 3)], Str("auto_pad", mode), Ints("strides", 2, 2));
        MatchesOrt(g, 2, 2, 8, 7);
    }

    [Fact]
    public void Pad_then_conv_merges_the_zero_padding()
    {
        var g = new GraphBuilder(13, 2, 6, 6);
        g.Node("Pad", [g.Ints(0, 0, 1, 0, 0, 0, 0, 2)]).Node("Conv", [g.Weights(3, 2, 3, 3)]);
        MatchesOrt(g, 2, 2, 6, 6);
    }

    [Fact]
    public void MatMul_plus_Add_and_Gemm_with_alpha_beta_and_untransposed_B_become_FullyConnected()
    {
        var g = new GraphBuilder(13, 6);
        g.Node("MatMul", [g.Weights(6, 5)]).Node("Add", [g.Weights(5)]).Node("Relu")
            .Node("Gemm", [g.Weights(5, 4), g.Weights(4)], Float("alpha", 0.5f), Float("beta", 2f));
        MatchesOrt(g, 3, 6);
        using var dir = new TempDirectory("onnx-op");
        g.Save(dir.File("m.onnx"));
        OnnxImporter.Load(dir.File("m.onnx")).Layers.Select(l => l.GetType().Name).Should().Equal("FullyConnected", "ReLU", "FullyConnected");
    }

    [Fact]
    public void Pools_with_padding_and_a_ceil_mode_that_adds_no_partial_window()
    {
        var g = new GraphBuilder(13, 2, 9, 9);
        g.Node("MaxPool", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("ceil_mode", 1))
            .Node("AveragePool", Ints("kernel_shape", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1), Ints("strides", 1, 1))
            .Node("GlobalMaxPool").Node("Flatten").Node("Softmax", Int("axis", 1));
        MatchesOrt(g, 2, 2, 9, 9);
    }

    [Fact]
    public void Global_pool_without_flatten_keeps_the_onnx_shape()
    {
        var g = new GraphBuilder(13, 3, 4, 4);
        g.Node("GlobalAveragePool").Node("LeakyRelu", Float("alpha", 0.2f));
        MatchesOrt(g, 2, 3, 4, 4);
    }

    [Fact]
    public void Unmappable_attributes_are_rejected_naming_the_node_and_the_opset()
    {
        var ceil = new GraphBuilder(13, 1, 8, 8);
        ceil.Node("MaxPool", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        Rejects(ceil).Should().Contain("MaxPool node").And.Contain("ceil_mode").And.Contain("opset 13");

        var exclude = new GraphBuilder(13, 1, 8, 8);
        exclude.Node("AveragePool", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1));
        Rejects(exclude).Should().Contain("count_include_pad");

        var asym = new GraphBuilder(13, 1, 8, 8);
        asym.Node("MaxPool", Ints("kernel_shape", 2, 2), Ints("pads", 1, 0, 0, 0));
        Rejects(asym).Should().Contain("asymmetric");

        var softmax = new GraphBuilder(11, 3, 4, 4);
        softmax.Node("Softmax", Int("axis", 1));
        Rejects(softmax).Should().Contain("Softmax node").And.Contain("opset 11");

        var flatten = new GraphBuilder(13, 3, 4);
        flatten.Node("Flatten", Int("axis", 2));
        Rejects(flatten).Should().Contain("axis 2");

        var pad = new GraphBuilder(13, 3, 4);
        pad.Node("Pad", [SpatialPads(pad)]).Node("Relu");
        Rejects(pad).Should().Contain("standalone Pad");

        static string SpatialPads(GraphBuilder b) => b.Ints(0, 0, 1, 0, 0, 1);
    }

    [Fact]
    public void A_conv_pad_wider_than_the_kernel_is_rejected_clearly()
    {
        var g = new GraphBuilder(13, 1, 8);
        g.Node("Conv", [g.Weights(2, 1, 3)], Ints("pads", 3, 0));
        Rejects(g).Should().Contain("Conv node");
    }
}
