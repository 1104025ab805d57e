using System;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Onnx;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ConvNet.Core.Tests.Onnx;

/// <summary>Exported models run in ONNX Runtime and agree with our own predictions.</summary>
public class OnnxExportTests
{
    private static float[] RunOnnx(byte[] model, Tensor x)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(x.ToArray(), x.Shape.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    private static byte[] Export(Network net, bool softmax = false)
    {
        var ms = new MemoryStream();
        OnnxExporter.Export(net, ms, softmax);
        return ms.ToArray();
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();

    [Theory]
    [InlineData("modern")]
    [InlineData("classic")]
    public void LeNet5_exported_to_onnx_predicts_100_test_images_like_convnet(string model)
    {
        var net = model == "modern" ? LeNet5.Modern(seed: 2) : LeNet5.Classic(seed: 2);
        new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), new TrainingOptions { Epochs = 1, BatchSize = 64 }).Fit(ShippedData.Train.Subset(0, 640));
        var x = new Tensor(100, 1, 28, 28);
        ShippedData.Test.CopyBatch(Enumerable.Range(0, 100).ToArray(), 0, x, new int[100]);
        var ours = net.Predict(x).ToArray();
        var onnx = RunOnnx(Export(net), x);
        onnx.Should().HaveCount(1000);
        MaxAbsDiff(ours, onnx).Should().BeLessThanOrEqualTo(1e-4);

        var probabilities = RunOnnx(Export(net, softmax: true), x);
        var expected = new Tensor(100, 10);
        SoftmaxCrossEntropy.Softmax(Tensor.FromData(ours, 100, 10), expected);
        MaxAbsDiff(expected.ToArray(), probabilities).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Fact]
    public void Conv1D_and_Conv3D_with_stride_dilation_padding_and_groups_export()
    {
        var rng = new Random(5);
        var net1 = new Network(4, 20)
            .Add(new Conv1D(4, 6, 3, stride: 2, padding: Padding.Same, dilation: 2, connections: ConnectionTable.Groups(4, 6, 2)))
            .Add(new Tanh()).Add(new MaxPool1D(2)).Add(new Conv1D(6, 3, 2, padding: Padding.Full)).Add(new AveragePool1D(3, 2, 1));
        net1.Initialize(3);
        var x1 = Tensor.FromData(Reference.Random(rng, 2 * 4 * 20), 2, 4, 20);
        MaxAbsDiff(net1.Predict(x1).ToArray(), RunOnnx(Export(net1), x1)).Should().BeLessThanOrEqualTo(1e-5);

        var net3 = new Network(2, 6, 7, 8)
            .Add(new Conv3D(2, 3, [3, 2, 3], [1, 2, 1], Padding.Explicit((1, 0), (0, 1), (2, 1)), null, ConnectionTable.FromSets(2, [new[] { 0 }, new[] { 0, 1 }, new[] { 1 }])))
            .Add(new Sigmoid()).Add(new MaxPool3D(2)).Add(new Flatten()).Add(new FullyConnected(48, 5));
        net3.Initialize(4);
        var x3 = Tensor.FromData(Reference.Random(rng, 2 * 2 * 6 * 7 * 8), 2, 2, 6, 7, 8);
        MaxAbsDiff(net3.Predict(x3).ToArray(), RunOnnx(Export(net3), x3)).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Fact]
    public void A_layer_onnx_cannot_express_is_named_in_a_NotSupportedException()
    {
        var net = new Network(3).Add(new FullyConnected(3, 3)).Add(new Square());
        FluentActions.Invoking(() => Export(net)).Should().Throw<NotSupportedException>().WithMessage("*'Square'*");
    }

    private sealed class Square() : Layer("Square")
    {
        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(input.AsSpan(), input.AsSpan(), output.AsSpan());

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
        }
    }
}
