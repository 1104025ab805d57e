using System;
using System.Globalization;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Sequential, Add, Concat and Residual blocks: PyTorch vectors, gradient checks, nesting, names, ownership.</summary>
public class BlockTests
{
    private static Conv2D Conv(int i, int o, int k, int pad, float[] w, float[]? b)
    {
        var c = new Conv2D(i, o, k, padding: Padding.Symmetric(pad), useBias: b is not null);
        w.CopyTo(c.Weight.Value.AsSpan());
        b?.CopyTo(c.Bias!.Value.AsSpan());
        return c;
    }

    [Theory]
    [InlineData("concat_branches_2x3x5x5")]
    [InlineData("add_branches_2x3x5x4")]
    public void Branch_blocks_match_pytorch_autograd(string name)
    {
        var c = Oracle.Case("../oracle-v2/blocks.json", name);
        bool concat = c.Op == "concat_branches";
        var a = Conv(3, concat ? 2 : 4, concat ? 1 : 3, concat ? 0 : 1, c.Inputs["a_w"].ToFloat(), c.Inputs["a_b"].ToFloat());
        var b = Conv(3, concat ? 3 : 4, concat ? 3 : 1, concat ? 1 : 0, c.Inputs["b_w"].ToFloat(), c.Inputs["b_b"].ToFloat());
        Layer block = concat ? new Concat(new Sequential(a, new ReLU()), new Sequential(b, new ReLU())) : new Add(new Sequential(a, new ReLU()), b);
        var x = c.Inputs["x"].ToTensor();
        var y = block.Forward(x);
        var dx = block.Backward(x, y, c.Inputs["dy"].ToTensor());
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], "y");
        Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], "dx");
        Assertions.ShouldMatch(a.Weight.Gradient.AsSpan(), c.Expected["d_a_w"], "d_a_w");
        Assertions.ShouldMatch(a.Bias!.Gradient.AsSpan(), c.Expected["d_a_b"], "d_a_b");
        Assertions.ShouldMatch(b.Weight.Gradient.AsSpan(), c.Expected["d_b_w"], "d_b_w");
        Assertions.ShouldMatch(b.Bias!.Gradient.AsSpan(), c.Expected["d_b_b"], "d_b_b");
    }

    [Fact]
    public void Blocks_pass_the_gradient_checker()
    {
        Check(new Sequential(new Conv2D(2, 3, 3, padding: Padding.Same, seed: 1), new Tanh(), new Conv2D(3, 2, 1, seed: 2)), [2, 2, 5, 5]);
        Check(new Residual(new Sequential(new Conv2D(2, 2, 3, padding: Padding.Same, seed: 3), new Tanh())), [2, 2, 4, 4]);
        Check(new Residual(new Conv2D(2, 3, 3, stride: 2, padding: Padding.Same, seed: 4), new Conv2D(2, 3, 1, stride: 2, seed: 5)), [2, 2, 6, 6]);
        Check(new Concat(new Conv2D(2, 1, 1, seed: 6), new Identity(), new Sequential(new Conv2D(2, 2, 3, padding: Padding.Same, seed: 7), new Sigmoid())), [3, 2, 3, 3]);
        Check(new Add(new Identity(), new Identity(), new FullyConnected(4, 4, seed: 8)), [3, 4]);
        Check(new Sequential(new Residual(new Residual(new FullyConnected(3, 3, seed: 9))), new Tanh()), [2, 3]);
    }

    [Fact]
    public void An_identity_residual_adds_x_and_passes_delta_twice()
    {
        var fc = new FullyConnected(2, 2, useBias: false);
        new float[] { 1, 2, 3, 4 }.CopyTo(fc.Weight.Value.AsSpan());
        var block = new Residual(fc);
        var x = Tensor.FromData([1f, -1f], 1, 2);
        var y = block.Forward(x);
        y.ToArray().Should().Equal(1f + (1 - 2), -1f + (3 - 4)); // W x + x
        var dx = block.Backward(x, y, Tensor.FromData([1f, 1f], 1, 2));
        dx.ToArray().Should().Equal(1f + 1 + 3, 1f + 2 + 4); // δ + Wᵀ δ
    }

    [Fact]
    public void Parameter_names_are_unique_dotted_paths()
    {
        var net = new Network(2, 4, 4)
            .Add(new Conv2D(2, 2, 3, padding: Padding.Same))
            .Add(new Sequential(new Residual(new Sequential(new Conv2D(2, 2, 3, padding: Padding.Same, useBias: false)), new Conv2D(2, 2, 1))));
        net.NamedParameters.Select(p => p.Name).Should().Equal(
            "layers.0.weight", "layers.0.bias", "layers.1.0.body.0.weight", "layers.1.0.shortcut.weight", "layers.1.0.shortcut.bias");
    }

    [Fact]
    public void Nested_blocks_save_and_load_bit_identically()
    {
        var net = new Network(3, 8, 8)
            .Add(new Conv2D(3, 4, 3, padding: Padding.Same))
            .Add(new Residual(new Sequential(new Conv2D(4, 4, 3, padding: Padding.Same), new ReLU(), new Conv2D(4, 4, 3, padding: Padding.Same))))
            .Add(new Concat(new MaxPool2D(2), new Sequential(new AveragePool2D(2), new Conv2D(4, 2, 1))))
            .Add(new Add(new Identity(), new Conv2D(6, 6, 1)))
            .Add(new Flatten()).Add(new FullyConnected(96, 5));
        net.Initialize(11);
        using var temp = new TempDirectory("blocks");
        string path = Path.Combine(temp.Path, "blocks.safetensors");
        ModelSerializer.Save(net, path);
        var loaded = ModelSerializer.Load(path);
        var x = RandomTensor(new Random(2), 3, 3, 8, 8);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        loaded.NamedParameters.Select(p => p.Name).Should().Equal(net.NamedParameters.Select(p => p.Name));
    }

    [Fact]
    public void A_model_file_of_the_first_format_still_loads_and_predicts_the_same_bits()
    {
        // The file is LeNet5.Classic(seed: 3) as commit 230f77f saved it; its .bits are that network's Predict on a
        // machine with AVX-512 (re-recorded when the fully connected layer's summation order for batches below 4
        // changed; see TestData/models/README.md). Predictions depend on the vector width (horizontal sums), so the recorded bits are the
        // reference where Vector512 is accelerated; on every machine the loaded network must hold exactly the weights
        // of the network that was saved and predict exactly what that network predicts here.
        var net = ModelSerializer.Load(Path.Combine(AppContext.BaseDirectory, "TestData", "models", "lenet5-classic-v1.safetensors"));
        var original = LeNet5.Classic(seed: 3);
        net.NamedParameters.Select(p => p.Name).Should().Equal(original.NamedParameters.Select(p => p.Name));
        for (int i = 0; i < original.NamedParameters.Count; i++)
        {
            net.NamedParameters[i].Parameter.Value.ToArray().Should().Equal(original.NamedParameters[i].Parameter.Value.ToArray(), net.NamedParameters[i].Name);
        }

        var x = new Tensor(2, 1, 28, 28);
        var r = new Random(7);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)r.NextDouble();
        }

        float[] predicted = net.Predict(x).ToArray();
        predicted.Should().Equal(original.Predict(x).ToArray());
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "models", "lenet5-classic-v1.bits"))
                .Select(l => BitConverter.Int32BitsToSingle(int.Parse(l, CultureInfo.InvariantCulture))).ToArray();
            predicted.Should().Equal(expected);
        }
    }

    [Fact]
    public void A_layer_has_one_owner()
    {
        var conv = new Conv2D(1, 1, 3);
        _ = new Network(1, 5, 5).Add(conv);
        FluentActions.Invoking(() => new Network(1, 5, 5).Add(conv)).Should().Throw<ArgumentException>().WithMessage("*one owner*");
        FluentActions.Invoking(() => new Sequential(conv)).Should().Throw<ArgumentException>().WithMessage("*one owner*");
        var relu = new ReLU();
        FluentActions.Invoking(() => new Add(relu, relu)).Should().Throw<ArgumentException>().WithMessage("*appears once*");
        var block = new Sequential(new ReLU());
        _ = new Network(2).Add(block);
        FluentActions.Invoking(() => block.Add(new Tanh())).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Branches_that_do_not_agree_are_rejected_at_add()
    {
        var net = new Network(2, 6, 6);
        FluentActions.Invoking(() => net.Add(new Add(new Identity(), new Conv2D(2, 3, 1)))).Should().Throw<ArgumentException>().WithMessage("*one shape*");
        FluentActions.Invoking(() => net.Add(new Concat(new Identity(), new MaxPool2D(2)))).Should().Throw<ArgumentException>().WithMessage("*every axis but the channels*");
    }

    [Fact]
    public void An_unregistered_layer_fails_to_save_clearly()
    {
        var net = new Network(3).Add(new Sequential(new Custom()));
        using var temp = new TempDirectory("blocks");
        FluentActions.Invoking(() => ModelSerializer.Save(net, Path.Combine(temp.Path, "c.safetensors"))).Should().Throw<NotSupportedException>().WithMessage("*Custom*WriteConfig*");
    }

    private static void Check(Layer layer, int[] shape)
    {
        var r = GradientChecker.Check(layer, shape, new GradientCheckOptions { Seed = 3 });
        r.Passed.Should().BeTrue($"{layer.GetType().Name}: {r}");
    }

    private static Tensor RandomTensor(Random r, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((r.NextDouble() * 2) - 1);
        }

        return t;
    }

    private sealed class Custom : Layer
    {
        public Custom()
            : base("Custom")
        {
        }

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output) => input.AsSpan().CopyTo(output.AsSpan());

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) => outputGradient.AsSpan().CopyTo(inputGradient!.AsSpan());
    }
}
