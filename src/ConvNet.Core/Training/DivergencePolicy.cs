namespace ConvNet.Training;

/// <summary>What the trainer does when the loss or a gradient becomes NaN or ∞.</summary>
public enum DivergencePolicy
{
    /// <summary>Stop with a <see cref="TrainingDivergedException"/> naming the epoch, batch and first bad layer.</summary>
    Throw = 0,

    /// <summary>Skip the update for that batch and count it in <see cref="EpochMetrics.SkippedBatches"/>.</summary>
    SkipBatch = 1,
}
