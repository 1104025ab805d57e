using System;

namespace ConvNet.Losses;

/// <summary>Mean absolute error (PyTorch <c>L1Loss</c>): ℓ = |y − t|, ∂ℓ/∂y = sign(y − t) (0 where y = t).</summary>
public sealed class L1Loss : ElementwiseLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean over all elements (default) or sum.</param>
    public L1Loss(LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
    }

    /// <inheritdoc />
    protected override double Term(double y, double t, int k) => Math.Abs(y - t);

    /// <inheritdoc />
    protected override double Derivative(double y, double t, int k) => Math.Sign(y - t);
}
