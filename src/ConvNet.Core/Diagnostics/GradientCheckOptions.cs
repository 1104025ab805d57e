namespace ConvNet.Diagnostics;

/// <summary>Settings of <see cref="GradientChecker"/>; the defaults suit float32 layers.</summary>
public sealed class GradientCheckOptions
{
    /// <summary>
    /// The relative central-difference step: ∂L/∂v ≈ (L(v + h) − L(v − h)) / 2h with h = Step · max(1, |v|).
    /// Default 1e-2 (as Caffe's checker).
    /// </summary>
    public double Step { get; init; } = 1e-2;

    /// <summary>Passes when |analytic − numeric| ≤ Tolerance · max(1, |analytic|, |numeric|). Default 1e-2.</summary>
    public double Tolerance { get; init; } = 1e-2;

    /// <summary>At most this many elements are checked per tensor (a seeded sample when larger). Default 400.</summary>
    public int MaxChecksPerTensor { get; init; } = 400;

    /// <summary>Seed of the random input, the random upstream δ and the sampling of elements.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Check ∂L/∂x (δ^(l−1)) as well as the parameters. Default true.</summary>
    public bool CheckInputGradient { get; init; } = true;
}
