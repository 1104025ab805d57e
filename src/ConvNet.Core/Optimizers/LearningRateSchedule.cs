using System;

namespace ConvNet.Optimizers;

/// <summary>
/// A learning rate per epoch: α_e = f(e, α₀), applied by the trainer at the start of each epoch (e from 0). The trainer
/// computes the rate of every epoch a Fit will run before its first step and refuses NaN, ∞ and negative rates (0 is
/// allowed). <see cref="object.ToString"/> describes the schedule; checkpoints record it, and resuming with a schedule
/// of another description is refused, so a custom schedule should override it with its settings.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for epoch <paramref name="epoch"/> (0-based).</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="baseRate">α₀.</param>
    /// <returns>α_e.</returns>
    public abstract double Rate(int epoch, double baseRate);

    /// <summary>α_e = α₀.</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>α_e = α₀ · γ^⌊e / step⌋ (PyTorch StepLR).</summary>
    /// <param name="stepSize">Epochs per step.</param>
    /// <param name="gamma">Factor per step.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Step(int stepSize, double gamma)
    {
        ThrowHelper.Positive(stepSize, nameof(stepSize));
        ThrowHelper.FinitePositive(gamma, nameof(gamma));
        return new StepSchedule(stepSize, gamma);
    }

    /// <summary>α_e = α₀ · γ^e (PyTorch ExponentialLR).</summary>
    /// <param name="gamma">Factor per epoch.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Exponential(double gamma)
    {
        ThrowHelper.FinitePositive(gamma, nameof(gamma));
        return new StepSchedule(1, gamma);
    }

    /// <summary>α_e = α_min + ½(α₀ − α_min)(1 + cos(π e / E)) (PyTorch CosineAnnealingLR).</summary>
    /// <param name="totalEpochs">E.</param>
    /// <param name="minRate">α_min ≥ 0.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Cosine(int totalEpochs, double minRate = 0)
    {
        ThrowHelper.Positive(totalEpochs, nameof(totalEpochs));
        ThrowHelper.FiniteNonNegative(minRate, nameof(minRate));
        return new CosineSchedule(totalEpochs, minRate);
    }

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override double Rate(int epoch, double baseRate) => baseRate;

        public override string ToString() => "constant";
    }

    private sealed class StepSchedule(int stepSize, double gamma) : LearningRateSchedule
    {
        public override double Rate(int epoch, double baseRate) => baseRate * Math.Pow(gamma, epoch / stepSize);

        public override string ToString() => stepSize == 1 ? FormattableString.Invariant($"exponential(γ={gamma})") : FormattableString.Invariant($"step({stepSize}, γ={gamma})");
    }

    private sealed class CosineSchedule(int total, double min) : LearningRateSchedule
    {
        public override double Rate(int epoch, double baseRate) =>
            Math.Max(min + (0.5 * (baseRate - min) * (1 + Math.Cos(Math.PI * Math.Min(epoch, total) / total))), 1e-12);

        public override string ToString() => FormattableString.Invariant($"cosine({total}, min={min})");
    }
}
