using System;
using System.IO;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Constructors as a PyTorch user writes them: integer padding, tuple kernels, PyTorch's argument order, and a
/// fully connected layer whose input size is inferred (LazyLinear / Dense).</summary>
public sealed class ConstructorConsistencyTests
{
    private static float[] Run(Layer layer, int[] input, int seed = 3)
    {
        var net = new Network(input).Add(layer);
        net.Initialize(seed);
        var x = new Tensor([2, .. input]);
        var rng = new Random(1);
        var span = x.AsSpan();
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (float)rng.NextDouble();
        }

        return net.Predict(x).ToArray();
    }

    [Fact]
    public void Integer_padding_tuple_kernels_and_the_array_order_describe_the_same_convolution()
    {
        int[] input = [2, 9, 8];
        var reference = Run(new Conv2D(2, 3, [3, 2], [2, 1], Padding.Explicit((1, 1), (1, 1)), [1, 2]), input);
        Run(new Conv2D(2, 3, (3, 2), (2, 1), 1, (1, 2)), input).Should().Equal(reference);
        Run(new Conv2D(2, 3, [3, 2], stride: [2, 1], padding: 1, dilation: [1, 2]), input).Should().Equal(reference);
        new Conv2D(1, 6, 5, padding: 2).GetOutputShape([1, 28, 28]).Should().Equal(6, 28, 28);
        Run(new Conv3D(1, 2, (3, 2, 2), padding: 1), [1, 4, 3, 5]).Should().Equal(Run(new Conv3D(1, 2, [3, 2, 2], padding: Padding.Symmetric(1)), [1, 4, 3, 5]));
        FluentActions.Invoking(() => new Conv2D(1, 1, (3, 3), padding: -1)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Pools_take_padding_like_convolutions_and_PyTorch()
    {
        int[] input = [2, 7, 6];
        var reference = Run(new MaxPool2D([3, 3], [2, 1], [1, 1]), input);
        Run(new MaxPool2D((3, 3), (2, 1), 1), input).Should().Equal(reference);
        Run(new MaxPool2D((3, 3), (2, 1), Padding.Symmetric(1, 1)), input).Should().Equal(reference);
        Run(new AveragePool2D(3, 1, padding: 1), input).Should().Equal(Run(new AveragePool2D([3, 3], [1, 1], [1, 1]), input));
        Run(new AveragePool3D((2, 3, 3), padding: Padding.Symmetric(1, 1, 1)), [1, 4, 6, 6]).Should().Equal(Run(new AveragePool3D([2, 3, 3], null, [1, 1, 1]), [1, 4, 6, 6]));
        new MaxPool1D(3, 1, Padding.Valid).GetOutputShape([1, 8]).Should().Equal(1, 6);
        FluentActions.Invoking(() => new MaxPool2D(3, padding: Padding.Same)).Should().Throw<ArgumentException>().WithParameterName("padding").WithMessage("*convolution padding*");
        FluentActions.Invoking(() => new MaxPool2D(3, padding: Padding.Explicit((1, 0), (1, 1)))).Should().Throw<ArgumentException>().WithMessage("*same before and after*");
        FluentActions.Invoking(() => new MaxPool2D(3, padding: 2)).Should().Throw<ArgumentException>().WithMessage("*at most half*");
    }

    [Fact]
    public void A_fully_connected_layer_without_its_input_size_takes_it_at_Add_with_the_eager_layers_weights()
    {
        var lazy = new FullyConnected(10, seed: 5);
        lazy.Inputs.Should().Be(0);
        lazy.Parameters.Should().BeEmpty();
        FluentActions.Invoking(() => lazy.Weight).Should().Throw<InvalidOperationException>().WithMessage("*add it to a network*");

        var net = new Network(3, 4, 4).Add(new Flatten()).Add(lazy);
        lazy.Inputs.Should().Be(48);
        net.Parameters.Should().HaveCount(2);
        lazy.Weight.Value.ToArray().Should().Equal(new FullyConnected(48, 10, seed: 5).Weight.Value.ToArray());

        var nested = new Sequential(new Flatten(), new FullyConnected(7), new ReLU(), new FullyConnected(2, useBias: false));
        var net2 = new Network(2, 3).Add(nested);
        nested.Parameters.Should().HaveCount(3, "the container sees the weights its lazy children made");
        net2.NamedParameters.Should().HaveCount(3);
        net2.OutputShape.ToArray().Should().Equal(2);
    }

    [Fact]
    public void A_network_with_inferred_sizes_saves_and_loads()
    {
        using var temp = new TempDirectory("lazy-fc");
        var net = new Network(1, 6, 6).Add(new Conv2D(1, 2, 3)).Add(new Flatten()).Add(new FullyConnected(4)).Add(new ReLU()).Add(new FullyConnected(3));
        net.Initialize(8);
        string path = temp.File("lazy.safetensors");
        ModelSerializer.Save(net, path);
        var loaded = ModelSerializer.Load(path);
        var x = new Tensor(1, 1, 6, 6);
        x.AsSpan().Fill(0.5f);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        ((FullyConnected)loaded.Layers[2]).Inputs.Should().Be(32);
        File.Exists(path).Should().BeTrue();
    }
}
