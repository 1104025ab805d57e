using System;
using System.Collections.Generic;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Core.Tests.Losses;
using ConvNet.Optimizers;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Optimizers;

/// <summary>
/// AdamW, Adam with L2, RMSprop and Adagrad against torch.optim (oracle-v2 optimizers.json): weights and every state
/// buffer after each of three steps, the weight with its decay and the bias without.
/// </summary>
public class OptimizerOracleTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => Oracle.Names(OracleV2Files.Optimizers);

    private static Optimizer Build(OracleCase c)
    {
        double P(string name) => c.Params.GetProperty(name).GetDouble();
        double Beta(int i) => c.Params.GetProperty("betas")[i].GetDouble();
        return c.Op switch
        {
            "adamw" => new AdamW(P("lr"), Beta(0), Beta(1), P("eps"), P("weight_decay_W")),
            "adam_l2" => new Adam(P("lr"), Beta(0), Beta(1), P("eps"), P("weight_decay_W")),
            "rmsprop" => new RmsProp(P("lr"), P("alpha"), P("eps"), P("momentum"), P("weight_decay_W")),
            "adagrad" => new Adagrad(P("lr"), P("lr_decay"), P("weight_decay_W"), P("initial_accumulator_value"), P("eps")),
            _ => throw new InvalidOperationException(c.Op),
        };
    }

    /// <summary>torch.optim's state names → ours.</summary>
    private static string OurName(string torch) => torch switch
    {
        "exp_avg" => "m",
        "exp_avg_sq" => "v",
        _ => torch,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Three_steps_match_torch_optim(string name)
    {
        var c = Oracle.Case(OracleV2Files.Optimizers, name);
        var w = new Parameter("weight", c.Inputs["W0"].Shape, decays: true);
        var b = new Parameter("bias", c.Inputs["b0"].Shape, decays: false);
        c.Inputs["W0"].ToFloat().CopyTo(w.Value.AsSpan());
        c.Inputs["b0"].ToFloat().CopyTo(b.Value.AsSpan());
        var opt = Build(c);
        int steps = c.Params.GetProperty("steps").GetInt32();
        float[] gw = c.Inputs["grad_W"].ToFloat(), gb = c.Inputs["grad_b"].ToFloat();
        int nw = w.Value.Length, nb = b.Value.Length;
        var stateKeys = c.Expected.Keys.Where(k => k.StartsWith("state_W_", StringComparison.Ordinal)).Select(k => k["state_W_".Length..]).ToArray();
        opt.StateNames.Should().BeEquivalentTo(stateKeys.Select(OurName), "the optimizer keeps the state torch.optim keeps");
        for (int s = 0; s < steps; s++)
        {
            gw.AsSpan(s * nw, nw).CopyTo(w.Gradient.AsSpan());
            gb.AsSpan(s * nb, nb).CopyTo(b.Gradient.AsSpan());
            opt.Step([w, b]);
            OracleV2Files.ShouldMatch(w.Value.AsSpan(), Slice(c.Expected["W"], s), $"{name} W step {s + 1}", output);
            OracleV2Files.ShouldMatch(b.Value.AsSpan(), Slice(c.Expected["b"], s), $"{name} b step {s + 1}", output);
            foreach (string key in stateKeys)
            {
                int i = opt.StateNames.ToList().IndexOf(OurName(key));
                OracleV2Files.ShouldMatch(opt.State(w)[i], Slice(c.Expected["state_W_" + key], s), $"{name} {key}(W) step {s + 1}", output);
                OracleV2Files.ShouldMatch(opt.State(b)[i], Slice(c.Expected["state_b_" + key], s), $"{name} {key}(b) step {s + 1}", output);
            }
        }

        opt.Steps.Should().Be(steps);
    }

    private static OracleTensor Slice(OracleTensor t, int step)
    {
        int per = t.Data.Length / t.Shape[0];
        return new OracleTensor(t.Shape[1..], t.Data.AsSpan(step * per, per).ToArray());
    }
}
