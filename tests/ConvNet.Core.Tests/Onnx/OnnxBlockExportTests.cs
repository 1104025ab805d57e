using System;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Onnx;
using ConvNet.Serialization;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ConvNet.Core.Tests.Onnx;

/// <summary>Residual and branching networks, BatchNorm and the new layers exported and run in ONNX Runtime; a user's layer.</summary>
public class OnnxBlockExportTests
{
    private static float[] RunOnnx(Network net, Tensor x)
    {
        var ms = new MemoryStream();
        OnnxExporter.Export(net, ms);
        using var session = new InferenceSession(ms.ToArray());
        var input = new DenseTensor<float>(x.ToArray(), x.Shape.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        results.First().Name.Should().Be("output");
        return results.First().AsEnumerable<float>().ToArray();
    }

    private static Tensor Random(int seed, params int[] shape)
    {
        var t = new Tensor(shape);
        var r = new Random(seed);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)r.NextDouble();
        }

        return t;
    }

    /// <summary>Training-mode passes move the running statistics away from (0, 1), so eval mode is not trivial.</summary>
    private static void Warm(Network net, int classes)
    {
        for (int k = 0; k < 3; k++)
        {
            var x = Random(10 + k, 8, 1, 28, 28);
            net.Forward(x);
            net.Backward(new Tensor(8, classes));
        }
    }

    [Theory]
    [InlineData("resnet20")]
    [InlineData("resnext")]
    public void Residual_networks_run_in_onnx_runtime_like_convnet(string model)
    {
        var net = model == "resnet20" ? ResNet.ResNet20(seed: 3) : ResNet.ResNeXt(seed: 3);
        Warm(net, 10);
        net.NamedBuffers.First(b => b.Name.EndsWith("running_var", StringComparison.Ordinal)).Buffer.Value.ToArray().Should().NotEqual(Enumerable.Repeat(1f, 16));
        var x = Random(1, 20, 1, 28, 28);
        var ours = net.Predict(x).ToArray();
        var onnx = RunOnnx(net, x);
        double scale = Math.Max(1, ours.Max(Math.Abs));
        ours.Zip(onnx, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThanOrEqualTo((float)(1e-4 * scale));
    }

    [Fact]
    public void Branches_and_the_new_layers_run_in_onnx_runtime_like_convnet()
    {
        var net = new Network(3, 8, 8)
            .Add(new Conv2D(3, 4, 3, padding: Padding.Same)).Add(new BatchNorm2D(4)).Add(new LeakyReLU(0.1))
            .Add(new Concat(new Identity(), new Sequential(new Conv2D(4, 2, 1), new ReLU()), new Conv2D(4, 2, 3, padding: Padding.Same)))
            .Add(new Add(new Identity(), new Conv2D(8, 8, 1), new Dropout(0.3)))
            .Add(new Residual(new Sequential(new Conv2D(8, 8, 3, padding: Padding.Same, useBias: false), new BatchNorm2D(8))))
            .Add(new Concat(new GlobalMaxPool2D(), new GlobalAveragePool2D()))
            .Add(new Reshape(4, 4)).Add(new Flatten()).Add(new FullyConnected(16, 5)).Add(new LogSoftmax());
        net.Initialize(4);
        for (int k = 0; k < 2; k++)
        {
            net.Forward(Random(k, 6, 3, 8, 8));
            net.Backward(new Tensor(6, 5));
        }

        var x = Random(9, 7, 3, 8, 8);
        var ours = net.Predict(x).ToArray();
        ours.Zip(RunOnnx(net, x), (a, b) => Math.Abs(a - b)).Max().Should().BeLessThanOrEqualTo(1e-4f * Math.Max(1, ours.Max(Math.Abs)));
    }

    [Fact]
    public void A_users_layer_is_saved_loaded_and_exported()
    {
        LayerRegistry.Register("Scale", r => new Scale((float)r.GetDouble("factor")));
        var net = new Network(2, 4, 4).Add(new Conv2D(2, 3, 3, padding: Padding.Same)).Add(new Sequential(new Scale(2.5f), new ReLU())).Add(new Flatten());
        net.Initialize(1);
        using var temp = new TempDirectory("user-layer");
        ModelSerializer.Save(net, temp.File("u.safetensors"));
        var loaded = ModelSerializer.Load(temp.File("u.safetensors"));
        ((Scale)loaded.Layers[1].Children[0]).Factor.Should().Be(2.5f);
        var x = Random(2, 3, 2, 4, 4);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        var ours = loaded.Predict(x).ToArray();
        ours.Zip(RunOnnx(loaded, x), (a, b) => Math.Abs(a - b)).Max().Should().BeLessThanOrEqualTo(1e-5f);
    }

    [Fact]
    public void Every_layer_that_cannot_be_exported_is_named_at_once()
    {
        var net = new Network(3).Add(new Plain { Name = "p1" }).Add(new Sequential(new Plain { Name = "p2" }));
        FluentActions.Invoking(() => OnnxExporter.Export(net, new MemoryStream())).Should().Throw<NotSupportedException>().WithMessage("*'p1'*'p2'*");
    }

    private sealed class Scale(float factor) : Layer("Scale"), IOnnxExportable
    {
        public float Factor { get; } = factor;

        public override void WriteConfig(LayerConfigWriter config) => config.Write("factor", (double)Factor);

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        public string ExportOnnx(OnnxGraphBuilder builder, string input, int[] inputShape) =>
            builder.AddNode("Mul", [input, builder.AddInitializer("factor", [1], [Factor])], Name);

        protected override void ForwardCore(Tensor input, Tensor output) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(input.AsSpan(), Factor, output.AsSpan());

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient.AsSpan(), Factor, inputGradient!.AsSpan());
    }

    private sealed class Plain : Layer
    {
        public Plain()
            : base("Plain")
        {
        }

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output) => input.AsSpan().CopyTo(output.AsSpan());

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
        }
    }
}
