using System.Collections.Generic;

namespace ConvNet.Training;

/// <summary>The metrics of every completed epoch, and why training stopped.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>One entry per completed epoch.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>True when a callback (e.g. early stopping) ended training before the last epoch.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>True when the cancellation token ended training.</summary>
    public bool Cancelled { get; internal set; }

    /// <summary>When cancelled mid-epoch: the metrics of that epoch's batches completed before the cancellation (its
    /// <see cref="EpochMetrics.Epoch"/> is the unfinished epoch, and there is no validation); otherwise null.</summary>
    public EpochMetrics? CancelledEpoch { get; internal set; }

    internal void Add(EpochMetrics m) => _epochs.Add(m);
}
