using System;

namespace ConvNet.Optimizers.Schedules;

/// <summary>PyTorch's OneCycleLR (cosine annealing; three_phase off) with max_lr = α₀, over E·B steps.</summary>
internal sealed class OneCycleSchedule(int epochs, double pctStart, double div, double finalDiv) : LearningRateSchedule
{
    public override bool IsPerStep => true;

    public override double Rate(int epoch, double baseRate) => Rate(epoch, 0, 1, baseRate);

    public override double Rate(int epoch, int batch, int batchesPerEpoch, double baseRate)
    {
        double total = (double)epochs * batchesPerEpoch;
        double step = Math.Min(((double)epoch * batchesPerEpoch) + batch, total - 1);
        double initial = baseRate / div, final = initial / finalDiv;
        double up = (pctStart * total) - 1, down = total - up - 1;
        return step <= up
            ? Anneal(initial, baseRate, up <= 0 ? 1 : step / up)
            : Anneal(baseRate, final, (step - up) / down);
    }

    private static double Anneal(double start, double end, double pct) => end + ((start - end) / 2 * (Math.Cos(Math.PI * pct) + 1));

    public override string ToString() => Invariant($"one-cycle({epochs}, pct={pctStart}, div={div}, final-div={finalDiv})");
}
