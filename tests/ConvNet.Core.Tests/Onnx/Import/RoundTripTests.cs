using System.IO;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Onnx;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>Export(Import(f)) runs in ONNX Runtime like f; Import(Export(net)) predicts bit-identically; imports save as ConvNet models.</summary>
public class RoundTripTests
{
    [Theory]
    [MemberData(nameof(PyTorchFixtureTests.Models), MemberType = typeof(PyTorchFixtureTests))]
    public void Exporting_an_imported_model_runs_in_onnx_runtime_with_the_same_outputs_and_names(string name)
    {
        var (x, _) = ImportFixtures.Load(name);
        var model = OnnxImporter.Import(ImportFixtures.ModelPath(name));
        var original = ImportFixtures.RunOrt(File.ReadAllBytes(ImportFixtures.ModelPath(name)), "images", x);
        var ms = new MemoryStream();
        OnnxExporter.Export(model.Network, ms, model.InputName, model.OutputName);

        var again = ImportFixtures.RunOrt(ms.ToArray(), "images", x);

        ImportFixtures.RelativeMaxDiff(again, original).Should().BeLessThanOrEqualTo(1e-5);
        using var dir = new TempDirectory("onnx-rt");
        File.WriteAllBytes(dir.File("again.onnx"), ms.ToArray());
        var reimported = OnnxImporter.Import(dir.File("again.onnx"));
        reimported.InputName.Should().Be("images");
        reimported.OutputName.Should().Be("scores");
        reimported.Network.Predict(x).ToArray().Should().Equal(model.Network.Predict(x).ToArray());
    }

    public static TheoryData<string> NativeModels => new() { "lenet5-modern", "lenet5-classic", "resnet20", "resnext", "concat-1d" };

    [Theory]
    [MemberData(nameof(NativeModels))]
    public void Importing_an_exported_network_predicts_bit_identically(string which)
    {
        Network net = which switch
        {
            "lenet5-modern" => LeNet5.Modern(seed: 3),
            "lenet5-classic" => LeNet5.Classic(seed: 3),
            "resnet20" => ResNet.ResNet20(seed: 3),
            "resnext" => ResNet.ResNeXt(seed: 3, cardinality: 4),
            _ => new Network(3, 16)
                .Add(new Concat(new Conv1D(3, 4, 3, padding: Padding.Same), new Sequential(new MaxPool1D(3, 1, 1), new Conv1D(3, 2, 1))))
                .Add(new BatchNorm1D(6)).Add(new LeakyReLU(0.2)).Add(new AveragePool1D(2)).Add(new Flatten()).Add(new Dropout(0.3)).Add(new FullyConnected(48, 3)).Add(new LogSoftmax()),
        };
        if (which == "concat-1d")
        {
            net.Initialize(5);
        }

        // Non-trivial BatchNorm statistics: a few training-mode passes.
        var rng = new System.Random(9);
        int per = 1;
        foreach (int d in net.InputShape)
        {
            per *= d;
        }

        var x = Tensor.FromData(Reference.Random(rng, 8 * per), [8, .. net.InputShape.ToArray()]);
        net.SetTraining(true);
        net.Forward(x);
        net.Backward(new Tensor([8, .. net.OutputShape.ToArray()]));
        net.SetTraining(false);

        using var dir = new TempDirectory("onnx-rt");
        OnnxExporter.Export(net, dir.File("net.onnx"));
        var imported = OnnxImporter.Load(dir.File("net.onnx"));

        imported.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        if (which != "lenet5-classic")
        {
            imported.ParameterCount.Should().Be(net.ParameterCount);
        }
        else
        {
            // ONNX has no connection tables: LeNet-5's C3 table is exported as dense weights with zeros, which import as trainable.
            imported.ParameterCount.Should().Be(net.ParameterCount + 900);
        }
    }

    [Fact]
    public void An_imported_resnet20_has_the_native_layers()
    {
        var native = ResNet.ResNet20(seed: 1);
        using var dir = new TempDirectory("onnx-rt");
        OnnxExporter.Export(native, dir.File("r.onnx"));
        var imported = OnnxImporter.Load(dir.File("r.onnx"));

        // The same layers in the same order; only the Sequential wrapper around each native block+ReLU is not rebuilt
        // (ONNX has no such grouping: the import puts Residual and ReLU side by side).
        Layers(imported.Layers).Should().Equal(Layers(native.Layers), "the benchmarks compare the two: same layers, same speed");
    }

    private static string[] Layers(System.Collections.Generic.IEnumerable<Layer> layers) =>
        System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(
            System.Linq.Enumerable.Where(PyTorchFixtureTests.Flatten(layers), l => l is not Sequential),
            l => l is ConvolutionND c ? $"{l.GetType().Name}({c.InChannels}->{c.OutChannels}, k{c.KernelSize[0]}, s{c.Stride[0]}, {c.Padding})" : l.GetType().Name));

    [Theory]
    [MemberData(nameof(PyTorchFixtureTests.Models), MemberType = typeof(PyTorchFixtureTests))]
    public void An_imported_model_saves_and_loads_as_a_convnet_model(string name)
    {
        var (x, _) = ImportFixtures.Load(name);
        var net = OnnxImporter.Load(ImportFixtures.ModelPath(name));
        using var dir = new TempDirectory("onnx-save");
        ModelSerializer.Save(net, dir.File("model.convnet"));

        var loaded = ModelSerializer.Load(dir.File("model.convnet"));

        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
    }
}
