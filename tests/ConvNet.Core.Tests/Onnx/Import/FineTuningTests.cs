using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Onnx;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>Transfer learning from a PyTorch model: import, freeze the body, replace the head, train on Fashion-MNIST.</summary>
public class FineTuningTests
{
    [Fact]
    public void Imported_lenet5_with_a_frozen_body_and_a_new_head_learns_fashion_mnist()
    {
        var net = OnnxImporter.Load(ImportFixtures.ModelPath("lenet5"));
        net.RemoveLast().Should().BeOfType<FullyConnected>().Which.Outputs.Should().Be(10);
        foreach (var layer in net.Layers)
        {
            layer.Trainable = false;
        }

        var body = net.Parameters.Select(p => p.Value.ToArray()).ToArray();
        net.Add(new FullyConnected(84, 10, seed: 1));
        var test = ShippedData.Test.Subset(0, 500);
        double before = Accuracy(net, test);

        new Trainer(net, new SoftmaxCrossEntropy(), new Adam(0.01), new TrainingOptions { Epochs = 2, BatchSize = 32, Seed = 1 })
            .Fit(ShippedData.Train.Subset(0, 2000));

        double after = Accuracy(net, test);
        after.Should().BeGreaterThan(0.6, "features PyTorch learned on classes 0-4 plus a new linear head separate all 10 classes well above chance");
        after.Should().BeGreaterThan(before + 0.3);
        net.Parameters.Take(body.Length).Select(p => p.Value.ToArray()).Should().BeEquivalentTo(body, o => o.WithStrictOrdering(), "the imported body is frozen");
    }

    private static double Accuracy(Network net, ConvNet.Data.Dataset data)
    {
        var idx = Enumerable.Range(0, data.Count).ToArray();
        var x = new Tensor([data.Count, .. data.SampleShape.ToArray()]);
        var labels = new int[data.Count];
        data.CopyBatch(idx, 0, x, labels);
        var predicted = net.PredictClasses(x);
        return predicted.Zip(labels, (p, l) => p == l ? 1.0 : 0.0).Average();
    }
}
