namespace ConvNet.Training;

/// <summary>
/// Stops training when the monitored loss (validation loss if available, else training loss) has not improved by more
/// than <see cref="MinDelta"/> for <see cref="Patience"/> epochs.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    private double _best = double.PositiveInfinity;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="patience">Epochs without improvement to tolerate (≥ 1).</param>
    /// <param name="minDelta">Smallest decrease that counts as an improvement (≥ 0).</param>
    public EarlyStopping(int patience = 3, double minDelta = 0)
    {
        ThrowHelper.Positive(patience, nameof(patience));
        ThrowHelper.FiniteNonNegative(minDelta, nameof(minDelta));
        Patience = patience;
        MinDelta = minDelta;
    }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>Smallest decrease that counts.</summary>
    public double MinDelta { get; }

    /// <inheritdoc />
    public override void OnEpochEnd(EpochContext context)
    {
        ThrowHelper.NotNull(context, nameof(context));
        double loss = context.Metrics.ValidationLoss ?? context.Metrics.TrainLoss;
        if (loss < _best - MinDelta)
        {
            _best = loss;
            _wait = 0;
        }
        else if (++_wait >= Patience)
        {
            context.StopTraining = true;
        }
    }
}
