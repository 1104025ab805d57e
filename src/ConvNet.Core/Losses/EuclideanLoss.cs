using System;

namespace ConvNet.Losses;

/// <summary>
/// Euclidean (squared-error) loss, E⁽ⁿ⁾ = ½‖y^(L) − t‖², with δ^(L) = y^(L) − t (lecture "Exercise", answer 1);
/// times 1/N under <see cref="LossReduction.Mean"/>.
/// </summary>
public sealed class EuclideanLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    public EuclideanLoss(LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
    }

    /// <inheritdoc />
    protected override double ForwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k)
    {
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < k; j++)
            {
                double target = labels.IsEmpty ? t[(s * k) + j] : (labels[s] == j ? 1.0 : 0.0);
                double d = y[(s * k) + j] - target;
                sum += 0.5 * d * d;
            }
        }

        return sum;
    }

    /// <inheritdoc />
    protected override void BackwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k, Span<float> gradient, float scale)
    {
        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < k; j++)
            {
                float target = labels.IsEmpty ? t[(s * k) + j] : (labels[s] == j ? 1f : 0f);
                gradient[(s * k) + j] = (y[(s * k) + j] - target) * scale;
            }
        }
    }
}
