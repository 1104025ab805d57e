namespace ConvNet.Optimizers.Schedules;

/// <summary>α = α₀ (s + 1) / W for the global step s &lt; W, then the following schedule's rate.</summary>
internal sealed class WarmupSchedule(int steps, LearningRateSchedule then) : LearningRateSchedule
{
    public override bool IsPerStep => true;

    public override double Rate(int epoch, double baseRate) => Rate(epoch, 0, 1, baseRate);

    public override double Rate(int epoch, int batch, int batchesPerEpoch, double baseRate)
    {
        long s = ((long)epoch * batchesPerEpoch) + batch;
        double after = then.Rate(epoch, batch, batchesPerEpoch, baseRate);
        return s < steps ? baseRate * (s + 1) / steps : after;
    }

    public override string ToString() => Invariant($"warmup({steps}, then {then})");
}
