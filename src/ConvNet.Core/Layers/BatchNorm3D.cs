namespace ConvNet.Layers;

/// <summary>
/// Batch normalization of [C, D, H, W] per sample: statistics over N, D, H and W (PyTorch's <c>BatchNorm3d</c>):
/// x̂ = (x − μ_c)/√(σ²_c + ε), y = γ_c x̂ + β_c. See <see cref="BatchNorm"/> for the modes and the backward pass.
/// </summary>
public sealed class BatchNorm3D : BatchNorm
{
    /// <summary>Creates the layer: γ = 1, β = 0, running_mean = 0, running_var = 1.</summary>
    /// <param name="channels">C.</param>
    /// <param name="momentum">Weight of the batch statistics in the running update, in [0, 1] (PyTorch's default 0.1); null for a cumulative average.</param>
    /// <param name="epsilon">ε added to the variance (default 1e-5), finite and ≥ 0.</param>
    /// <param name="affine">Whether γ and β are learned.</param>
    /// <param name="trackRunningStats">Whether running statistics are kept and used in inference mode.</param>
    public BatchNorm3D(int channels, double? momentum = 0.1, double epsilon = 1e-5, bool affine = true, bool trackRunningStats = true)
        : base(nameof(BatchNorm3D), 4, 4, "[C, D, H, W]", channels, momentum, epsilon, affine, trackRunningStats)
    {
    }
}
