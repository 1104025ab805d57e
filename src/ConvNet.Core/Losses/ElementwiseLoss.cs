using System;

namespace ConvNet.Losses;

/// <summary>
/// A loss that is a sum of one term per output, E = Σ_n Σ_k ℓ(y_nk, t_nk) (class labels give one-hot t). As PyTorch,
/// <see cref="LossReduction.Mean"/> averages over every element, N·K, not over the batch alone.
/// </summary>
public abstract class ElementwiseLoss : Loss
{
    /// <summary>Initializes the loss.</summary>
    /// <param name="reduction">Mean over all N·K elements (default) or sum.</param>
    protected ElementwiseLoss(LossReduction reduction)
        : base(reduction)
    {
    }

    /// <summary>ℓ(y, t) for output <paramref name="k"/> of a sample.</summary>
    /// <param name="y">The prediction.</param>
    /// <param name="t">The target.</param>
    /// <param name="k">The output index (for per-output settings such as a positive weight).</param>
    /// <returns>The term.</returns>
    protected abstract double Term(double y, double t, int k);

    /// <summary>∂ℓ/∂y at (y, t) for output <paramref name="k"/>.</summary>
    /// <param name="y">The prediction.</param>
    /// <param name="t">The target.</param>
    /// <param name="k">The output index.</param>
    /// <returns>The derivative.</returns>
    protected abstract double Derivative(double y, double t, int k);

    /// <summary>Checks per-output settings against the number of outputs K (nothing by default).</summary>
    /// <param name="k">Outputs per sample.</param>
    protected virtual void CheckOutputs(int k)
    {
    }

    /// <inheritdoc />
    protected sealed override double MeanDenominator(ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k) => (double)n * k;

    /// <inheritdoc />
    protected sealed override double ForwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k)
    {
        CheckOutputs(k);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < k; j++)
            {
                sum += Term(y[(s * k) + j], Target(t, labels, s, j, k), j);
            }
        }

        return sum;
    }

    /// <inheritdoc />
    protected sealed override void BackwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k, Span<float> gradient, float scale)
    {
        CheckOutputs(k);
        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < k; j++)
            {
                gradient[(s * k) + j] = (float)(Derivative(y[(s * k) + j], Target(t, labels, s, j, k), j) * scale);
            }
        }
    }

    private static double Target(ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int s, int j, int k) =>
        labels.IsEmpty ? t[(s * k) + j] : (labels[s] == j ? 1.0 : 0.0);
}
