using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Global average and max pooling 1-3D: PyTorch vectors (ties included), gradient checks, NaN, bad input.</summary>
public class GlobalPoolTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_autograd(string name)
    {
        var c = Oracle.Case("../oracle-v2/global_pool.json", name);
        int rank = c.Op[^2] - '0';
        Layer layer = c.Op.StartsWith("global_avg", StringComparison.Ordinal)
            ? rank switch { 1 => new GlobalAveragePool1D(), 2 => new GlobalAveragePool2D(), _ => new GlobalAveragePool3D() }
            : rank switch { 1 => new GlobalMaxPool1D(), 2 => new GlobalMaxPool2D(), _ => new GlobalMaxPool3D() };
        var x = c.Inputs["x"].ToTensor();
        var y = layer.Forward(x);
        y.Shape.ToArray().Should().Equal(x.Shape[0], x.Shape[1]);
        var dy = c.Inputs["dy"].ToTensor().Reshape(x.Shape[0], x.Shape[1]);
        var dx = layer.Backward(x, y, dy);
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], "y");
        Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], "dx");
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Oracle.Load("../oracle-v2/global_pool.json"))
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Fact]
    public void Pass_the_gradient_checker()
    {
        foreach (var (layer, shape) in new (Layer, int[])[] { (new GlobalAveragePool2D(), [2, 3, 4, 4]), (new GlobalMaxPool1D(), [2, 3, 6]), (new GlobalAveragePool3D(), [1, 2, 2, 3, 2]) })
        {
            var r = GradientChecker.Check(layer, shape, new GradientCheckOptions { Seed = 4 });
            r.Passed.Should().BeTrue($"{layer.Name}: {r}");
        }
    }

    [Fact]
    public void A_NaN_anywhere_in_a_map_gives_NaN_and_takes_the_gradient()
    {
        for (int at = 0; at < 4; at++)
        {
            var x = Tensor.FromData([1f, 5f, 2f, 3f], 1, 1, 4);
            x.AsSpan()[at] = float.NaN;
            var pool = new GlobalMaxPool1D();
            var y = pool.Forward(x);
            float.IsNaN(y.AsSpan()[0]).Should().BeTrue($"NaN at {at}");
            pool.Backward(x, y, Tensor.FromData([1f], 1, 1)).AsSpan()[at].Should().Be(1f);
        }
    }

    [Fact]
    public void Wrong_ranks_are_rejected()
    {
        FluentActions.Invoking(() => new GlobalMaxPool2D().GetOutputShape([3, 4])).Should().Throw<ArgumentException>().WithMessage("*2 spatial axes*");
        FluentActions.Invoking(() => new GlobalAveragePool1D().GetOutputShape([3, 4, 4])).Should().Throw<ArgumentException>();
    }
}
