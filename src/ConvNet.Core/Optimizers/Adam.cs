using System;
using System.Collections.Generic;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba): with g' = g + λW (L2 on weights, as <c>torch.optim.Adam(weight_decay=λ)</c>),
/// m ← β₁m + (1 − β₁)g', v ← β₂v + (1 − β₂)g'², W ← W − α · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
/// </summary>
public sealed class Adam : Optimizer
{
    private static readonly string[] Names = ["m", "v"];
    private float[] _scratch = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">α ≥ 0 (default 1e-3).</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="weightDecay">λ ≥ 0 on weights.</param>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
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

    /// <summary>λ.</summary>
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

    internal static Adam FromConfig(OptimizerConfigReader c) =>
        new(c.LearningRate, c.GetDouble("beta1"), c.GetDouble("beta2"), c.GetDouble("epsilon"), c.GetDouble("weightDecay"));

    /// <inheritdoc />
    protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
    {
        if (_scratch.Length < value.Length)
        {
            _scratch = new float[value.Length];
        }

        Span<float> g = _scratch.AsSpan(0, value.Length);
        DecayedGradient(parameter, value, gradient, WeightDecay, g);

        AdamStep.Apply(value, g, state[0], state[1], g, Beta1, Beta2, Epsilon, LearningRate, Steps);
    }
}
