using System;

namespace ConvNet.Training;

/// <summary>What one epoch achieved.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="LearningRate">α used this epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="TrainAccuracy">Training accuracy while training (NaN for regression data).</param>
/// <param name="ValidationLoss">Validation loss, if validation data was given.</param>
/// <param name="ValidationAccuracy">Validation accuracy, if validation data was given.</param>
/// <param name="SamplesPerSecond">Training throughput in samples per second (forward + backward + update).</param>
/// <param name="Elapsed">Wall time of the epoch including validation.</param>
/// <param name="SkippedBatches">Batches skipped because they diverged (with <see cref="DivergencePolicy.SkipBatch"/>).</param>
public sealed record EpochMetrics(
    int Epoch,
    double LearningRate,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double SamplesPerSecond,
    TimeSpan Elapsed,
    int SkippedBatches);
