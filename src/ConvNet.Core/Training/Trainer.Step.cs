using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics.Tensors;
using System.Threading;
using ConvNet.Data;

namespace ConvNet.Training;

/// <summary>One training step with its divergence checks, the per-epoch order and rates, and the batch buffers.</summary>
public sealed partial class Trainer
{
    private const string Advice = " Lower the learning rate or enable gradient clipping.";

    /// <summary>
    /// Forward, Backward and the optimizer step of one batch, holding the network's lock for the whole step and the
    /// position update, so a concurrent Predict or <see cref="SaveCheckpoint"/> never sees half a step. A non-finite
    /// loss or gradient, or weights made non-finite by the step, is a divergence: with
    /// <see cref="DivergencePolicy.SkipBatch"/> the step is undone and the batch skipped; otherwise it throws.
    /// Cancellation between layers abandons the step before the optimizer runs and puts the state buffers back.
    /// </summary>
    /// <returns>False when cancelled (nothing changed); else true, with <paramref name="applied"/> false when the batch
    /// was skipped.</returns>
    private bool TryStep(Tensor x, Span<int> labels, Tensor? targets, Tensor delta, int epoch, int batch, ref int correct, out float loss, out bool applied, CancellationToken token)
    {
        lock (Network.SyncRoot)
        {
            _snapshot?.Take();
            Tensor y;
            try
            {
                y = Network.Forward(x, token);
                loss = targets is null ? Loss.Forward(y, labels) : Loss.Forward(y, targets);
                if (targets is null)
                {
                    correct += CountCorrect(y, labels);
                    Loss.Backward(y, labels, delta);
                }
                else
                {
                    Loss.Backward(y, targets, delta);
                }

                Network.Backward(delta, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                Network.AbandonStep();
                _snapshot!.Restore();
                loss = float.NaN;
                applied = false;
                return false;
            }

            string? problem = null;
            var where = LayerLocation.First(Network, LayerLocation.NonFiniteGradient);
            if (where is not null || !float.IsFinite(loss))
            {
                problem = Invariant($"loss = {loss}") + (where is null ? "" : $"; the first layer with a non-finite gradient is {where}");
            }
            else
            {
                var parameters = Network.Parameters;
                if (Options.GradientClipNorm is double clip)
                {
                    ClipGradients(parameters, clip);
                }

                Optimizer.Step(parameters);
                where = LayerLocation.First(Network, LayerLocation.NonFiniteState);
                if (where is not null)
                {
                    problem = Invariant($"the optimizer step made the weights of {where} NaN or infinite (the batch loss was {loss})");
                }
            }

            applied = problem is null;
            if (problem is null)
            {
                _skippedInARow = 0;
                CompletedBatches = batch + 1;
                return true;
            }

            string at = Invariant($"epoch {epoch + 1}, batch {batch + 1}");
            if (Options.OnDivergence == DivergencePolicy.Throw)
            {
                throw new TrainingDivergedException($"Training diverged at {at}: {problem}." + Advice, epoch + 1, batch + 1, loss, where);
            }

            _snapshot!.Restore();
            if (++_skippedInARow >= Options.MaxConsecutiveSkippedBatches)
            {
                throw new TrainingDivergedException(
                    Invariant($"Training diverged: {_skippedInARow} consecutive batches were skipped, the last at {at} ({problem}); the model does not recover from its current weights (restored to before that batch).") +
                    Advice + " TrainingOptions.MaxConsecutiveSkippedBatches sets how many skipped batches in a row are tolerated.",
                    epoch + 1, batch + 1, loss, where);
            }

            CompletedBatches = batch + 1;
            return true;
        }
    }

    /// <summary>
    /// Checks the learning rate of every step Fit will run (every epoch's, for a per-epoch schedule) before the first
    /// one: each must be finite and ≥ 0. Nothing is stored; <see cref="ScheduledRate"/> recomputes each as it is used.
    /// </summary>
    private void ValidateRates(int batches)
    {
        bool perStep = Options.Schedule.IsPerStep;
        for (int e = CompletedEpochs; e < Options.Epochs; e++)
        {
            int first = e == CompletedEpochs ? Math.Min(CompletedBatches, batches) : 0;
            for (int b = first; b < (perStep ? batches : first + 1); b++)
            {
                double rate = ScheduledRate(e, b, batches);
                if (!double.IsFinite(rate) || rate < 0)
                {
                    ThrowHelper.Argument(nameof(TrainingOptions.Schedule), Invariant(
                        $"The learning-rate schedule {ScheduleDescription} gives α = {rate} for epoch {e + 1}{(perStep ? Invariant($", batch {b + 1}") : "")} (α₀ = {BaseLearningRate}, factor {LearningRateFactor}); a rate must be finite and >= 0. Nothing was trained."));
                }
            }
        }
    }

    /// <summary>α of batch <paramref name="batch"/> in <paramref name="epoch"/>: the schedule's rate times
    /// <see cref="LearningRateFactor"/>.</summary>
    private double ScheduledRate(int epoch, int batch, int batches) =>
        Options.Schedule.Rate(epoch, batch, batches, BaseLearningRate) * LearningRateFactor;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

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

    private (Tensor X, Tensor Delta, Tensor? Targets) Buffers(int count, bool labelled)
    {
        // One buffer set for full batches and one for the smaller last batch: allocated once, reused every epoch.
        bool tail = count != Options.BatchSize;
        Tensor? x = tail ? _tailBatch : _batch, d = tail ? _tailDelta : _delta, t = tail ? _tailTargets : _targets;
        if (x is null || d is null || x.Shape[0] != count || (!labelled && t is null))
        {
            x = new Tensor(Layers.Layer.BatchShape(count, Network.InputShape));
            d = new Tensor(Layers.Layer.BatchShape(count, Network.OutputShape));
            t = labelled ? null : new Tensor(Layers.Layer.BatchShape(count, Network.OutputShape));
            if (tail)
            {
                (_tailBatch, _tailDelta, _tailTargets) = (x, d, t);
            }
            else
            {
                (_batch, _delta, _targets) = (x, d, t);
            }
        }

        if (_labels.Length < count)
        {
            _labels = new int[count];
        }

        return (x, d, labelled ? null : t);
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

    private static void CheckData(Network network, DataSource data, string name)
    {
        if (!data.SampleShape.SequenceEqual(network.InputShape))
        {
            ThrowHelper.Argument(name, $"Samples of shape {ThrowHelper.Shape(data.SampleShape)} do not fit the network input {ThrowHelper.Shape(network.InputShape)}.");
        }

        if (data.HasLabels && (network.OutputShape.Length != 1 || network.OutputShape[0] != data.Classes))
        {
            ThrowHelper.Argument(name, $"The network output {ThrowHelper.Shape(network.OutputShape)} does not match the {data.Classes} classes of the data.");
        }

        if (!data.HasLabels && !data.TargetShape.SequenceEqual(network.OutputShape))
        {
            ThrowHelper.Argument(name, $"The network output {ThrowHelper.Shape(network.OutputShape)} does not match the data's targets of shape {ThrowHelper.Shape(data.TargetShape)}.");
        }
    }
}
