namespace ConvNet.Training;

/// <summary>
/// What the trainer does when a step diverges: the loss or a gradient is NaN or ∞, or the optimizer step made a weight
/// (or a state buffer) NaN or ∞.
/// </summary>
public enum DivergencePolicy
{
    /// <summary>Stop with a <see cref="TrainingDivergedException"/> naming the epoch, batch and first bad layer (the
    /// network keeps the values of the diverged step).</summary>
    Throw = 0,

    /// <summary>
    /// Undo the step — weights, state buffers, optimizer state and step count go back to their values before the batch
    /// (a copy of them is taken before every step) — and count it in <see cref="EpochMetrics.SkippedBatches"/>. After
    /// <see cref="TrainingOptions.MaxConsecutiveSkippedBatches"/> skipped batches in a row training stops with a
    /// <see cref="TrainingDivergedException"/>: the model does not recover from its weights.
    /// </summary>
    SkipBatch = 1,
}
