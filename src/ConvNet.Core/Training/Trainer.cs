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
    private int[] _labels = [];
    private int _fitting;
    private StepSnapshot? _snapshot;
    private int _skippedInARow;

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

    /// <summary>The options.</summary>
    public TrainingOptions Options { get; }

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

    /// <summary>Callbacks run after every epoch, in order.</summary>
    public IList<TrainingCallback> Callbacks => _callbacks;

    /// <summary>Trains from <see cref="CompletedEpochs"/> up to <see cref="TrainingOptions.Epochs"/>.</summary>
    /// <remarks>
    /// Before the first step Fit checks the data's shapes, that data of a resumed run has the checkpoint's sample count,
    /// and the learning rate of every epoch it will run (finite and ≥ 0, else <see cref="ArgumentException"/>). It sets
    /// the network's <see cref="Network.DegreeOfParallelism"/> to <see cref="TrainingOptions.DegreeOfParallelism"/> while
    /// it runs and restores the caller's value when it returns or throws.
    /// </remarks>
    /// <param name="train">The training data (sample shape = the network's input shape).</param>
    /// <param name="validation">Optional validation data, evaluated after every epoch.</param>
    /// <param name="progress">Receives a report after every batch.</param>
    /// <param name="cancellationToken">Stops training between batches; the history says so.</param>
    /// <returns>The per-epoch metrics.</returns>
    /// <exception cref="InvalidOperationException">Fit is already running on this trainer, or the data does not fit the
    /// checkpoint this trainer resumed.</exception>
    /// <exception cref="TrainingDivergedException">Training diverged (see <see cref="TrainingOptions.OnDivergence"/>).</exception>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowHelper.NotNull(train, nameof(train));
        if (Interlocked.CompareExchange(ref _fitting, 1, 0) != 0)
        {
            ThrowHelper.InvalidOperation("This trainer is already running Fit (on another thread, or this is a callback of it); a trainer runs one Fit at a time.");
        }

        int parallelism = Network.DegreeOfParallelism;
        try
        {
            CheckData(Network, train, nameof(train));
            if (validation is not null)
            {
                CheckData(Network, validation, nameof(validation));
            }

            CheckResumedData(train);
            double[] rates = ValidatedRates();
            lock (Network.SyncRoot)
            {
                _samples = train.Count;
            }

            _snapshot = Options.OnDivergence == DivergencePolicy.SkipBatch ? new StepSnapshot(Network, Optimizer) : null;
            _skippedInARow = 0;
            Network.DegreeOfParallelism = Options.DegreeOfParallelism;
            return Run(train, validation, progress, rates, cancellationToken);
        }
        finally
        {
            _snapshot = null;
            Network.DegreeOfParallelism = parallelism;
            Volatile.Write(ref _fitting, 0);
        }
    }

    private TrainingHistory Run(Dataset train, Dataset? validation, IProgress<TrainingProgress>? progress, double[] rates, CancellationToken cancellationToken)
    {
        var history = new TrainingHistory();
        int n = train.Count, b = Math.Min(Options.BatchSize, n);
        int batches = (n + b - 1) / b;
        var order = new int[n];
        for (int epoch = CompletedEpochs; epoch < Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            Optimizer.SetScheduledRate(rates[epoch]);
            EpochOrder(order, epoch);
            double lossSum = 0;
            int correct = 0, seen = 0, processed = 0, skipped = 0;
            int firstBatch = epoch == CompletedEpochs ? Math.Min(CompletedBatches, batches) : 0;
            lock (Network.SyncRoot)
            {
                CompletedBatches = firstBatch;
            }

            for (int bi = firstBatch; bi < batches; bi++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    history.Cancelled = true;
                    return history;
                }

                int start = bi * b, count = Math.Min(b, n - start);
                var (x, delta) = Buffers(count);
                Span<int> labels = _labels.AsSpan(0, count);
                train.CopyBatch(order, start, x, labels);
                if (Step(x, labels, delta, epoch, bi, ref correct, out float loss))
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

                progress?.Report(new TrainingProgress(epoch + 1, Options.Epochs, bi + 1, batches, seen == 0 ? double.NaN : lossSum / seen, (double)correct / processed));
            }

            double trainSeconds = clock.Elapsed.TotalSeconds;
            EvaluationResult? val = validation is null ? null : Evaluate(validation);
            var metrics = new EpochMetrics(epoch + 1, Optimizer.LearningRate, seen == 0 ? double.NaN : lossSum / seen, processed == 0 ? double.NaN : (double)correct / processed,
                val?.Loss, val?.Accuracy, processed / Math.Max(trainSeconds, 1e-9), clock.Elapsed, skipped);
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
}
