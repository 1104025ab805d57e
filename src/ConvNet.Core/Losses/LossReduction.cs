namespace ConvNet.Losses;

/// <summary>How per-sample losses E⁽ⁿ⁾ are combined into E.</summary>
public enum LossReduction
{
    /// <summary>E = (1/N) Σ_n E⁽ⁿ⁾ (PyTorch's default). δ^(L) carries the 1/N, so one SGD step with rate α is the
    /// lecture's W ← W − (α/N) Σ_n ∂E⁽ⁿ⁾/∂W.</summary>
    Mean = 0,

    /// <summary>E = Σ_n E⁽ⁿ⁾; δ^(L) is the lecture's per-sample δ, unscaled.</summary>
    Sum = 1,
}
