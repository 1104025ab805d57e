using System.IO;
using System.Linq;
using ConvNet.Layers;
using ConvNet.Onnx;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>Models exported by torch.onnx.export import and predict what PyTorch and ONNX Runtime predict.</summary>
public class PyTorchFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new() { "lenet5", "resnet20", "resnet20_fused", "cnn1d", "cnn3d", "grouped_concat" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Imported_model_predicts_like_pytorch_and_onnx_runtime(string name)
    {
        var (x, expected) = ImportFixtures.Load(name);
        var model = OnnxImporter.Import(ImportFixtures.ModelPath(name));
        model.InputName.Should().Be("images");
        model.OutputName.Should().Be("scores");
        model.Network.InputShape.ToArray().Should().Equal(x.Shape[1..].ToArray());

        var ours = model.Network.Predict(x);
        ours.Shape.ToArray().Should().Equal(expected.Shape.ToArray());
        var ort = ImportFixtures.RunOrt(File.ReadAllBytes(ImportFixtures.ModelPath(name)), "images", x);
        double vsTorch = ImportFixtures.RelativeMaxDiff(ours.ToArray(), expected.ToArray());
        double vsOrt = ImportFixtures.RelativeMaxDiff(ours.ToArray(), ort);
        output.WriteLine($"{name}: max|Δ| vs PyTorch {vsTorch:E2}, vs ONNX Runtime {vsOrt:E2} (relative to max(1, max|y|))");
        vsTorch.Should().BeLessThanOrEqualTo(1e-4);
        vsOrt.Should().BeLessThanOrEqualTo(1e-4);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_batch_axis_is_dynamic(string name)
    {
        var (x, expected) = ImportFixtures.Load(name);
        var net = OnnxImporter.Load(ImportFixtures.ModelPath(name));
        int per = x.Length / x.Shape[0], outPer = expected.Length / expected.Shape[0];
        var shape = x.Shape.ToArray();
        shape[0] = 1;
        var one = Tensor.FromData(x.AsSpan()[(2 * per)..(3 * per)], shape);
        var y = net.Predict(one).ToArray();
        ImportFixtures.RelativeMaxDiff(y, expected.AsSpan()[(2 * outPer)..(3 * outPer)].ToArray()).Should().BeLessThanOrEqualTo(1e-4);
    }

    [Fact]
    public void ResNet20_imports_as_residual_blocks_with_trainable_batchnorm()
    {
        var net = OnnxImporter.Load(ImportFixtures.ModelPath("resnet20"));
        var all = Flatten(net.Layers).ToList();
        all.OfType<Residual>().Should().HaveCount(9);
        all.OfType<Residual>().Count(r => r.Shortcut is not null).Should().Be(2);
        all.OfType<BatchNorm2D>().Should().HaveCount(21);
        all.OfType<BatchNorm2D>().First().RunningVar!.Value.ToArray().Should().NotBeEquivalentTo(Enumerable.Repeat(1f, 4));
        net.Layers[^1].Should().BeOfType<FullyConnected>();
        net.Layers[^2].Should().BeOfType<GlobalAveragePool2D>();
    }

    [Fact]
    public void FoldBatchNorm_folds_every_batchnorm_into_its_conv_and_predicts_the_same()
    {
        var (x, expected) = ImportFixtures.Load("resnet20");
        var model = OnnxImporter.Import(ImportFixtures.ModelPath("resnet20"), new OnnxImportOptions { FoldBatchNorm = true });
        Flatten(model.Network.Layers).OfType<BatchNorm>().Should().BeEmpty();
        model.Notes.Should().HaveCount(21);
        ImportFixtures.RelativeMaxDiff(model.Network.Predict(x).ToArray(), expected.ToArray()).Should().BeLessThanOrEqualTo(1e-4);
    }

    [Fact]
    public void Grouped_convolutions_become_group_connection_tables()
    {
        var net = OnnxImporter.Load(ImportFixtures.ModelPath("grouped_concat"));
        var convs = Flatten(net.Layers).OfType<Conv2D>().ToList();
        convs[0].Connections.Should().Be(ConnectionTable.Groups(4, 8, 2));
        convs.Last().Connections.Should().Be(ConnectionTable.Groups(16, 16, 16));
        Flatten(net.Layers).OfType<Concat>().Should().ContainSingle().Which.Children.Should().HaveCount(3);
    }

    internal static System.Collections.Generic.IEnumerable<Layer> Flatten(System.Collections.Generic.IEnumerable<Layer> layers)
    {
        foreach (var l in layers)
        {
            yield return l;
            foreach (var c in Flatten(l.Children))
            {
                yield return c;
            }
        }
    }
}
