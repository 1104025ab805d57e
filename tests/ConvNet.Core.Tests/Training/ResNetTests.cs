using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>ResNet-20 and ResNeXt: the architecture the issue specifies, the PyTorch residual block, save/load.</summary>
public class ResNetTests
{
    [Fact]
    public void ResNet20_has_the_specified_architecture()
    {
        var net = ResNet.ResNet20(seed: 1);
        net.ParameterCount.Should().Be(272_186);
        net.OutputShape.ToArray().Should().Equal(10);
        net.NamedBuffers.Count.Should().Be(3 * (1 + (3 * 2 * 3) + 2), "three buffers per BatchNorm: stem, two per block, two projections");
        net.Parameters.Where(p => p.Value.Rank == 4).Should().OnlyContain(p => p.Decays, "conv weights decay");
    }

    [Fact]
    public void ResNeXt_uses_grouped_three_by_three_convolutions()
    {
        var net = ResNet.ResNeXt(seed: 1);
        var grouped = Flatten(net.Layers).OfType<Conv2D>().Where(c => c.KernelSize[0] == 3 && !c.Connections.IsFull).ToList();
        grouped.Should().HaveCount(9);
        grouped[0].Connections.InputsOf(0).Should().HaveCount(32 / 8);
        net.OutputShape.ToArray().Should().Equal(10);
    }

    [Theory]
    [InlineData("resblock_identity_2x4x6x6")]
    [InlineData("resblock_projection_2x3x8x8_to_6x4x4")]
    public void The_basic_block_matches_pytorch_autograd_in_training_mode(string name)
    {
        var c = Oracle.Case("../oracle-v2/blocks.json", name);
        bool projection = c.Inputs.ContainsKey("proj_w");
        int cin = c.Inputs["x"].Shape[1], cout = c.Inputs["conv1_w"].Shape[0];
        var block = ResNet.BasicBlock(cin, cout, projection ? 2 : 1);
        var residual = (Residual)block.Children[0];
        var body = (Sequential)residual.Body;
        Set(((Conv2D)body.Children[0]).Weight.Value, c.Inputs["conv1_w"]);
        Set(((Conv2D)body.Children[3]).Weight.Value, c.Inputs["conv2_w"]);
        SetBn((BatchNorm2D)body.Children[1], c, "bn1");
        SetBn((BatchNorm2D)body.Children[4], c, "bn2");
        if (projection)
        {
            var shortcut = (Sequential)residual.Shortcut!;
            Set(((Conv2D)shortcut.Children[0]).Weight.Value, c.Inputs["proj_w"]);
            SetBn((BatchNorm2D)shortcut.Children[1], c, "bnp");
        }

        var x = c.Inputs["x"].ToTensor();
        var y = block.Forward(x);
        var dx = block.Backward(x, y, c.Inputs["dy"].ToTensor());
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], "y");
        Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], "dx");
        Assertions.ShouldMatch(((Conv2D)body.Children[0]).Weight.Gradient.AsSpan(), c.Expected["d_conv1_w"], "d_conv1_w");
        Assertions.ShouldMatch(((Conv2D)body.Children[3]).Weight.Gradient.AsSpan(), c.Expected["d_conv2_w"], "d_conv2_w");
        var bn2 = (BatchNorm2D)body.Children[4];
        Assertions.ShouldMatch(bn2.Parameters[0].Gradient.AsSpan(), c.Expected["d_bn2_gamma"], "d_bn2_gamma");
        Assertions.ShouldMatch(bn2.Parameters[1].Gradient.AsSpan(), c.Expected["d_bn2_beta"], "d_bn2_beta");
        Assertions.ShouldMatch(bn2.Buffers[0].Value.AsSpan(), c.Expected["bn2_running_mean_after"], "bn2 running mean");
        Assertions.ShouldMatch(bn2.Buffers[1].Value.AsSpan(), c.Expected["bn2_running_var_after"], "bn2 running var");
        if (projection)
        {
            var shortcut = (Sequential)residual.Shortcut!;
            Assertions.ShouldMatch(((Conv2D)shortcut.Children[0]).Weight.Gradient.AsSpan(), c.Expected["d_proj_w"], "d_proj_w");
        }
    }

    [Fact]
    public void A_trained_resnet_saves_and_loads_bit_identically_with_its_running_statistics()
    {
        var net = ResNet.ResNet20(seed: 3);
        var x = new Tensor(4, 1, 28, 28);
        var rng = new Random(5);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)rng.NextDouble();
        }

        net.Forward(x); // training mode: the running statistics move away from 0 and 1
        net.Backward(new Tensor(4, 10));
        using var temp = new TempDirectory("resnet");
        string path = temp.File("r.safetensors");
        ModelSerializer.Save(net, path);
        var loaded = ModelSerializer.Load(path);
        loaded.NamedBuffers.Select(b => b.Buffer.Value.ToArray()).Should().BeEquivalentTo(net.NamedBuffers.Select(b => b.Buffer.Value.ToArray()), o => o.WithStrictOrdering());
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
    }

    private static void Set(Tensor t, OracleTensor v) => v.ToFloat().CopyTo(t.AsSpan());

    private static void SetBn(BatchNorm2D bn, OracleCase c, string prefix)
    {
        Set(bn.Parameters[0].Value, c.Inputs[prefix + "_gamma"]);
        Set(bn.Parameters[1].Value, c.Inputs[prefix + "_beta"]);
        Set(bn.Buffers[0].Value, c.Inputs[prefix + "_running_mean"]);
        Set(bn.Buffers[1].Value, c.Inputs[prefix + "_running_var"]);
    }

    private static System.Collections.Generic.IEnumerable<Layer> Flatten(System.Collections.Generic.IEnumerable<Layer> layers)
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
