using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>LeakyReLU, Softmax, LogSoftmax and Reshape: PyTorch vectors, gradient checks, save/load, bad input.</summary>
public class ActivationLayerTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_autograd(string name)
    {
        var c = Oracle.Case("../oracle-v2/activations.json", name);
        Layer layer = c.Op switch
        {
            "leaky_relu" => new LeakyReLU(c.Params.GetProperty("negative_slope").GetDouble()),
            "softmax" => new Softmax(),
            _ => new LogSoftmax(),
        };
        var x = c.Inputs["x"].ToTensor();
        var y = layer.Forward(x);
        var dx = layer.Backward(x, y, c.Inputs["dy"].ToTensor());
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], "y");
        Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], "dx");
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Oracle.Load("../oracle-v2/activations.json"))
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Fact]
    public void Pass_the_gradient_checker()
    {
        foreach (var (layer, shape) in new (Layer, int[])[]
        {
            (new LeakyReLU(0.1), [3, 7]), (new Softmax(), [2, 4, 3]), (new LogSoftmax(), [3, 5]), (new Reshape(2, -1), [2, 3, 4]),
        })
        {
            var r = GradientChecker.Check(layer, shape, new GradientCheckOptions { Seed = 2 });
            r.Passed.Should().BeTrue($"{layer.Name}: {r}");
        }
    }

    [Fact]
    public void Softmax_of_huge_logits_is_finite()
    {
        var y = new Softmax().Forward(Tensor.FromData([1000f, -1000f, 999f], 1, 3)).ToArray();
        y.Should().OnlyContain(v => float.IsFinite(v));
        y[0].Should().BeApproximately(1f / (1f + MathF.Exp(-1f)), 1e-6f);
    }

    [Fact]
    public void Reshape_infers_one_axis_and_rejects_what_does_not_fit()
    {
        new Reshape(-1, 4).GetOutputShape([2, 3, 4]).Should().Equal(6, 4);
        FluentActions.Invoking(() => new Reshape(5, -1).GetOutputShape([2, 3])).Should().Throw<ArgumentException>().WithMessage("*cannot reshape*");
        FluentActions.Invoking(() => new Reshape(-1, -1)).Should().Throw<ArgumentException>().WithParameterName("shape");
        FluentActions.Invoking(() => new Reshape(0, 2)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new Reshape(65536, 65536).GetOutputShape([65536, 65536])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new LeakyReLU(double.NaN)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Save_and_load_their_settings()
    {
        var net = new Network(2, 3).Add(new LeakyReLU(0.3)).Add(new Reshape(-1)).Add(new Softmax()).Add(new LogSoftmax());
        using var temp = new TempDirectory("act");
        ModelSerializer.Save(net, temp.File("a.safetensors"));
        var loaded = ModelSerializer.Load(temp.File("a.safetensors"));
        ((LeakyReLU)loaded.Layers[0]).NegativeSlope.Should().Be(0.3);
        ((Reshape)loaded.Layers[1]).TargetShape.ToArray().Should().Equal(-1);
        loaded.Layers[3].Should().BeOfType<LogSoftmax>();
        var x = Tensor.FromData([1f, -2f, 3f, 0.5f, -0.5f, 2f], 1, 2, 3);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
    }
}
