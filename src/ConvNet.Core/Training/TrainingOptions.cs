using System;
using ConvNet.Optimizers;

namespace ConvNet.Training;

/// <summary>Settings of <see cref="Trainer.Fit"/>.</summary>
public sealed class TrainingOptions
{
    /// <summary>Epochs E (default 10).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Mini-batch size B (default 64). The last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the per-epoch sample order ("order of training samples").</summary>
    public int Seed { get; init; }

    /// <summary>Reshuffle the sample order every epoch (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Threads the network may use (default: all cores).</summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Learning rate per epoch (default constant); Fit checks the rate of every epoch it will run first.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>If set, gradients are rescaled so their global L2 norm is at most this value.</summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>What to do when the loss or a gradient is NaN or ∞ (default: throw <see cref="TrainingDivergedException"/>).</summary>
    public DivergencePolicy OnDivergence { get; init; } = DivergencePolicy.Throw;

    /// <summary>
    /// With <see cref="DivergencePolicy.SkipBatch"/>, how many batches in a row may be skipped before training stops
    /// with a <see cref="TrainingDivergedException"/> (default 10, at least 1).
    /// </summary>
    public int MaxConsecutiveSkippedBatches { get; init; } = 10;

    /// <summary>Batch size used to evaluate validation data (default 256).</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    /// <summary>A copy with another epoch count (what <see cref="Trainer.FitMore"/> trains to).</summary>
    internal TrainingOptions WithEpochs(int epochs) => new()
    {
        Epochs = epochs,
        BatchSize = BatchSize,
        Seed = Seed,
        Shuffle = Shuffle,
        DegreeOfParallelism = DegreeOfParallelism,
        Schedule = Schedule,
        GradientClipNorm = GradientClipNorm,
        OnDivergence = OnDivergence,
        MaxConsecutiveSkippedBatches = MaxConsecutiveSkippedBatches,
        EvaluationBatchSize = EvaluationBatchSize,
    };

    internal void Validate()
    {
        ThrowHelper.Positive(Epochs, nameof(Epochs));
        ThrowHelper.Positive(BatchSize, nameof(BatchSize));
        ThrowHelper.Positive(DegreeOfParallelism, nameof(DegreeOfParallelism));
        ThrowHelper.Positive(EvaluationBatchSize, nameof(EvaluationBatchSize));
        ThrowHelper.Positive(MaxConsecutiveSkippedBatches, nameof(MaxConsecutiveSkippedBatches));
        ThrowHelper.NotNull(Schedule, nameof(Schedule));
        if (GradientClipNorm is double c)
        {
            ThrowHelper.FinitePositive(c, nameof(GradientClipNorm));
        }

        if (OnDivergence is not (DivergencePolicy.Throw or DivergencePolicy.SkipBatch))
        {
            ThrowHelper.OutOfRange(nameof(OnDivergence), OnDivergence, "Expected Throw or SkipBatch.");
        }
    }
}
