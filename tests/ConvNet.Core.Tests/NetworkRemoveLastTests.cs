using System;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests;

/// <summary>RemoveLast gives up the last layer so a head can be replaced.</summary>
public class NetworkRemoveLastTests
{
    [Fact]
    public void RemoveLast_returns_the_head_restores_the_shapes_and_frees_the_layer()
    {
        var body = new FullyConnected(3, 4);
        var head = new FullyConnected(4, 2);
        var net = new Network(3).Add(body).Add(new ReLU()).Add(head);
        net.Parameters.Should().HaveCount(4);

        net.RemoveLast().Should().BeSameAs(head);

        net.Layers.Should().HaveCount(2);
        net.OutputShape.ToArray().Should().Equal(4);
        net.Parameters.Should().HaveCount(2);
        net.Add(new FullyConnected(4, 5));
        net.OutputShape.ToArray().Should().Equal(5);
        net.Predict(Tensor.FromData([1f, 2f, 3f], 1, 3)).Shape.ToArray().Should().Equal(1, 5);
        new Network(4).Add(head).OutputShape.ToArray().Should().Equal([2], "the removed layer has no owner any more");
    }

    [Fact]
    public void RemoveLast_on_an_empty_network_throws()
    {
        var act = () => new Network(3).RemoveLast();
        act.Should().Throw<InvalidOperationException>().WithMessage("*no layers*");
    }
}
