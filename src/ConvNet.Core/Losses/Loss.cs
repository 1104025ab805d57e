using System;

namespace ConvNet.Losses;

/// <summary>
/// The error layer at the top of the network: <c>Forward</c> returns E for a batch of predictions y^(L) [N, K] and targets
/// (a [N, K] tensor, or one class index per sample), <c>Backward</c> writes δ = ∂E/∂y^(L). With
/// <see cref="LossReduction.Mean"/> (default) E and δ include the factor 1/D — the only place it enters — where D is
/// PyTorch's denominator for that loss: the batch size N for the cross-entropies, every element N·K for element-wise
/// losses (<see cref="ElementwiseLoss"/>), Σ_n w[y_n] for class-weighted cross-entropy (<see cref="MeanDenominator"/>).
/// </summary>
public abstract class Loss
{
    /// <summary>Initializes the loss.</summary>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    protected Loss(LossReduction reduction)
    {
        if (reduction is not (LossReduction.Mean or LossReduction.Sum))
        {
            ThrowHelper.OutOfRange(nameof(reduction), reduction, "Reduction must be Mean or Sum.");
        }

        Reduction = reduction;
    }

    /// <summary>Mean or sum over the batch.</summary>
    public LossReduction Reduction { get; }

    /// <summary>E for a batch against dense targets t [N, K].</summary>
    /// <param name="prediction">y^(L), [N, K].</param>
    /// <param name="target">t, [N, K].</param>
    /// <returns>The reduced loss.</returns>
    public float Forward(Tensor prediction, Tensor target)
    {
        int n = ValidateDense(prediction, target);
        int k = prediction.Shape[1];
        return Reduce(ForwardCore(prediction.AsSpan(), target.AsSpan(), default, n, k), MeanDenominator(target.AsSpan(), default, n, k));
    }

    /// <summary>E for a batch against class labels (one-hot targets t_k = [k = label]).</summary>
    /// <param name="prediction">y^(L), [N, K].</param>
    /// <param name="labels">N labels in 0..K−1.</param>
    /// <returns>The reduced loss.</returns>
    public float Forward(Tensor prediction, ReadOnlySpan<int> labels)
    {
        int n = ValidateLabels(prediction, labels);
        int k = prediction.Shape[1];
        return Reduce(ForwardCore(prediction.AsSpan(), default, labels, n, k), MeanDenominator(default, labels, n, k));
    }

    /// <summary>δ = ∂E/∂y^(L) against dense targets.</summary>
    /// <param name="prediction">y^(L), [N, K].</param>
    /// <param name="target">t, [N, K].</param>
    /// <param name="gradient">Written: [N, K].</param>
    public void Backward(Tensor prediction, Tensor target, Tensor gradient)
    {
        int n = ValidateDense(prediction, target);
        ValidateGradient(prediction, gradient);
        int k = prediction.Shape[1];
        BackwardCore(prediction.AsSpan(), target.AsSpan(), default, n, k, gradient.AsSpan(), Scale(MeanDenominator(target.AsSpan(), default, n, k)));
    }

    /// <summary>δ = ∂E/∂y^(L) against class labels.</summary>
    /// <param name="prediction">y^(L), [N, K].</param>
    /// <param name="labels">N labels in 0..K−1.</param>
    /// <param name="gradient">Written: [N, K].</param>
    public void Backward(Tensor prediction, ReadOnlySpan<int> labels, Tensor gradient)
    {
        int n = ValidateLabels(prediction, labels);
        ValidateGradient(prediction, gradient);
        int k = prediction.Shape[1];
        BackwardCore(prediction.AsSpan(), default, labels, n, k, gradient.AsSpan(), Scale(MeanDenominator(default, labels, n, k)));
    }

    /// <summary>Σ_n E⁽ⁿ⁾ in double precision. Exactly one of target / labels is non-empty.</summary>
    /// <param name="y">Predictions [N·K].</param>
    /// <param name="t">Dense targets [N·K], or empty.</param>
    /// <param name="labels">Labels [N], or empty.</param>
    /// <param name="n">Batch size.</param>
    /// <param name="k">Classes / outputs per sample.</param>
    /// <returns>The summed loss.</returns>
    protected abstract double ForwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k);

    /// <summary>Writes scale · ∂E⁽ⁿ⁾/∂y⁽ⁿ⁾ for every sample.</summary>
    /// <param name="y">Predictions [N·K].</param>
    /// <param name="t">Dense targets [N·K], or empty.</param>
    /// <param name="labels">Labels [N], or empty.</param>
    /// <param name="n">Batch size.</param>
    /// <param name="k">Outputs per sample.</param>
    /// <param name="gradient">Destination [N·K].</param>
    /// <param name="scale">1/D for the mean, 1 for the sum.</param>
    protected abstract void BackwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k, Span<float> gradient, float scale);

    /// <summary>D, what <see cref="LossReduction.Mean"/> divides the summed loss by: N unless the loss says otherwise.</summary>
    /// <param name="t">Dense targets [N·K], or empty.</param>
    /// <param name="labels">Labels [N], or empty.</param>
    /// <param name="n">Batch size.</param>
    /// <param name="k">Outputs per sample.</param>
    /// <returns>The denominator (positive).</returns>
    protected virtual double MeanDenominator(ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k) => n;

    private float Scale(double denominator) => Reduction == LossReduction.Mean ? 1f / (float)denominator : 1f;

    private float Reduce(double sum, double denominator) => (float)(Reduction == LossReduction.Mean ? sum / denominator : sum);

    private string Describe() => GetType().Name;

    private int ValidateDense(Tensor prediction, Tensor target)
    {
        ValidatePrediction(prediction);
        ThrowHelper.NotNull(target, nameof(target));
        if (!target.HasShape(prediction.Shape))
        {
            ThrowHelper.Argument(nameof(target), $"{Describe()}: target must have the prediction's shape {ThrowHelper.Shape(prediction.Shape)}; actual {ThrowHelper.Shape(target.Shape)}.");
        }

        return prediction.Shape[0];
    }

    private int ValidateLabels(Tensor prediction, ReadOnlySpan<int> labels)
    {
        ValidatePrediction(prediction);
        int n = prediction.Shape[0], k = prediction.Shape[1];
        if (labels.Length != n)
        {
            ThrowHelper.Argument(nameof(labels), $"{Describe()}: expected {n} labels for prediction {ThrowHelper.Shape(prediction.Shape)}; actual {labels.Length}.");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)k)
            {
                ThrowHelper.OutOfRange(nameof(labels), labels[i], $"{Describe()}: label {labels[i]} of sample {i} is outside 0..{k - 1}.");
            }
        }

        return n;
    }

    private void ValidatePrediction(Tensor prediction)
    {
        ThrowHelper.NotNull(prediction, nameof(prediction));
        if (prediction.Rank != 2)
        {
            ThrowHelper.Argument(nameof(prediction), $"{Describe()}: prediction must be [N, K]; actual {ThrowHelper.Shape(prediction.Shape)}.");
        }
    }

    private void ValidateGradient(Tensor prediction, Tensor gradient)
    {
        ThrowHelper.NotNull(gradient, nameof(gradient));
        if (!gradient.HasShape(prediction.Shape))
        {
            ThrowHelper.Argument(nameof(gradient), $"{Describe()}: gradient must have the prediction's shape {ThrowHelper.Shape(prediction.Shape)}; actual {ThrowHelper.Shape(gradient.Shape)}.");
        }
    }
}
