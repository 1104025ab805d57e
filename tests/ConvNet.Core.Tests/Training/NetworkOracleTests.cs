using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>network.json (a LeNet-like net end to end) and sgd.json (3 steps, plain and momentum).</summary>
public class NetworkOracleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Mini_lenet_activations_gradients_and_one_sgd_step_match_pytorch(int threads)
    {
        var c = Oracle.Case("network.json", "mini_lenet_end_to_end");
        var tableData = c.Params.GetProperty("connection_table_conv2").GetProperty("data").EnumerateArray().Select(e => e.GetInt32() != 0).ToArray();
        var m = new bool[6, 4];
        for (int q = 0; q < 6; q++)
        {
            for (int p = 0; p < 4; p++)
            {
                m[q, p] = tableData[(q * 4) + p];
            }
        }

        var conv1 = new Conv2D(1, 4, 5);
        var conv2 = new Conv2D(4, 6, 3, connections: ConnectionTable.FromMatrix(m));
        var fc = new FullyConnected(6, 10);
        var net = new Network(1, 12, 12)
            .Add(conv1).Add(new ReLU()).Add(new MaxPool2D(2))
            .Add(conv2).Add(new Sigmoid()).Add(new AveragePool2D(2))
            .Add(new Flatten()).Add(fc);
        net.DegreeOfParallelism = threads;
        c.Inputs["conv1_w"].ToFloat().CopyTo(conv1.Weight.Value.AsSpan());
        c.Inputs["conv1_b"].ToFloat().CopyTo(conv1.Bias!.Value.AsSpan());
        c.Inputs["conv2_w"].ToFloat().CopyTo(conv2.Weight.Value.AsSpan());
        c.Inputs["conv2_b"].ToFloat().CopyTo(conv2.Bias!.Value.AsSpan());
        c.Inputs["fc_w"].ToFloat().CopyTo(fc.Weight.Value.AsSpan());
        c.Inputs["fc_b"].ToFloat().CopyTo(fc.Bias!.Value.AsSpan());

        var x = c.Inputs["x"].ToTensor();
        var labels = c.Inputs["labels"].ToInt();
        var logits = net.Forward(x);
        Assertions.ShouldMatch(logits.AsSpan(), c.Expected["logits"], "logits");

        var loss = new SoftmaxCrossEntropy();
        ((double)loss.Forward(logits, labels)).Should().BeApproximately(c.Expected["loss_mean"].Data[0], Oracle.Tolerance(c.Expected["loss_mean"]));
        var delta = new Tensor(logits.Shape.ToArray());
        loss.Backward(logits, labels, delta);
        net.Backward(delta);

        Assertions.ShouldMatch(conv1.Weight.Gradient.AsSpan(), c.Expected["grad_conv1_w"], "grad conv1 w");
        Assertions.ShouldMatch(conv1.Bias.Gradient.AsSpan(), c.Expected["grad_conv1_b"], "grad conv1 b");
        Assertions.ShouldMatch(conv2.Weight.Gradient.AsSpan(), c.Expected["grad_conv2_w"], "grad conv2 w");
        Assertions.ShouldMatch(conv2.Bias.Gradient.AsSpan(), c.Expected["grad_conv2_b"], "grad conv2 b");
        Assertions.ShouldMatch(fc.Weight.Gradient.AsSpan(), c.Expected["grad_fc_w"], "grad fc w");
        Assertions.ShouldMatch(fc.Bias.Gradient.AsSpan(), c.Expected["grad_fc_b"], "grad fc b");

        var sgdParams = c.Params.GetProperty("sgd");
        var sgd = new Sgd(sgdParams.GetProperty("alpha").GetDouble(), sgdParams.GetProperty("mu").GetDouble(), sgdParams.GetProperty("lambda").GetDouble());
        sgd.Step(net.Parameters);
        Assertions.ShouldMatch(conv1.Weight.Value.AsSpan(), c.Expected["after_step_conv1_w"], "conv1 w after step");
        Assertions.ShouldMatch(conv1.Bias.Value.AsSpan(), c.Expected["after_step_conv1_b"], "conv1 b after step");
        Assertions.ShouldMatch(conv2.Weight.Value.AsSpan(), c.Expected["after_step_conv2_w"], "conv2 w after step");
        Assertions.ShouldMatch(conv2.Bias.Value.AsSpan(), c.Expected["after_step_conv2_b"], "conv2 b after step");
        Assertions.ShouldMatch(fc.Weight.Value.AsSpan(), c.Expected["after_step_fc_w"], "fc w after step");
        Assertions.ShouldMatch(fc.Bias.Value.AsSpan(), c.Expected["after_step_fc_b"], "fc b after step");

        // The intermediate activations, read back through a second forward with the original weights.
        var net2Conv1 = new Conv2D(1, 4, 5);
        c.Inputs["conv1_w"].ToFloat().CopyTo(net2Conv1.Weight.Value.AsSpan());
        c.Inputs["conv1_b"].ToFloat().CopyTo(net2Conv1.Bias!.Value.AsSpan());
        var relu = new ReLU().Forward(net2Conv1.Forward(x));
        Assertions.ShouldMatch(relu.AsSpan(), c.Expected["conv1_out_relu"], "conv1 + relu");
        Assertions.ShouldMatch(new MaxPool2D(2).Forward(relu).AsSpan(), c.Expected["pool1"], "pool1");
    }

    [Fact]
    public void Sgd_three_steps_plain_and_momentum_match_the_lecture_rule()
    {
        var c = Oracle.Case("sgd.json", "sgd_fc_3x4");
        double alpha = c.Params.GetProperty("alpha").GetDouble(), lambda = c.Params.GetProperty("lambda").GetDouble(), mu = c.Params.GetProperty("mu").GetDouble();
        int n = c.Params.GetProperty("N").GetInt32(), steps = c.Params.GetProperty("steps").GetInt32();
        var gW = c.Inputs["grad_W_per_sample"].ToFloat();
        var gb = c.Inputs["grad_b_per_sample"].ToFloat();
        foreach (bool momentum in new[] { false, true })
        {
            var w = new Parameter("weight", [3, 4], decays: true);
            var b = new Parameter("bias", [3], decays: false);
            c.Inputs["W0"].ToFloat().CopyTo(w.Value.AsSpan());
            c.Inputs["b0"].ToFloat().CopyTo(b.Value.AsSpan());
            var sgd = new Sgd(alpha, momentum ? mu : 0, lambda);
            for (int s = 0; s < steps; s++)
            {
                // g = (1/N) Σ_n g_n: what a mean-reduced loss hands the optimizer.
                for (int i = 0; i < 12; i++)
                {
                    w.Gradient.AsSpan()[i] = (float)Enumerable.Range(0, n).Average(k => (double)gW[(((s * n) + k) * 12) + i]);
                }

                for (int i = 0; i < 3; i++)
                {
                    b.Gradient.AsSpan()[i] = (float)Enumerable.Range(0, n).Average(k => (double)gb[(((s * n) + k) * 3) + i]);
                }

                sgd.Step([w, b]);
                string prefix = momentum ? "momentum" : "plain";
                var expW = c.Expected[prefix + "_W"];
                var expB = c.Expected[prefix + "_b"];
                Assertions.ShouldMatch(w.Value.AsSpan(), expW.Data.Skip(s * 12).Take(12).ToArray(), Oracle.Tolerance(expW), $"{prefix} W step {s + 1}");
                Assertions.ShouldMatch(b.Value.AsSpan(), expB.Data.Skip(s * 3).Take(3).ToArray(), Oracle.Tolerance(expB), $"{prefix} b step {s + 1}");
                if (momentum)
                {
                    var vW = c.Expected["momentum_vW"];
                    Assertions.ShouldMatch(sgd.State(w)[0], vW.Data.Skip(s * 12).Take(12).ToArray(), Oracle.Tolerance(vW), $"vW step {s + 1}");
                    var vb = c.Expected["momentum_vb"];
                    Assertions.ShouldMatch(sgd.State(b)[0], vb.Data.Skip(s * 3).Take(3).ToArray(), Oracle.Tolerance(vb), $"vb step {s + 1}");
                }
            }
        }
    }
}
