using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// Stochastic gradient descent exactly as the lecture writes it, with g = (1/N) Σ_n ∂E⁽ⁿ⁾/∂W:
/// <list type="bullet">
/// <item>plain: W ← W − α g − αλW; b ← b − α g_b (no decay on biases);</item>
/// <item>momentum μ: v ← μv − α g − αλW, W ← W + v (the decay uses W before the step; v starts at 0);</item>
/// <item>Nesterov: v ← μv − α g − αλW, W ← W + μv − α g − αλW (PyTorch's nesterov=True in this velocity form).</item>
/// </list>
/// Identical to <c>torch.optim.SGD(lr=α, momentum=μ, weight_decay=λ)</c> with decay on weights only. SIMD via TensorPrimitives.
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumState = ["velocity"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">α ≥ 0.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    /// <param name="weightDecay">λ ≥ 0, applied to parameters that decay (weights).</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0).</param>
    public Sgd(double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(learningRate)
    {
        if (!double.IsFinite(momentum) || momentum < 0 || momentum >= 1)
        {
            ThrowHelper.OutOfRange(nameof(momentum), momentum, $"Momentum must be in [0, 1); actual {momentum}.");
        }

        ThrowHelper.FiniteNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0)
        {
            ThrowHelper.Argument(nameof(nesterov), "Nesterov momentum needs momentum > 0.");
        }

        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => Momentum > 0 ? MomentumState : [];

    /// <inheritdoc />
    protected internal override void WriteConfig(Utf8JsonWriter writer)
    {
        ThrowHelper.NotNull(writer, nameof(writer));
        writer.WriteNumber("momentum", Momentum);
        writer.WriteNumber("weightDecay", WeightDecay);
        writer.WriteBoolean("nesterov", Nesterov);
    }

    internal static Sgd FromConfig(OptimizerConfigReader c) =>
        new(c.LearningRate, c.GetDouble("momentum"), c.GetDouble("weightDecay"), c.GetBoolean("nesterov"));

    /// <inheritdoc />
    protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
    {
        float alpha = (float)LearningRate;
        float decay = parameter.Decays ? (float)(LearningRate * WeightDecay) : 0f;
        if (Momentum == 0)
        {
            // W ← W − αλW − α g
            if (decay != 0f)
            {
                TensorPrimitives.MultiplyAdd(value, -decay, value, value);
            }

            TensorPrimitives.MultiplyAdd(gradient, -alpha, value, value);
            return;
        }

        // v ← μv − α g − αλW
        Span<float> v = state[0];
        TensorPrimitives.Multiply(v, (float)Momentum, v);
        TensorPrimitives.MultiplyAdd(gradient, -alpha, v, v);
        if (decay != 0f)
        {
            TensorPrimitives.MultiplyAdd(value, -decay, v, v);
        }

        if (!Nesterov)
        {
            TensorPrimitives.Add(value, v, value); // W ← W + v
            return;
        }

        // W ← W + μv − α g − αλW
        if (decay != 0f)
        {
            TensorPrimitives.MultiplyAdd(value, -decay, value, value);
        }

        TensorPrimitives.MultiplyAdd(gradient, -alpha, value, value);
        TensorPrimitives.MultiplyAdd(v, (float)Momentum, value, value);
    }
}
