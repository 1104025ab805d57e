using System;
using ConvNet.Optimizers.Schedules;

namespace ConvNet.Optimizers;

/// <summary>
/// A learning rate per epoch, α_e = f(e, α₀), or per step (<see cref="IsPerStep"/>): α_{e,b} = f(e, b, B, α₀) for batch
/// b of B in epoch e (both from 0). The trainer applies it before every epoch (or every step) and checks the rate of
/// every step a Fit will run before the first one, refusing NaN, ∞ and negative rates (0 is allowed).
/// <see cref="object.ToString"/> describes the schedule; checkpoints record it, resuming with a schedule of another
/// description is refused, and <see cref="Training.Trainer.FromCheckpoint"/> rebuilds the built-in schedules from it, so
/// a custom schedule should override it with its settings.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for epoch <paramref name="epoch"/> (0-based); for a per-step schedule, the rate of the
    /// epoch's first batch.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="baseRate">α₀.</param>
    /// <returns>α_e.</returns>
    public abstract double Rate(int epoch, double baseRate);

    /// <summary>The learning rate of batch <paramref name="batch"/> of <paramref name="batchesPerEpoch"/> in epoch
    /// <paramref name="epoch"/> (all 0-based); the epoch's rate unless the schedule is per step.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="batch">The batch within the epoch.</param>
    /// <param name="batchesPerEpoch">B, batches per epoch.</param>
    /// <param name="baseRate">α₀.</param>
    /// <returns>α_{e,b}.</returns>
    public virtual double Rate(int epoch, int batch, int batchesPerEpoch, double baseRate) => Rate(epoch, baseRate);

    /// <summary>True when the rate changes within an epoch (the trainer then sets it before every step).</summary>
    public virtual bool IsPerStep => false;

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

    /// <summary>
    /// Linear warm-up per step, then <paramref name="then"/>: for the global step s = e·B + b,
    /// α = α₀ · (s + 1) / W while s &lt; W, afterwards <paramref name="then"/>'s rate (which keeps counting epochs from 0
    /// at the start of training, as PyTorch's SequentialLR does not: the warm-up steps are part of the first epochs).
    /// </summary>
    /// <param name="warmupSteps">W, steps (batches) of warm-up.</param>
    /// <param name="then">The schedule after warm-up (default constant).</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule LinearWarmup(int warmupSteps, LearningRateSchedule? then = null)
    {
        ThrowHelper.Positive(warmupSteps, nameof(warmupSteps));
        return new WarmupSchedule(warmupSteps, then ?? Constant);
    }

    /// <summary>
    /// The one-cycle policy (Smith; PyTorch OneCycleLR with cosine annealing, per step) peaking at α₀: over the
    /// T = E·B steps the rate rises from α₀/div to α₀ in the first pct·T − 1 steps, then falls to α₀/(div·finalDiv):
    /// α = end + ½(start − end)(1 + cos(π·p)), p the fraction of the phase done.
    /// </summary>
    /// <param name="totalEpochs">E, the epochs of the cycle.</param>
    /// <param name="pctStart">Fraction of the steps spent rising (default 0.3).</param>
    /// <param name="divFactor">α₀ / initial rate (default 25).</param>
    /// <param name="finalDivFactor">Initial rate / final rate (default 10⁴).</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule OneCycle(int totalEpochs, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    {
        ThrowHelper.Positive(totalEpochs, nameof(totalEpochs));
        if (!(pctStart > 0 && pctStart < 1))
        {
            ThrowHelper.OutOfRange(nameof(pctStart), pctStart, "Expected 0 < pctStart < 1.");
        }

        ThrowHelper.FinitePositive(divFactor, nameof(divFactor));
        ThrowHelper.FinitePositive(finalDivFactor, nameof(finalDivFactor));
        return new OneCycleSchedule(totalEpochs, pctStart, divFactor, finalDivFactor);
    }

    /// <summary>Rebuilds a built-in schedule from its description (<see cref="object.ToString"/>), as recorded in a
    /// checkpoint; null for a description no built-in schedule gives (a custom schedule).</summary>
    /// <param name="description">The description.</param>
    /// <returns>The schedule, or null.</returns>
    public static LearningRateSchedule? TryParse(string description)
    {
        ThrowHelper.NotNull(description, nameof(description));
        return ScheduleParser.TryParse(description);
    }

    internal static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
