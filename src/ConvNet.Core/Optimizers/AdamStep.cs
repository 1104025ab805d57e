using System;
using System.Numerics.Tensors;

namespace ConvNet.Optimizers;

/// <summary>
/// The step <see cref="Adam"/> and <see cref="AdamW"/> share: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
/// W ← W − α · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε); and the validation of their settings.
/// </summary>
internal static class AdamStep
{
    public static void Validate(double beta1, double beta2, double epsilon, double weightDecay)
    {
        if (!(beta1 >= 0 && beta1 < 1))
        {
            ThrowHelper.OutOfRange(nameof(beta1), beta1, $"beta1 must be in [0, 1); actual {beta1}.");
        }

        if (!(beta2 >= 0 && beta2 < 1))
        {
            ThrowHelper.OutOfRange(nameof(beta2), beta2, $"beta2 must be in [0, 1); actual {beta2}.");
        }

        ThrowHelper.FinitePositive(epsilon, nameof(epsilon));
        ThrowHelper.FiniteNonNegative(weightDecay, nameof(weightDecay));
    }

    /// <summary>One step at step number <paramref name="t"/>; <paramref name="g"/> may be <paramref name="scratch"/> itself.</summary>
    public static void Apply(Span<float> value, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> scratch,
        double beta1, double beta2, double epsilon, double learningRate, long t)
    {
        float b1 = (float)beta1, b2 = (float)beta2;
        TensorPrimitives.Multiply(m, b1, m);
        TensorPrimitives.MultiplyAdd(g, 1 - b1, m, m);
        TensorPrimitives.Multiply(v, b2, v);
        TensorPrimitives.Multiply(g, g, scratch);
        TensorPrimitives.MultiplyAdd(scratch, 1 - b2, v, v);

        float stepSize = (float)(learningRate / (1 - Math.Pow(beta1, t)));
        float vScale = (float)(1 / Math.Sqrt(1 - Math.Pow(beta2, t)));

        // W ← W − stepSize · m / (√v · vScale + ε)
        TensorPrimitives.Sqrt(v, scratch);
        TensorPrimitives.Multiply(scratch, vScale, scratch);
        TensorPrimitives.Add(scratch, (float)epsilon, scratch);
        TensorPrimitives.Divide(m, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, -stepSize, value, value);
    }
}
