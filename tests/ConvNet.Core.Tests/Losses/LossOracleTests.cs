using System;
using System.Collections.Generic;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Losses;

/// <summary>
/// The new losses against PyTorch 1.13 (oracle-v2 losses.json): E under mean and sum, and δ for both, including
/// PyTorch's per-loss denominators (all elements for BCE/L1/Huber/SmoothL1, Σ w[y_n] for class-weighted CE).
/// </summary>
public class LossOracleTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => Oracle.Names(OracleV2Files.Losses);

    private static Loss Build(OracleCase c, LossReduction reduction)
    {
        double P(string name) => c.Params.GetProperty(name).GetDouble();
        return c.Op switch
        {
            "bce_with_logits" => new BinaryCrossEntropyWithLogits(c.Inputs.TryGetValue("pos_weight", out var pw) ? pw.ToFloat() : null, reduction),
            "l1_loss" => new L1Loss(reduction),
            "huber_loss" => new HuberLoss(P("delta"), reduction),
            "smooth_l1_loss" => new SmoothL1Loss(P("beta"), reduction),
            "cross_entropy_label_smoothing" => new SoftmaxCrossEntropy(P("label_smoothing"), null, reduction),
            "cross_entropy_weighted" => new SoftmaxCrossEntropy(P("label_smoothing"), c.Inputs["class_weight"].ToFloat(), reduction),
            _ => throw new InvalidOperationException(c.Op),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_gradient_match_pytorch_for_mean_and_sum(string name)
    {
        var c = Oracle.Case(OracleV2Files.Losses, name);
        var input = (c.Inputs.TryGetValue("z", out var z) ? z : c.Inputs["y"]).ToTensor();
        var grad = new Tensor(input.Shape.ToArray());
        foreach (var (reduction, loss, gradient) in new[] { (LossReduction.Mean, "loss_mean", "grad_of_mean"), (LossReduction.Sum, "loss_sum", "grad_of_sum") })
        {
            var l = Build(c, reduction);
            if (c.Inputs.TryGetValue("labels", out var labels))
            {
                OracleV2Files.ShouldMatch(l.Forward(input, labels.ToInt()), c.Expected[loss], $"{name} {loss}", output);
                l.Backward(input, labels.ToInt(), grad);
            }
            else
            {
                var t = c.Inputs["t"].ToTensor();
                OracleV2Files.ShouldMatch(l.Forward(input, t), c.Expected[loss], $"{name} {loss}", output);
                l.Backward(input, t, grad);
            }

            OracleV2Files.ShouldMatch(grad.AsSpan(), c.Expected[gradient], $"{name} {gradient}", output);
        }
    }
}
