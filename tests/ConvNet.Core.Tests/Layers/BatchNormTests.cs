using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Layers;

/// <summary>BatchNorm1D/2D/3D: PyTorch vectors (train and eval), gradient checks, running statistics, accuracy, threads, save/load.</summary>
public class BatchNormTests(ITestOutputHelper output)
{
    private const string File = "../oracle-v2/batchnorm.json";

    public static IEnumerable<object[]> Cases() => Oracle.Names(File);

    internal static BatchNorm Build(int dims, int channels, double momentum, double eps, bool affine) => dims switch
    {
        1 => new BatchNorm1D(channels, momentum, eps, affine),
        2 => new BatchNorm2D(channels, momentum, eps, affine),
        _ => new BatchNorm3D(channels, momentum, eps, affine),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var c = Oracle.Case(File, name);
        var p = c.Params;
        bool affine = p.GetProperty("affine").GetBoolean(), train = p.GetProperty("mode").GetString() == "train";
        var x = c.Inputs["x"].ToTensor();
        var bn = Build(p.GetProperty("dims").GetInt32(), x.Shape[1], p.GetProperty("momentum").GetDouble(), p.GetProperty("eps").GetDouble(), affine);
        if (affine)
        {
            c.Inputs["gamma"].ToFloat().CopyTo(bn.Weight!.Value.AsSpan());
            c.Inputs["beta"].ToFloat().CopyTo(bn.Bias!.Value.AsSpan());
        }

        c.Inputs["running_mean"].ToFloat().CopyTo(bn.RunningMean!.Value.AsSpan());
        c.Inputs["running_var"].ToFloat().CopyTo(bn.RunningVar!.Value.AsSpan());
        bn.SetTraining(train);
        var y = bn.Forward(x);
        var dx = bn.Backward(x, y, c.Inputs["dy"].ToTensor());
        var checks = new List<(string, float[])> { ("y", y.ToArray()), ("dx", dx.ToArray()), ("running_mean_after", bn.RunningMean.Value.ToArray()), ("running_var_after", bn.RunningVar.Value.ToArray()) };
        if (affine)
        {
            checks.Add(("dgamma", bn.Weight!.Gradient.ToArray()));
            checks.Add(("dbeta", bn.Bias!.Gradient.ToArray()));
        }

        foreach (var (key, got) in checks)
        {
            output.WriteLine($"{name} {key}: max error {OracleError(got, c.Expected[key]):G3} (relative to max(1, max|exp|))");
            Assertions.ShouldMatch(got, c.Expected[key], key);
        }

        bn.NumBatchesTracked!.Value[0].Should().Be(train ? 1f : 0f);
    }

    [Fact]
    public void Residual_blocks_with_batch_norm_match_pytorch_autograd()
    {
        foreach (string name in new[] { "resblock_identity_2x4x6x6", "resblock_projection_2x3x8x8_to_6x4x4" })
        {
            var c = Oracle.Case("../oracle-v2/blocks.json", name);
            bool projection = c.Params.GetProperty("shortcut").GetString() == "projection";
            int stride = c.Params.GetProperty("stride").GetInt32();
            var w1 = c.Inputs["conv1_w"];
            int inC = w1.Shape[1], outC = w1.Shape[0];
            var conv1 = new Conv2D(inC, outC, 3, stride, Padding.Symmetric(1), useBias: false);
            var conv2 = new Conv2D(outC, outC, 3, padding: Padding.Symmetric(1), useBias: false);
            w1.ToFloat().CopyTo(conv1.Weight.Value.AsSpan());
            c.Inputs["conv2_w"].ToFloat().CopyTo(conv2.Weight.Value.AsSpan());
            var bns = new Dictionary<string, BatchNorm2D>();
            BatchNorm2D Bn(string key)
            {
                var bn = new BatchNorm2D(outC);
                c.Inputs[key + "_gamma"].ToFloat().CopyTo(bn.Weight!.Value.AsSpan());
                c.Inputs[key + "_beta"].ToFloat().CopyTo(bn.Bias!.Value.AsSpan());
                c.Inputs[key + "_running_mean"].ToFloat().CopyTo(bn.RunningMean!.Value.AsSpan());
                c.Inputs[key + "_running_var"].ToFloat().CopyTo(bn.RunningVar!.Value.AsSpan());
                bns[key] = bn;
                return bn;
            }

            Conv2D? proj = null;
            Layer? shortcut = null;
            var body = new Sequential(conv1, Bn("bn1"), new ReLU(), conv2, Bn("bn2"));
            if (projection)
            {
                proj = new Conv2D(inC, outC, 1, stride, useBias: false);
                c.Inputs["proj_w"].ToFloat().CopyTo(proj.Weight.Value.AsSpan());
                shortcut = new Sequential(proj, Bn("bnp"));
            }

            var block = new Sequential(new Residual(body, shortcut), new ReLU());
            var x = c.Inputs["x"].ToTensor();
            var y = block.Forward(x);
            var dx = block.Backward(x, y, c.Inputs["dy"].ToTensor());
            Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], name + " y");
            Assertions.ShouldMatch(dx.AsSpan(), c.Expected["dx"], name + " dx");
            Assertions.ShouldMatch(conv1.Weight.Gradient.AsSpan(), c.Expected["d_conv1_w"], name + " d_conv1_w");
            Assertions.ShouldMatch(conv2.Weight.Gradient.AsSpan(), c.Expected["d_conv2_w"], name + " d_conv2_w");
            if (proj is not null)
            {
                Assertions.ShouldMatch(proj.Weight.Gradient.AsSpan(), c.Expected["d_proj_w"], name + " d_proj_w");
            }

            foreach (var (key, bn) in bns)
            {
                Assertions.ShouldMatch(bn.Weight!.Gradient.AsSpan(), c.Expected[$"d_{key}_gamma"], $"{name} d_{key}_gamma");
                Assertions.ShouldMatch(bn.Bias!.Gradient.AsSpan(), c.Expected[$"d_{key}_beta"], $"{name} d_{key}_beta");
                Assertions.ShouldMatch(bn.RunningMean!.Value.AsSpan(), c.Expected[$"{key}_running_mean_after"], $"{name} {key}_running_mean_after");
                Assertions.ShouldMatch(bn.RunningVar!.Value.AsSpan(), c.Expected[$"{key}_running_var_after"], $"{name} {key}_running_var_after");
            }
        }
    }

    [Fact]
    public void Passes_the_gradient_checker_in_both_modes()
    {
        foreach (bool train in new[] { true, false })
        {
            Check(new BatchNorm1D(5), [6, 5], train);
            Check(new BatchNorm1D(3, affine: false), [4, 3], train);
            Check(new BatchNorm1D(3), [3, 3, 4], train);
            Check(new BatchNorm2D(3), [2, 3, 4, 5], train);
            Check(new BatchNorm2D(2, affine: false), [2, 2, 3, 3], train);
            Check(new BatchNorm3D(2), [2, 2, 3, 2, 3], train);
            Check(new BatchNorm2D(2, trackRunningStats: false), [3, 2, 2, 3], train);
        }
    }

    [Fact]
    public void Running_statistics_use_the_unbiased_variance_and_momentum_null_is_a_cumulative_average()
    {
        // Channel 0 holds {1, 3, 5, 7}: mean 4, biased var 5, unbiased 20/3.
        var bn = new BatchNorm1D(1, momentum: 0.25);
        var x = Tensor.FromData([1, 3, 5, 7], 4, 1);
        var y = bn.Forward(x);
        bn.RunningMean!.Value[0].Should().BeApproximately(0.75f * 0f + (0.25f * 4f), 1e-7f);
        bn.RunningVar!.Value[0].Should().BeApproximately((float)((0.75 * 1) + (0.25 * 20.0 / 3)), 1e-6f);
        y[0, 0].Should().BeApproximately((float)(-3 / Math.Sqrt(5 + 1e-5)), 1e-6f, "normalized with the biased variance");

        var cumulative = new BatchNorm1D(1, momentum: null);
        cumulative.Forward(Tensor.FromData([1, 3], 2, 1));
        cumulative.Forward(Tensor.FromData([5, 9], 2, 1));
        cumulative.RunningMean!.Value[0].Should().Be(4.5f, "the mean of the batch means 2 and 7");
        cumulative.RunningVar!.Value[0].Should().Be(5f, "the mean of the unbiased variances 2 and 8");
        cumulative.NumBatchesTracked!.Value[0].Should().Be(2f);

        cumulative.SetTraining(false);
        cumulative.Forward(Tensor.FromData([100, 200], 2, 1));
        cumulative.NumBatchesTracked.Value[0].Should().Be(2f, "inference mode leaves the statistics alone");
        cumulative.RunningMean.Value[0].Should().Be(4.5f);
    }

    [Fact]
    public void Inference_uses_running_statistics_unless_they_are_not_tracked()
    {
        var x = Tensor.FromData([1, 3, 5, 7], 4, 1);
        var tracked = new BatchNorm1D(1);
        tracked.SetTraining(false);
        tracked.Forward(x).ToArray().Select(v => (double)v).Should().Equal(new[] { 1, 3, 5, 7 }.Select(v => v / Math.Sqrt(1 + 1e-5)), (a, b) => Math.Abs(a - b) < 1e-6);

        var untracked = new BatchNorm1D(1, trackRunningStats: false);
        untracked.Buffers.Should().BeEmpty();
        untracked.SetTraining(false);
        untracked.Forward(x)[0, 0].Should().BeApproximately((float)(-3 / Math.Sqrt(5 + 1e-5)), 1e-6f, "batch statistics in both modes");
    }

    [Fact]
    public void Statistics_are_accurate_for_a_large_offset()
    {
        // 4096 + k · 2^-11 (float spacing at 4096 is 2^-12): a float Σx² − (Σx)²/m would lose every digit of the variance.
        var r = new Random(5);
        int n = 64, ch = 3, hw = 25;
        var x = new Tensor(n, ch, 5, 5);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = 4096f + (r.Next(0, 200) / 2048f);
        }

        var y = new BatchNorm2D(ch).Forward(x);
        for (int c = 0; c < ch; c++)
        {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    sum += s[(((i * ch) + c) * hw) + j];
                }
            }

            double mean = sum / (n * hw);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    sq += Math.Pow(s[(((i * ch) + c) * hw) + j] - mean, 2);
                }
            }

            double invStd = 1 / Math.Sqrt((sq / (n * hw)) + 1e-5);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    int at = (((i * ch) + c) * hw) + j;
                    y.AsSpan()[at].Should().BeApproximately((float)((s[at] - mean) * invStd), 2e-6f);
                }
            }
        }
    }

    [Theory]
    [InlineData(new[] { 16, 12, 24, 24 })]
    [InlineData(new[] { 512, 130 })]
    [InlineData(new[] { 64, 40, 17 })]
    public void Gives_the_same_bits_on_one_and_two_threads(int[] shape)
    {
        (float[] Y, float[] Dx, float[] Dg, float[] Db, float[] Rm, float[] Rv) Run(int threads)
        {
            var bn = shape.Length == 4 ? (BatchNorm)new BatchNorm2D(shape[1]) : new BatchNorm1D(shape[1]);
            bn.DegreeOfParallelism = threads;
            var r = new Random(9);
            for (int c = 0; c < shape[1]; c++)
            {
                bn.Weight!.Value.AsSpan()[c] = (float)(0.5 + r.NextDouble());
                bn.Bias!.Value.AsSpan()[c] = (float)(r.NextDouble() - 0.5);
            }

            var x = Random(r, shape);
            var y = bn.Forward(x);
            var dx = bn.Backward(x, y, Random(r, shape));
            return (y.ToArray(), dx.ToArray(), bn.Weight!.Gradient.ToArray(), bn.Bias!.Gradient.ToArray(), bn.RunningMean!.Value.ToArray(), bn.RunningVar!.Value.ToArray());
        }

        var one = Run(1);
        var two = Run(2);
        two.Y.Should().Equal(one.Y);
        two.Dx.Should().Equal(one.Dx);
        two.Dg.Should().Equal(one.Dg);
        two.Db.Should().Equal(one.Db);
        two.Rm.Should().Equal(one.Rm);
        two.Rv.Should().Equal(one.Rv);
    }

    [Fact]
    public void Saves_and_loads_bit_identically_with_buffers_and_settings()
    {
        var net = new Network(3, 6, 6)
            .Add(new Conv2D(3, 4, 3, padding: Padding.Same))
            .Add(new BatchNorm2D(4, momentum: 0.3, epsilon: 1e-3))
            .Add(new ReLU())
            .Add(new Flatten())
            .Add(new FullyConnected(144, 10))
            .Add(new BatchNorm1D(10, momentum: null, affine: false))
            .Add(new Sequential(new BatchNorm1D(10, trackRunningStats: false)));
        net.Initialize(4);
        var r = new Random(3);
        for (int step = 0; step < 3; step++)
        {
            net.Forward(Random(r, 5, 3, 6, 6));
            net.Backward(Random(r, 5, 10));
        }

        var bn = (BatchNorm2D)net.Layers[1];
        bn.Weight!.Value.AsSpan()[1] = 1.25f;
        using var temp = new TempDirectory("bn");
        string path = Path.Combine(temp.Path, "bn.safetensors");
        ModelSerializer.Save(net, path);
        var loaded = ModelSerializer.Load(path);
        loaded.NamedBuffers.Select(b => b.Name).Should().Equal(
            "layers.1.running_mean", "layers.1.running_var", "layers.1.num_batches_tracked", "layers.5.running_mean", "layers.5.running_var", "layers.5.num_batches_tracked");
        for (int i = 0; i < net.NamedBuffers.Count; i++)
        {
            loaded.NamedBuffers[i].Buffer.Value.ToArray().Should().Equal(net.NamedBuffers[i].Buffer.Value.ToArray(), net.NamedBuffers[i].Name);
        }

        net.NamedBuffers[2].Buffer.Value[0].Should().Be(3f);
        var lbn = (BatchNorm2D)loaded.Layers[1];
        (lbn.Momentum, lbn.Epsilon, lbn.Affine, lbn.TrackRunningStats).Should().Be((0.3, 1e-3, true, true));
        var l5 = (BatchNorm1D)loaded.Layers[5];
        (l5.Momentum, l5.Affine).Should().Be((null, false));
        ((BatchNorm1D)((Sequential)loaded.Layers[6]).Children[0]).TrackRunningStats.Should().BeFalse();
        var x = Random(r, 4, 3, 6, 6);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        loaded.Forward(x).ToArray().Should().Equal(net.Forward(x).ToArray(), "training mode too (batch statistics, same running update)");
    }

    [Fact]
    public void Gamma_and_beta_are_not_weight_decayed_and_are_named_like_pytorch()
    {
        var bn = new BatchNorm2D(3);
        bn.Parameters.Select(p => (p.Name, p.Decays)).Should().Equal(("weight", false), ("bias", false));
        bn.Buffers.Select(b => b.Name).Should().Equal("running_mean", "running_var", "num_batches_tracked");
        bn.Weight!.Value.ToArray().Should().AllBeEquivalentTo(1f);
        bn.RunningVar!.Value.ToArray().Should().AllBeEquivalentTo(1f);
        new BatchNorm2D(3, affine: false).Parameters.Should().BeEmpty();
    }

    [Fact]
    public void Bad_shapes_and_a_batch_of_one_are_rejected_with_the_layer_named()
    {
        FluentActions.Invoking(() => new BatchNorm2D(3) { Name = "bn1" }.Forward(new Tensor(2, 4, 5, 5)))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("BatchNorm2D 'bn1'*3 channels*actual 4*");
        FluentActions.Invoking(() => new BatchNorm2D(3).Forward(new Tensor(2, 3, 5)))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("*[C, H, W]*[3, 5]*");
        FluentActions.Invoking(() => new BatchNorm1D(3).Forward(new Tensor(1, 3)))
            .Should().Throw<ArgumentException>().WithParameterName("input").WithMessage("*more than one value per channel*");
        var eval = new BatchNorm1D(3);
        eval.SetTraining(false);
        eval.Forward(new Tensor(1, 3)).Length.Should().Be(3, "inference with running statistics takes a single sample");
    }

    private void Check(Layer layer, int[] shape, bool train)
    {
        layer.SetTraining(train);
        var r = GradientChecker.Check(layer, shape, new GradientCheckOptions { Seed = 5, Step = 1e-3 });
        r.Passed.Should().BeTrue($"{layer.Name} {string.Join("x", shape)} train={train}: {r}");
        r.Checked.Should().BeGreaterThan(0);
    }

    private static double OracleError(float[] got, OracleTensor expected)
    {
        double worst = 0;
        for (int i = 0; i < got.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(got[i] - expected.Data[i]));
        }

        return worst / Math.Max(1, expected.Max);
    }

    internal static Tensor Random(Random r, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((r.NextDouble() * 2) - 1);
        }

        return t;
    }
}
