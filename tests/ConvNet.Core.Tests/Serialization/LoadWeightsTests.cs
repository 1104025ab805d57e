using System.IO;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Serialization;

public sealed class LoadWeightsTests
{
    [Fact]
    public void Weights_and_buffers_go_into_an_existing_network_by_name()
    {
        using var temp = new TempDirectory("load-weights");
        var trained = ResNet.ResNet20(seed: 1);
        trained.NamedBuffers[0].Buffer.Value.AsSpan().Fill(0.25f);
        string path = temp.File("r.safetensors");
        ModelSerializer.Save(trained, path);

        var target = ResNet.ResNet20(seed: 2);
        var result = ModelSerializer.LoadWeights(target, path);
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        for (int i = 0; i < trained.Parameters.Count; i++)
        {
            target.Parameters[i].Value.ToArray().Should().Equal(trained.Parameters[i].Value.ToArray());
        }

        target.NamedBuffers[0].Buffer.Value.ToArray().Should().Equal(trained.NamedBuffers[0].Buffer.Value.ToArray());
    }

    private static Network Body() => new Network(1, 12, 12)
        .Add(new Conv2D(1, 4, 3)).Add(new ReLU()).Add(new MaxPool2D(2)).Add(new Flatten()).Add(new FullyConnected(100, 16));

    [Fact]
    public void Mismatches_are_listed_and_nothing_is_copied_unless_asked_to_skip_them()
    {
        using var temp = new TempDirectory("load-weights");
        var source = Body().Add(new FullyConnected(16, 10));
        source.Initialize(1);
        string path = temp.File("small.safetensors");
        ModelSerializer.Save(source, path);

        var otherHead = Body().Add(new FullyConnected(16, 5));
        otherHead.Initialize(2);
        var before = otherHead.Parameters[0].Value.ToArray();
        FluentActions.Invoking(() => ModelSerializer.LoadWeights(otherHead, path, strict: false))
            .Should().Throw<InvalidDataException>().WithMessage("*shapes differ for layers.5.weight: file [10, 16], network [5, 16]*");
        otherHead.Parameters[0].Value.ToArray().Should().Equal(before, "nothing was copied");

        var longer = Body().Add(new FullyConnected(16, 10)).Add(new FullyConnected(10, 3));
        longer.Initialize(3);
        FluentActions.Invoking(() => ModelSerializer.LoadWeights(longer, path)).Should().Throw<InvalidDataException>().WithMessage("*missing from the file: layers.6.weight, layers.6.bias*");
        var result = ModelSerializer.LoadWeights(longer, path, strict: false);
        result.MissingKeys.Should().Equal("layers.6.weight", "layers.6.bias");
        result.UnexpectedKeys.Should().BeEmpty();
        longer.Parameters[0].Value.ToArray().Should().Equal(source.Parameters[0].Value.ToArray());

        var shorter = Body();
        shorter.Initialize(4);
        ModelSerializer.LoadWeights(shorter, path, strict: false).UnexpectedKeys.Should().Equal("layers.5.bias", "layers.5.weight");
    }
}
