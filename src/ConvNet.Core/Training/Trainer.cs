using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics.Tensors;
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
public sealed class Trainer
{
    private readonly List<TrainingCallback> _callbacks = [];
    private Tensor? _batch;
    private Tensor? _tailBatch;
    private Tensor? _delta;
    private Tensor? _tailDelta;
    private int[] _labels = [];

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

    /// <summary>Saves a training checkpoint (weights, optimizer state, epoch and batch position, seed) atomically.</summary>
    /// <param name="path">The checkpoint file.</param>
    public void SaveCheckpoint(string path) =>
        Serialization.ModelSerializer.Save(Network, path, Optimizer, CompletedEpochs, CompletedBatches, Options.Seed);

    /// <summary>Restores the epoch and batch position of a checkpoint into this trainer (whose network and optimizer
    /// should be the checkpoint's).</summary>
    /// <param name="checkpoint">A loaded checkpoint.</param>
    public void Resume(Serialization.Checkpoint checkpoint)
    {
        ThrowHelper.NotNull(checkpoint, nameof(checkpoint));
        if (!ReferenceEquals(checkpoint.Network, Network) || !ReferenceEquals(checkpoint.Optimizer, Optimizer))
        {
            ThrowHelper.Argument(nameof(checkpoint), "Create the trainer with the checkpoint's Network and Optimizer before resuming.");
        }

        if (checkpoint.Seed != Options.Seed)
        {
            ThrowHelper.Argument(nameof(checkpoint), $"The checkpoint was trained with seed {checkpoint.Seed}; the options say {Options.Seed}.");
        }

        CompletedEpochs = checkpoint.CompletedEpochs;
        CompletedBatches = checkpoint.CompletedBatches;
    }

    /// <summary>Callbacks run after every epoch, in order.</summary>
    public IList<TrainingCallback> Callbacks => _callbacks;

    /// <summary>Trains from <see cref="CompletedEpochs"/> up to <see cref="TrainingOptions.Epochs"/>.</summary>
    /// <param name="train">The training data (sample shape = the network's input shape).</param>
    /// <param name="validation">Optional validation data, evaluated after every epoch.</param>
    /// <param name="progress">Receives a report after every batch.</param>
    /// <param name="cancellationToken">Stops training between batches; the history says so.</param>
    /// <returns>The per-epoch metrics.</returns>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowHelper.NotNull(train, nameof(train));
        CheckData(train, nameof(train));
        if (validation is not null)
        {
            CheckData(validation, nameof(validation));
        }

        Network.DegreeOfParallelism = Options.DegreeOfParallelism;
        var history = new TrainingHistory();
        var parameters = Network.Parameters;
        int n = train.Count, b = Math.Min(Options.BatchSize, n);
        int batches = (n + b - 1) / b;
        var order = new int[n];
        for (int epoch = CompletedEpochs; epoch < Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            Optimizer.LearningRate = Options.Schedule.Rate(epoch, BaseLearningRate);
            EpochOrder(order, epoch);
            double lossSum = 0;
            int correct = 0, seen = 0, skipped = 0;
            int firstBatch = epoch == CompletedEpochs ? Math.Min(CompletedBatches, batches) : 0;
            CompletedBatches = firstBatch;
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

                // The whole step holds the network's lock: a concurrent Predict waits instead of seeing half-updated weights.
                lock (Network.SyncRoot)
                {
                    var y = Network.Forward(x);
                    float loss = Loss.Forward(y, labels);
                    correct += CountCorrect(y, labels);
                    Loss.Backward(y, labels, delta);
                    Network.Backward(delta);

                    string? badLayer = FirstNonFiniteGradient();
                    if (badLayer is not null || !float.IsFinite(loss))
                    {
                        if (Options.OnDivergence == DivergencePolicy.Throw)
                        {
                            throw new TrainingDivergedException(epoch + 1, bi + 1, loss, badLayer);
                        }

                        skipped++;
                    }
                    else
                    {
                        if (Options.GradientClipNorm is double clip)
                        {
                            ClipGradients(parameters, clip);
                        }

                        Optimizer.Step(parameters);
                        lossSum += (double)loss * count;
                        seen += count;
                    }
                }

                CompletedBatches = bi + 1;
                foreach (var cb in _callbacks)
                {
                    cb.OnBatchEnd(this);
                }

                progress?.Report(new TrainingProgress(epoch + 1, Options.Epochs, bi + 1, batches, seen == 0 ? double.NaN : lossSum / seen, (double)correct / ((bi * b) + count)));
            }

            double trainSeconds = clock.Elapsed.TotalSeconds;
            EvaluationResult? val = validation is null ? null : Evaluate(validation);
            var metrics = new EpochMetrics(epoch + 1, Optimizer.LearningRate, seen == 0 ? double.NaN : lossSum / seen, (double)correct / n,
                val?.Loss, val?.Accuracy, n / Math.Max(trainSeconds, 1e-9), clock.Elapsed, skipped);
            history.Add(metrics);
            CompletedEpochs = epoch + 1;
            CompletedBatches = 0;
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

    /// <summary>Loss, accuracy and confusion matrix of the network on <paramref name="data"/>.</summary>
    /// <param name="data">The data set.</param>
    /// <returns>The evaluation.</returns>
    public EvaluationResult Evaluate(Dataset data)
    {
        ThrowHelper.NotNull(data, nameof(data));
        CheckData(data, nameof(data));
        return Evaluate(Network, Loss, data, Options.EvaluationBatchSize);
    }

    /// <summary>Loss, accuracy and confusion matrix of any classification network on <paramref name="data"/>.</summary>
    /// <param name="network">The network ([N, K] output).</param>
    /// <param name="loss">The loss to report.</param>
    /// <param name="data">The data set.</param>
    /// <param name="batchSize">Evaluation batch size.</param>
    /// <returns>The evaluation.</returns>
    public static EvaluationResult Evaluate(Network network, Loss loss, Dataset data, int batchSize = 256)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(loss, nameof(loss));
        ThrowHelper.NotNull(data, nameof(data));
        ThrowHelper.Positive(batchSize, nameof(batchSize));
        int n = data.Count, k = data.Classes, b = Math.Min(batchSize, n);
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        var confusion = new int[k, k];
        var labels = new int[b];
        double lossSum = 0;
        int correct = 0;
        Tensor? x = null, y = null;
        for (int start = 0; start < n; start += b)
        {
            int count = Math.Min(b, n - start);
            if (x is null || x.Shape[0] != count)
            {
                x = new Tensor(Layers.Layer.BatchShape(count, data.SampleShape));
                y = new Tensor(count, k);
            }

            data.CopyBatch(order, start, x, labels);
            network.Predict(x, y!);
            lossSum += (double)loss.Forward(y!, labels.AsSpan(0, count)) * count;
            for (int s = 0; s < count; s++)
            {
                int predicted = TensorPrimitives.IndexOfMax(y!.AsSpan().Slice(s * k, k));
                confusion[labels[s], predicted]++;
                correct += predicted == labels[s] ? 1 : 0;
            }
        }

        return new EvaluationResult(lossSum / n, (double)correct / n, confusion);
    }

    /// <summary>The sample order of an epoch: a seeded shuffle that depends only on (seed, epoch), so a resumed run
    /// sees the same order as an uninterrupted one.</summary>
    private void EpochOrder(int[] order, int epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (Options.Shuffle)
        {
            new Random(EpochSeed(Options.Seed, epoch)).Shuffle(order);
        }
    }

    /// <summary>
    /// A fixed mix of (seed, epoch) — SplitMix64's finalizer — so the order is the same in every process
    /// (<see cref="HashCode"/> is randomized per process and must not be used here).
    /// </summary>
    internal static int EpochSeed(int seed, int epoch)
    {
        ulong z = ((ulong)(uint)seed << 32) | (uint)epoch;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    private (Tensor X, Tensor Delta) Buffers(int count)
    {
        // One buffer pair for full batches and one for the smaller last batch: allocated once, reused every epoch.
        bool tail = count != Options.BatchSize;
        Tensor? x = tail ? _tailBatch : _batch, d = tail ? _tailDelta : _delta;
        if (x is null || d is null || x.Shape[0] != count)
        {
            x = new Tensor(Layers.Layer.BatchShape(count, Network.InputShape));
            d = new Tensor(count, Network.OutputShape[0]);
            if (tail)
            {
                (_tailBatch, _tailDelta) = (x, d);
            }
            else
            {
                (_batch, _delta) = (x, d);
            }
        }

        if (_labels.Length < count)
        {
            _labels = new int[count];
        }

        return (x, d);
    }

    private static int CountCorrect(Tensor y, ReadOnlySpan<int> labels)
    {
        int n = labels.Length, k = y.Length / n, correct = 0;
        for (int s = 0; s < n; s++)
        {
            correct += TensorPrimitives.IndexOfMax(y.AsSpan().Slice(s * k, k)) == labels[s] ? 1 : 0;
        }

        return correct;
    }

    private string? FirstNonFiniteGradient()
    {
        foreach (var layer in Network.Layers)
        {
            foreach (var p in layer.Parameters)
            {
                if (!float.IsFinite(TensorPrimitives.MaxMagnitude(p.Gradient.AsSpan())))
                {
                    return layer.Name;
                }
            }
        }

        return null;
    }

    private static void ClipGradients(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        double sq = 0;
        foreach (var p in parameters)
        {
            double norm = TensorPrimitives.Norm(p.Gradient.AsSpan());
            sq += norm * norm;
        }

        double total = Math.Sqrt(sq);
        if (total > maxNorm)
        {
            float scale = (float)(maxNorm / total);
            foreach (var p in parameters)
            {
                TensorPrimitives.Multiply(p.Gradient.AsSpan(), scale, p.Gradient.AsSpan());
            }
        }
    }

    private void CheckData(Dataset data, string name)
    {
        if (!data.SampleShape.SequenceEqual(Network.InputShape))
        {
            ThrowHelper.Argument(name, $"Samples of shape {ThrowHelper.Shape(data.SampleShape)} do not fit the network input {ThrowHelper.Shape(Network.InputShape)}.");
        }

        if (Network.OutputShape.Length != 1 || Network.OutputShape[0] != data.Classes)
        {
            ThrowHelper.Argument(name, $"The network output {ThrowHelper.Shape(Network.OutputShape)} does not match the {data.Classes} classes of the data.");
        }
    }
}
