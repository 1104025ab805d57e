using System;

namespace ConvNet.Training;

/// <summary>
/// Keras' <c>ReduceLROnPlateau</c> / PyTorch's <c>ReduceLROnPlateau</c> (mode min, relative threshold): after every
/// epoch it reads the monitored value (the validation loss, or the training loss when there is no validation data); when
/// it has not improved on the best by more than <see cref="Threshold"/> (a &lt; best · (1 − threshold)) for more than
/// <see cref="Patience"/> epochs, the rate is multiplied by <see cref="Factor"/> (not below <see cref="MinRate"/>) through
/// <see cref="Trainer.LearningRateFactor"/>, then <see cref="Cooldown"/> epochs pass before counting again.
/// </summary>
/// <remarks>The reduced factor is saved in checkpoints and continues after a resume; this callback's own counters (best
/// value, epochs without improvement) start afresh in a new process, as in Keras.</remarks>
public sealed class ReduceLearningRateOnPlateau : TrainingCallback
{
    private double _best = double.PositiveInfinity;
    private int _bad;
    private int _cooldown;

    /// <summary>Creates the callback.</summary>
    /// <param name="factor">γ in (0, 1): α ← max(γ α, α_min) (default 0.1).</param>
    /// <param name="patience">Epochs without improvement tolerated (default 10).</param>
    /// <param name="threshold">Relative improvement that counts (default 10⁻⁴).</param>
    /// <param name="cooldown">Epochs to wait after a reduction (default 0).</param>
    /// <param name="minRate">α_min ≥ 0 (default 0).</param>
    public ReduceLearningRateOnPlateau(double factor = 0.1, int patience = 10, double threshold = 1e-4, int cooldown = 0, double minRate = 0)
    {
        if (!(factor > 0 && factor < 1))
        {
            ThrowHelper.OutOfRange(nameof(factor), factor, "Expected 0 < factor < 1.");
        }

        ThrowHelper.NonNegative(patience, nameof(patience));
        ThrowHelper.FiniteNonNegative(threshold, nameof(threshold));
        ThrowHelper.NonNegative(cooldown, nameof(cooldown));
        ThrowHelper.FiniteNonNegative(minRate, nameof(minRate));
        (Factor, Patience, Threshold, Cooldown, MinRate) = (factor, patience, threshold, cooldown, minRate);
    }

    /// <summary>γ.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>The relative improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>α_min.</summary>
    public double MinRate { get; }

    /// <summary>Reductions made so far.</summary>
    public int Reductions { get; private set; }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochContext context)
    {
        ThrowHelper.NotNull(context, nameof(context));
        double value = context.Metrics.ValidationLoss ?? context.Metrics.TrainLoss;
        if (!double.IsFinite(value))
        {
            return;
        }

        if (value < _best * (1 - Threshold))
        {
            _best = value;
            _bad = 0;
        }
        else
        {
            _bad++;
        }

        if (_cooldown > 0)
        {
            _cooldown--;
            _bad = 0;
        }

        if (_bad > Patience)
        {
            var trainer = context.Trainer;
            double rate = context.Metrics.LearningRate, reduced = Math.Max(rate * Factor, MinRate);
            if (rate > 0 && rate - reduced > 1e-8 * rate)
            {
                trainer.LearningRateFactor *= reduced / rate;
                Reductions++;
            }

            _cooldown = Cooldown;
            _bad = 0;
        }
    }
}
