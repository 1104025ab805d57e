namespace ConvNet.Training;

/// <summary>What a <see cref="TrainingCallback"/> sees at the end of an epoch.</summary>
/// <param name="trainer">The trainer.</param>
/// <param name="metrics">The epoch's metrics.</param>
public sealed class EpochContext(Trainer trainer, EpochMetrics metrics)
{
    /// <summary>The trainer (its network and optimizer).</summary>
    public Trainer Trainer { get; } = trainer;

    /// <summary>The metrics of the epoch that just ended.</summary>
    public EpochMetrics Metrics { get; } = metrics;

    /// <summary>Set to true to end training after this epoch.</summary>
    public bool StopTraining { get; set; }
}
