using System;

namespace ConvNet.Losses;

/// <summary>
/// Smooth L1 loss (PyTorch <c>SmoothL1Loss</c>): with d = y − t, ℓ = ½d²/β where |d| &lt; β, else |d| − ½β;
/// ∂ℓ/∂y = d/β where |d| &lt; β, else sign(d). It is Huber/β (the same for β = δ = 1), and L1 for β = 0.
/// </summary>
public sealed class SmoothL1Loss : ElementwiseLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β ≥ 0 (PyTorch's default 1; 0 is the L1 loss).</param>
    /// <param name="reduction">Mean over all elements (default) or sum.</param>
    public SmoothL1Loss(double beta = 1.0, LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
        if (!(beta >= 0 && double.IsFinite(beta)))
        {
            ThrowHelper.OutOfRange(nameof(beta), beta, "Smooth L1's beta must be non-negative and finite.");
        }

        Beta = beta;
    }

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <inheritdoc />
    protected override double Term(double y, double t, int k)
    {
        double d = y - t, a = Math.Abs(d);
        return a < Beta ? 0.5 * d * d / Beta : a - (0.5 * Beta);
    }

    /// <inheritdoc />
    protected override double Derivative(double y, double t, int k)
    {
        double d = y - t;
        return Math.Abs(d) < Beta ? d / Beta : Math.Sign(d);
    }
}
