using System;

namespace ConvNet.Optimizers.Schedules;

/// <summary>α_e = α_min + ½(α₀ − α_min)(1 + cos(π min(e, E) / E)).</summary>
internal sealed class CosineSchedule(int total, double min) : LearningRateSchedule
{
    public override double Rate(int epoch, double baseRate) =>
        Math.Max(min + (0.5 * (baseRate - min) * (1 + Math.Cos(Math.PI * Math.Min(epoch, total) / total))), 1e-12);

    public override string ToString() => Invariant($"cosine({total}, min={min})");
}
