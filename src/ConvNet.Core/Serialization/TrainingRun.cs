namespace ConvNet.Serialization;

/// <summary>
/// What a checkpoint's position (completed epochs and batches) means: the settings of the run it was taken in, written
/// by <see cref="Training.Trainer.SaveCheckpoint"/> to the metadata keys <c>convnet.batchSize</c>,
/// <c>convnet.totalEpochs</c>, <c>convnet.shuffle</c>, <c>convnet.schedule</c> and <c>convnet.samples</c>.
/// <see cref="Training.Trainer.Resume"/> refuses a trainer whose batch size, shuffle flag or schedule differ, and Fit
/// refuses training data of another size: the same position would then name other samples or rates. Files written
/// before this record existed have none (<see cref="Checkpoint.Run"/> is null) and resume as before.
/// </summary>
/// <param name="BatchSize">The batch size B: batch k of an epoch is samples k·B … (k+1)·B − 1 of its order.</param>
/// <param name="Epochs">The epochs the run was set to train (recorded only: a resumed run may train more or fewer).</param>
/// <param name="Shuffle">Whether the sample order was reshuffled every epoch.</param>
/// <param name="Schedule">The learning-rate schedule's description (its <see cref="object.ToString"/>).</param>
/// <param name="SampleCount">The number of training samples, if the trainer had seen its data when it saved.</param>
public sealed record TrainingRun(int BatchSize, int Epochs, bool Shuffle, string Schedule, int? SampleCount)
{
    /// <summary>The trainer's <see cref="Training.Trainer.LearningRateFactor"/> (what reduce-on-plateau lowered), saved
    /// as <c>convnet.lrFactor</c> when it is not 1; a resumed run continues with it.</summary>
    public double LearningRateFactor { get; init; } = 1;
}
