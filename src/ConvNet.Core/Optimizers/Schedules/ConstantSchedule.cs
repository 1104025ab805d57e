namespace ConvNet.Optimizers.Schedules;

/// <summary>α_e = α₀.</summary>
internal sealed class ConstantSchedule : LearningRateSchedule
{
    public override double Rate(int epoch, double baseRate) => baseRate;

    public override string ToString() => "constant";
}
