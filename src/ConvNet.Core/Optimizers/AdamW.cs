using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter; <c>torch.optim.AdamW</c>): weight decay decoupled from the gradient statistics.
/// First W ← W − αλW (weights only), then Adam on the raw gradient: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
/// W ← W − α · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε). Compare <see cref="Adam"/>, whose λW goes through m and v.
/// </summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] Names = ["m", "v"];
    private float[] _scratch = [];

    /// <summary>Creates the optimizer (PyTorch's defaults).</summary>
    /// <param name="learningRate">α ≥ 0 (default 1e-3).</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="weightDecay">λ ≥ 0, decoupled, on weights (default 1e-2).</param>
    public AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2)
        : base(learningRate)
    {
        AdamStep.Validate(beta1, beta2, epsilon, weightDecay);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>λ (decoupled).</summary>
    public double WeightDecay { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc />
    protected internal override void WriteConfig(Utf8JsonWriter writer)
    {
        ThrowHelper.NotNull(writer, nameof(writer));
        writer.WriteNumber("beta1", Beta1);
        writer.WriteNumber("beta2", Beta2);
        writer.WriteNumber("epsilon", Epsilon);
        writer.WriteNumber("weightDecay", WeightDecay);
    }

    internal static AdamW FromConfig(OptimizerConfigReader c) =>
        new(c.LearningRate, c.GetDouble("beta1"), c.GetDouble("beta2"), c.GetDouble("epsilon"), c.GetDouble("weightDecay"));

    /// <inheritdoc />
    protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
    {
        if (_scratch.Length < value.Length)
        {
            _scratch = new float[value.Length];
        }

        // W ← W − αλW, before the gradient step (decoupled).
        if (parameter.Decays && WeightDecay != 0)
        {
            TensorPrimitives.Multiply(value, (float)(1 - (LearningRate * WeightDecay)), value);
        }

        AdamStep.Apply(value, gradient, state[0], state[1], _scratch.AsSpan(0, value.Length), Beta1, Beta2, Epsilon, LearningRate, Steps);
    }
}
