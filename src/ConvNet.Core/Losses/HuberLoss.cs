using System;

namespace ConvNet.Losses;

/// <summary>
/// Huber loss (PyTorch <c>HuberLoss</c>): with d = y − t, ℓ = ½d² where |d| &lt; δ, else δ(|d| − ½δ);
/// ∂ℓ/∂y = d where |d| &lt; δ, else δ·sign(d). Quadratic near the target, linear (robust to outliers) far from it.
/// </summary>
public sealed class HuberLoss : ElementwiseLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">δ &gt; 0, where the quadratic part meets the linear one (PyTorch's default 1).</param>
    /// <param name="reduction">Mean over all elements (default) or sum.</param>
    public HuberLoss(double delta = 1.0, LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
        if (!(delta > 0 && double.IsFinite(delta)))
        {
            ThrowHelper.OutOfRange(nameof(delta), delta, "Huber's delta must be positive and finite.");
        }

        Delta = delta;
    }

    /// <summary>δ.</summary>
    public double Delta { get; }

    /// <inheritdoc />
    protected override double Term(double y, double t, int k)
    {
        double d = y - t, a = Math.Abs(d);
        return a < Delta ? 0.5 * d * d : Delta * (a - (0.5 * Delta));
    }

    /// <inheritdoc />
    protected override double Derivative(double y, double t, int k)
    {
        double d = y - t;
        return Math.Abs(d) < Delta ? d : Delta * Math.Sign(d);
    }
}
