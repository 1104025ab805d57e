using ConvNet.Optimizers;

namespace ConvNet.Serialization;

/// <summary>What a model file holds: the network (architecture and weights), and for a training checkpoint the
/// optimizer with its state and the number of completed epochs.</summary>
/// <param name="Network">The network with its weights.</param>
/// <param name="Optimizer">The optimizer with velocities/moments and step count, if saved.</param>
/// <param name="CompletedEpochs">Epochs completed when saved (0 if not a training checkpoint).</param>
/// <param name="CompletedBatches">Batches completed in the next epoch (0 at an epoch boundary).</param>
/// <param name="Seed">The training seed, which with the epoch fixes the sample order (the only random state).</param>
public sealed record Checkpoint(Network Network, Optimizer? Optimizer, int CompletedEpochs, int CompletedBatches = 0, int Seed = 0)
{
    /// <summary>The settings of the training run the position belongs to; null for files without that record (written
    /// by <see cref="ModelSerializer.Save(Network, string, Optimizer?, int, int, int)"/> or by earlier versions).</summary>
    public TrainingRun? Run { get; init; }
}
