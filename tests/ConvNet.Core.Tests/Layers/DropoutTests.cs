using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Inverted dropout: PyTorch's deterministic cases, keep-rate statistics, reproducible masks, save/load.</summary>
public class DropoutTests
{
    private static Tensor Ones(int n, int k)
    {
        var t = new Tensor(n, k);
        t.AsSpan().Fill(1f);
        return t;
    }

    [Fact]
    public void Training_keeps_about_one_minus_p_and_scales_kept_values()
    {
        var d = new Dropout(0.3, seed: 5);
        var x = Ones(100, 1000);
        var y = d.Forward(x).ToArray();
        float scale = (float)(1 / (1 - 0.3));
        y.Should().OnlyContain(v => v == 0f || v == scale);
        int kept = y.Count(v => v != 0f);
        double n = y.Length, expected = 0.7 * n, sd = Math.Sqrt(n * 0.7 * 0.3);
        Math.Abs(kept - expected).Should().BeLessThan(5 * sd, "the keep count is binomial(n, 1 − p)");
    }

    [Fact]
    public void Backward_uses_the_forward_mask_and_each_step_draws_a_new_one()
    {
        var d = new Dropout(0.5, seed: 1);
        var x = Ones(4, 64);
        var y1 = d.Forward(x);
        var dx = d.Backward(x, y1, Ones(4, 64));
        dx.ToArray().Should().Equal(y1.ToArray(), "δx = m δy / (1 − p) with the same m");
        var y2 = d.Forward(x);
        y2.ToArray().Should().NotEqual(y1.ToArray());
        d.Step.Should().Be(2);
    }

    [Fact]
    public void The_mask_is_a_pure_function_of_seed_step_and_position()
    {
        var a = new Dropout(0.4, seed: 9);
        var b = new Dropout(0.4, seed: 9) { DegreeOfParallelism = 1 };
        var x = Ones(3, 50);
        a.Forward(x);
        b.Forward(x);
        var y = a.Forward(x).ToArray();
        b.Forward(x).ToArray().Should().Equal(y);
        for (int i = 0; i < y.Length; i++)
        {
            (y[i] != 0f).Should().Be(Dropout.Keeps(9, 1, i, 0.4));
        }

        new Dropout(0.4, seed: 10).Forward(x).ToArray().Should().NotEqual(new Dropout(0.4, seed: 9).Forward(x).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_in_the_deterministic_cases(string name)
    {
        var c = Oracle.Case("../oracle-v2/dropout.json", name);
        double p = c.Params.GetProperty("p").GetDouble();
        var d = new Dropout(Math.Min(p, 0.99));
        bool train = c.Params.TryGetProperty("mode", out var mode) && mode.GetString() == "train";
        d.SetTraining(train);
        var x = c.Inputs["x"].ToTensor();
        var y = d.Forward(x);
        Assertions.ShouldMatch(y.AsSpan(), c.Expected["y"], "y");
        if (c.Expected.TryGetValue("dx", out var edx))
        {
            var dx = d.Backward(x, y, c.Inputs["dy"].ToTensor());
            Assertions.ShouldMatch(dx.AsSpan(), edx, "dx");
        }
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Oracle.Load("../oracle-v2/dropout.json"))
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Fact]
    public void Eval_mode_is_the_identity_and_the_step_is_saved()
    {
        var d = new Dropout(0.5, seed: 3);
        var x = Ones(2, 8);
        d.Forward(x);
        d.SetTraining(false);
        d.Forward(x).ToArray().Should().OnlyContain(v => v == 1f);
        var net = new Network(8).Add(new Sequential(d));
        using var temp = new TempDirectory("dropout");
        ModelSerializer.Save(net, temp.File("d.safetensors"));
        var loaded = (Dropout)ModelSerializer.Load(temp.File("d.safetensors")).Layers[0].Children[0];
        (loaded.P, loaded.Seed, loaded.Step).Should().Be((0.5, 3, 1L));
    }

    [Fact]
    public void A_bad_probability_is_rejected()
    {
        FluentActions.Invoking(() => new Dropout(1.0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("p");
        FluentActions.Invoking(() => new Dropout(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new Dropout(-0.1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
