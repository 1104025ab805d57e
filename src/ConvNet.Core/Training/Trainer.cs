using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Optimizers;

namespace ConvNet.Training;

/// <summary>
/// Trains a <see cref="Network"/> with mini-batch gradient descent, exactly the lecture's loop: for every epoch the
/// sample order is reshuffled from the seed; for every batch, Forward, the loss's δ^(L) (with the 1/N of the batch mean),
/// Backward, and one optimizer step W ← W − α g − αλW. Metrics per epoch, progress per batch, cancellation, callbacks.
/// The same seed and thread count give bit-identical weights.
/// </summary>
/// <remarks>
/// One trainer runs one <see cref="Fit"/> at a time (a second concurrent call throws
/// <see cref="InvalidOperationException"/>). Every step, and the position update that goes with it, holds the network's
/// lock, so <see cref="SaveCheckpoint"/> and Predict from other threads see the weights of a whole step together with
/// the position of that step.
/// </remarks>
public sealed partial class Trainer
{
    private readonly List<TrainingCallback> _callbacks = [];
    private Tensor? _batch;
    private Tensor? _tailBatch;
    private Tensor? _delta;
    private Tensor? _tailDelta;
    private Tensor? _targets;
    private Tensor? _tailTargets;
    private int[] _labels = [];
    private int _fitting;
    private StepSnapshot? _snapshot;
    private int _skippedInARow;
    private double _rateFactor = 1;

    /// <summary>Creates a trainer.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="loss">The loss (e.g. <see cref="SoftmaxCrossEntropy"/>).</param>
    /// <param name="optimizer">The optimizer (e.g. <see cref="Sgd"/>).</param>
    /// <param name="options">Epochs, batch size, seed, … (defaults when null).</param>
    public Trainer(Network network, Loss loss, Optimizer optimizer, TrainingOptions? options = null)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(loss, nameof(loss));
        ThrowHelper.NotNull(optimizer, nameof(optimizer));
        options ??= new TrainingOptions();
        options.Validate();
        Network = network;
        Loss = loss;
        Optimizer = optimizer;
        Options = options;
        BaseLearningRate = optimizer.BaseLearningRate ?? optimizer.LearningRate;
        optimizer.BaseLearningRate = BaseLearningRate;
    }

    /// <summary>The network being trained.</summary>
    public Network Network { get; }

    /// <summary>The loss.</summary>
    public Loss Loss { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The options (<see cref="FitMore"/> raises their <see cref="TrainingOptions.Epochs"/>).</summary>
    public TrainingOptions Options { get; private set; }

    /// <summary>α₀, the rate the schedule starts from (the optimizer's rate when the trainer was made).</summary>
    public double BaseLearningRate { get; }

    /// <summary>Epochs already completed (0 for a fresh run; set from a checkpoint to resume).</summary>
    public int CompletedEpochs { get; set; }

    /// <summary>
    /// Batches already completed in epoch <see cref="CompletedEpochs"/> + 1 (0 at an epoch boundary). A run cancelled
    /// mid-epoch leaves it set; save it with the checkpoint, and a resumed Fit continues at the next batch. The sample
    /// order depends only on (seed, epoch), so the resumed run is bit-identical to an uninterrupted one; the resumed
    /// epoch's reported loss and accuracy cover only its remaining batches.
    /// </summary>
    public int CompletedBatches { get; set; }

    /// <summary>
    /// A factor on every scheduled rate, α = f(e, b, α₀) · factor (default 1): what
    /// <see cref="ReduceLearningRateOnPlateau"/> lowers. Checkpoints save it, and a resumed run continues with it.
    /// </summary>
    public double LearningRateFactor
    {
        get => _rateFactor;
        set
        {
            ThrowHelper.FiniteNonNegative(value, nameof(value));
            _rateFactor = value;
        }
    }

    /// <summary>Callbacks run after every epoch, in order.</summary>
    public IList<TrainingCallback> Callbacks => _callbacks;

    /// <summary>Trains from <see cref="CompletedEpochs"/> up to <see cref="TrainingOptions.Epochs"/>.</summary>
    /// <remarks>
    /// Before the first step Fit checks the data's shapes, that data of a resumed run has the checkpoint's sample count,
    /// and the learning rate of every step it will run (finite and ≥ 0, else <see cref="ArgumentException"/>). It sets
    /// the network's <see cref="Network.DegreeOfParallelism"/> to <see cref="TrainingOptions.DegreeOfParallelism"/> while
    /// it runs and restores the caller's value when it returns or throws. Calling Fit again after it finished trains
    /// nothing (the epochs are done): use <see cref="FitMore"/> to train further.
    /// </remarks>
    /// <param name="train">The training data (sample shape = the network's input shape; labels or float targets).</param>
    /// <param name="validation">Optional validation data, evaluated after every epoch.</param>
    /// <param name="progress">Receives a report after every batch.</param>
    /// <param name="cancellationToken">
    /// Stops training, between batches or between the layers of a batch's Forward and Backward (a batch stopped half-way
    /// is undone: its weights were not updated, the state buffers it moved are put back, and it is the next batch a
    /// resumed run trains). Cancellation is not an error here: Fit returns normally with
    /// <see cref="TrainingHistory.Cancelled"/> set and the metrics of the unfinished epoch's completed batches in
    /// <see cref="TrainingHistory.CancelledEpoch"/>, so a caller can save a checkpoint and report; call
    /// <c>cancellationToken.ThrowIfCancellationRequested()</c> after Fit for the exception convention.
    /// </param>
    /// <returns>The per-epoch metrics.</returns>
    /// <exception cref="InvalidOperationException">Fit is already running on this trainer, or the data does not fit the
    /// checkpoint this trainer resumed.</exception>
    /// <exception cref="TrainingDivergedException">Training diverged (see <see cref="TrainingOptions.OnDivergence"/>).</exception>
    public TrainingHistory Fit(DataSource train, DataSource? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        FitCore(train, validation, progress, null, cancellationToken);

    /// <summary>
    /// Trains <paramref name="epochs"/> more epochs from where the trainer stands (a fresh trainer, a finished Fit, or a
    /// resumed checkpoint), like calling Keras' <c>fit</c> again: <see cref="TrainingOptions.Epochs"/> becomes
    /// <see cref="CompletedEpochs"/> + <paramref name="epochs"/>, and the schedule goes on counting epochs from where it
    /// is (it does not restart). An epoch interrupted mid-way counts as one of them.
    /// </summary>
    /// <param name="epochs">Epochs to add (≥ 1).</param>
    /// <param name="train">The training data.</param>
    /// <param name="validation">Optional validation data.</param>
    /// <param name="progress">Receives a report after every batch.</param>
    /// <param name="cancellationToken">Stops training (see <see cref="Fit"/>).</param>
    /// <returns>The metrics of the epochs this call ran.</returns>
    public TrainingHistory FitMore(int epochs, DataSource train, DataSource? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowHelper.Positive(epochs, nameof(epochs));
        long total = (long)CompletedEpochs + epochs;
        if (total > int.MaxValue)
        {
            ThrowHelper.OutOfRange(nameof(epochs), epochs, $"{CompletedEpochs} completed + {epochs} epochs is more than {int.MaxValue}.");
        }

        return FitCore(train, validation, progress, (int)total, cancellationToken);
    }

    private TrainingHistory FitCore(DataSource train, DataSource? validation, IProgress<TrainingProgress>? progress, int? totalEpochs, CancellationToken cancellationToken)
    {
        ThrowHelper.NotNull(train, nameof(train));
        if (Interlocked.CompareExchange(ref _fitting, 1, 0) != 0)
        {
            ThrowHelper.InvalidOperation("This trainer is already running Fit (on another thread, or this is a callback of it); a trainer runs one Fit at a time.");
        }

        int parallelism = Network.DegreeOfParallelism;
        var options = Options;
        try
        {
            CheckData(Network, train, nameof(train));
            if (validation is not null)
            {
                CheckData(Network, validation, nameof(validation));
                if (validation.HasLabels != train.HasLabels)
                {
                    ThrowHelper.Argument(nameof(validation), "The validation data must have labels when the training data has them, and targets when it has targets.");
                }
            }

            CheckResumedData(train);
            if (totalEpochs is int total)
            {
                Options = options.WithEpochs(total);
            }

            int b = Math.Min(Options.BatchSize, train.Count);
            try
            {
                ValidateRates((train.Count + b - 1) / b);
            }
            catch
            {
                Options = options;
                throw;
            }

            lock (Network.SyncRoot)
            {
                _samples = train.Count;
            }

            _snapshot = Options.OnDivergence == DivergencePolicy.SkipBatch || cancellationToken.CanBeCanceled ? new StepSnapshot(Network, Optimizer, parameters: Options.OnDivergence == DivergencePolicy.SkipBatch) : null;
            _skippedInARow = 0;
            Network.DegreeOfParallelism = Options.DegreeOfParallelism;
            return Run(train, validation, progress, cancellationToken);
        }
        finally
        {
            _snapshot = null;
            Network.DegreeOfParallelism = parallelism;
            Volatile.Write(ref _fitting, 0);
        }
    }

    private TrainingHistory Run(DataSource train, DataSource? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var history = new TrainingHistory();
        int n = train.Count, b = Math.Min(Options.BatchSize, n);
        int batches = (n + b - 1) / b;
        bool perStep = Options.Schedule.IsPerStep;
        var order = new int[n];
        for (int epoch = CompletedEpochs; epoch < Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            EpochOrder(order, epoch);
            double lossSum = 0;
            int correct = 0, seen = 0, processed = 0, skipped = 0;
            int firstBatch = epoch == CompletedEpochs ? Math.Min(CompletedBatches, batches) : 0;
            lock (Network.SyncRoot)
            {
                CompletedBatches = firstBatch;
            }

            Optimizer.SetScheduledRate(ScheduledRate(epoch, firstBatch, batches));
            for (int bi = firstBatch; bi < batches; bi++)
            {
                int start = bi * b, count = Math.Min(b, n - start);
                var (x, delta, targets) = Buffers(count, train.HasLabels);
                Span<int> labels = _labels.AsSpan(0, count);
                if (perStep)
                {
                    Optimizer.SetScheduledRate(ScheduledRate(epoch, bi, batches));
                }

                bool applied = false, cancelled = cancellationToken.IsCancellationRequested;
                float loss = float.NaN;
                if (!cancelled)
                {
                    train.CopyBatch(order.AsSpan(start, count), x, labels, targets, epoch);
                    cancelled = !TryStep(x, labels, targets, delta, epoch, bi, ref correct, out loss, out applied, cancellationToken);
                }

                if (cancelled)
                {
                    history.Cancelled = true;
                    history.CancelledEpoch = processed == 0 ? null : Metrics(epoch, lossSum, seen, correct, processed, clock, null, skipped, train.HasLabels);
                    return history;
                }

                if (applied)
                {
                    lossSum += (double)loss * count;
                    seen += count;
                }
                else
                {
                    skipped++;
                }

                processed += count;
                foreach (var cb in _callbacks)
                {
                    cb.OnBatchEnd(this);
                }

                progress?.Report(new TrainingProgress(epoch + 1, Options.Epochs, bi + 1, batches, seen == 0 ? double.NaN : lossSum / seen, train.HasLabels ? (double)correct / processed : double.NaN));
            }

            var metrics = Metrics(epoch, lossSum, seen, correct, processed, clock, validation, skipped, train.HasLabels);
            history.Add(metrics);
            lock (Network.SyncRoot)
            {
                CompletedEpochs = epoch + 1;
                CompletedBatches = 0;
            }

            var context = new EpochContext(this, metrics);
            foreach (var cb in _callbacks)
            {
                cb.OnEpochEnd(context);
            }

            if (context.StopTraining)
            {
                history.StoppedEarly = epoch + 1 < Options.Epochs;
                break;
            }
        }

        return history;
    }

    private EpochMetrics Metrics(int epoch, double lossSum, int seen, int correct, int processed, Stopwatch clock, DataSource? validation, int skipped, bool labelled)
    {
        double trainSeconds = clock.Elapsed.TotalSeconds;
        EvaluationResult? val = validation is null ? null : Evaluate(validation);
        return new EpochMetrics(epoch + 1, Optimizer.LearningRate, seen == 0 ? double.NaN : lossSum / seen, processed == 0 || !labelled ? double.NaN : (double)correct / processed,
            val?.Loss, val?.Accuracy, processed / Math.Max(trainSeconds, 1e-9), clock.Elapsed, skipped);
    }
}
