namespace ConvNet.Layers;

/// <summary>
/// Batch normalization of [C] (features, as after a fully connected layer) or [C, L] per sample: statistics over N (and L) (PyTorch's <c>BatchNorm1d</c>):
/// x̂ = (x − μ_c)/√(σ²_c + ε), y = γ_c x̂ + β_c. See <see cref="BatchNorm"/> for the modes and the backward pass.
/// </summary>
public sealed class BatchNorm1D : BatchNorm
{
    /// <summary>Creates the layer: γ = 1, β = 0, running_mean = 0, running_var = 1.</summary>
    /// <param name="channels">C.</param>
    /// <param name="momentum">Weight of the batch statistics in the running update, in [0, 1] (PyTorch's default 0.1); null for a cumulative average.</param>
    /// <param name="epsilon">ε added to the variance (default 1e-5), finite and ≥ 0.</param>
    /// <param name="affine">Whether γ and β are learned.</param>
    /// <param name="trackRunningStats">Whether running statistics are kept and used in inference mode.</param>
    public BatchNorm1D(int channels, double? momentum = 0.1, double epsilon = 1e-5, bool affine = true, bool trackRunningStats = true)
        : base(nameof(BatchNorm1D), 1, 2, "[C] or [C, L]", channels, momentum, epsilon, affine, trackRunningStats)
    {
    }
}
