using System;

namespace ConvNet.Losses;

/// <summary>
/// Sigmoid + binary cross-entropy on logits z, one independent yes/no per output (multi-label; PyTorch
/// <c>BCEWithLogitsLoss</c>): ℓ = −[w t ln σ(z) + (1 − t) ln(1 − σ(z))], computed stably as
/// w t softplus(−z) + (1 − t) softplus(z) with softplus(x) = max(x, 0) + ln(1 + e^−|x|), finite for any logit;
/// ∂ℓ/∂z = σ(z)(w t + 1 − t) − w t. Targets may be soft (in [0, 1]); w is the positive weight of each output (1 by default).
/// </summary>
public sealed class BinaryCrossEntropyWithLogits : ElementwiseLoss
{
    private readonly float[]? _positiveWeight;

    /// <summary>Creates the loss.</summary>
    /// <param name="positiveWeight">w per output (the last dimension), each positive and finite; null for all 1.</param>
    /// <param name="reduction">Mean over all elements (default) or sum.</param>
    public BinaryCrossEntropyWithLogits(float[]? positiveWeight = null, LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
        if (positiveWeight is not null)
        {
            if (positiveWeight.Length == 0)
            {
                ThrowHelper.Argument(nameof(positiveWeight), "The positive weights must have one entry per output; actual none.");
            }

            foreach (float w in positiveWeight)
            {
                if (!(w > 0 && float.IsFinite(w)))
                {
                    ThrowHelper.OutOfRange(nameof(positiveWeight), w, "Every positive weight must be positive and finite.");
                }
            }

            _positiveWeight = (float[])positiveWeight.Clone();
        }
    }

    /// <summary>w per output, or empty for all 1.</summary>
    public ReadOnlySpan<float> PositiveWeight => _positiveWeight;

    /// <inheritdoc />
    protected override void CheckOutputs(int k)
    {
        if (_positiveWeight is not null && _positiveWeight.Length != k)
        {
            ThrowHelper.Argument("prediction", $"BinaryCrossEntropyWithLogits: {_positiveWeight.Length} positive weights for predictions of {k} outputs.");
        }
    }

    /// <inheritdoc />
    protected override double Term(double z, double t, int k)
    {
        double w = _positiveWeight is null ? 1.0 : _positiveWeight[k];
        return (w * t * Softplus(-z)) + ((1 - t) * Softplus(z));
    }

    /// <inheritdoc />
    protected override double Derivative(double z, double t, int k)
    {
        double w = _positiveWeight is null ? 1.0 : _positiveWeight[k];
        double sigma = z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
        return (sigma * ((w * t) + 1 - t)) - (w * t);
    }

    private static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
}
