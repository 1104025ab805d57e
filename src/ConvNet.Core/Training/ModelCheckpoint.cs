using System.Diagnostics;

namespace ConvNet.Training;

/// <summary>
/// Saves the network (and optimizer state) after every epoch, atomically, to one path; with
/// <see cref="SaveBestOnly"/> (Keras' <c>save_best_only</c>) only after an epoch whose monitored loss (validation loss
/// if available, else training loss) is the lowest so far. A model that holds NaN or ∞ in its weights, state buffers or
/// optimizer state is never saved: the callback leaves the previous (good) file exactly as it was, counts the epoch in
/// <see cref="SkippedSaves"/>, says why in <see cref="LastSkipReason"/> (also written to <see cref="Trace"/> as a
/// warning) and lets training go on.
/// </summary>
/// <param name="path">The checkpoint file; replaced atomically each time it is saved.</param>
/// <param name="saveBestOnly">Save only when the monitored loss improves on every earlier epoch.</param>
public sealed class ModelCheckpoint(string path, bool saveBestOnly = false) : TrainingCallback
{
    private double _best = double.PositiveInfinity;

    /// <summary>The checkpoint file.</summary>
    public string Path { get; } = path ?? throw new System.ArgumentNullException(nameof(path));

    /// <summary>Whether only improving epochs are saved.</summary>
    public bool SaveBestOnly { get; } = saveBestOnly;

    /// <summary>The epoch (1-based) saved last, or 0 if none was.</summary>
    public int SavedEpoch { get; private set; }

    /// <summary>Epochs whose model was not saved because it was not finite.</summary>
    public int SkippedSaves { get; private set; }

    /// <summary>Why the last skipped epoch was not saved, or null if none was skipped.</summary>
    public string? LastSkipReason { get; private set; }

    /// <inheritdoc />
    public override void OnEpochEnd(EpochContext context)
    {
        ThrowHelper.NotNull(context, nameof(context));
        double loss = context.Metrics.ValidationLoss ?? context.Metrics.TrainLoss;
        if (SaveBestOnly && !(loss < _best))
        {
            return;
        }

        if (!context.Trainer.TrySaveCheckpoint(Path, out string? reason))
        {
            SkippedSaves++;
            LastSkipReason = $"Epoch {context.Metrics.Epoch} was not saved: {reason}; '{Path}' keeps the last good checkpoint.";
            Trace.TraceWarning(LastSkipReason);
            return;
        }

        _best = loss;
        SavedEpoch = context.Metrics.Epoch;
    }
}
