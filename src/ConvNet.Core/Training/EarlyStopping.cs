namespace ConvNet.Training;

/// <summary>
/// Stops training when the monitored loss (validation loss if available, else training loss) has not improved by more
/// than <see cref="MinDelta"/> for <see cref="Patience"/> epochs. With <see cref="RestoreBestWeights"/> (Keras'
/// <c>restore_best_weights</c>) it keeps a copy of the weights and state buffers of the best epoch and puts them back
/// into the network when it stops training.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    private double _best = double.PositiveInfinity;
    private int _wait;
    private StepSnapshot? _bestModel;

    /// <summary>Creates the callback.</summary>
    /// <param name="patience">Epochs without improvement to tolerate (≥ 1).</param>
    /// <param name="minDelta">Smallest decrease that counts as an improvement (≥ 0).</param>
    /// <param name="restoreBestWeights">Restore the best epoch's weights and buffers when stopping.</param>
    public EarlyStopping(int patience = 3, double minDelta = 0, bool restoreBestWeights = false)
    {
        ThrowHelper.Positive(patience, nameof(patience));
        ThrowHelper.FiniteNonNegative(minDelta, nameof(minDelta));
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>Smallest decrease that counts.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the best epoch's weights are put back when training stops.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The epoch (1-based) with the lowest monitored loss so far, or 0 before the first.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The lowest monitored loss so far (∞ before the first epoch).</summary>
    public double BestLoss => _best;

    /// <inheritdoc />
    public override void OnEpochEnd(EpochContext context)
    {
        ThrowHelper.NotNull(context, nameof(context));
        double loss = context.Metrics.ValidationLoss ?? context.Metrics.TrainLoss;
        if (loss < _best - MinDelta)
        {
            _best = loss;
            _wait = 0;
            BestEpoch = context.Metrics.Epoch;
            if (RestoreBestWeights)
            {
                _bestModel ??= new StepSnapshot(context.Trainer.Network, optimizer: null);
                _bestModel.Take();
            }
        }
        else if (++_wait >= Patience)
        {
            context.StopTraining = true;
            _bestModel?.Restore();
        }
    }
}
