using System;

namespace ConvNet.Optimizers.Schedules;

/// <summary>α_e = α₀ · γ^⌊e / step⌋ (exponential when step = 1).</summary>
internal sealed class StepSchedule(int stepSize, double gamma) : LearningRateSchedule
{
    public override double Rate(int epoch, double baseRate) => baseRate * Math.Pow(gamma, epoch / stepSize);

    public override string ToString() => stepSize == 1 ? Invariant($"exponential(γ={gamma})") : Invariant($"step({stepSize}, γ={gamma})");
}
