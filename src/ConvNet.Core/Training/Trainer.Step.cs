using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics.Tensors;
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
    /// </summary>
    /// <returns>True when the step was applied, false when the batch was skipped.</returns>
    private bool Step(Tensor x, Span<int> labels, Tensor delta, int epoch, int batch, ref int correct, out float loss)
    {
        lock (Network.SyncRoot)
        {
            _snapshot?.Take();
            var y = Network.Forward(x);
            loss = Loss.Forward(y, labels);
            correct += CountCorrect(y, labels);
            Loss.Backward(y, labels, delta);
            Network.Backward(delta);

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
            return false;
        }
    }

    /// <summary>The learning rate of every epoch Fit will run, each checked before the first step.</summary>
    private double[] ValidatedRates()
    {
        var rates = new double[Options.Epochs];
        for (int e = CompletedEpochs; e < Options.Epochs; e++)
        {
            double rate = Options.Schedule.Rate(e, BaseLearningRate);
            if (!double.IsFinite(rate) || rate < 0)
            {
                ThrowHelper.Argument(nameof(TrainingOptions.Schedule), Invariant(
                    $"The learning-rate schedule {ScheduleDescription} gives α = {rate} for epoch {e + 1} (α₀ = {BaseLearningRate}); a rate must be finite and >= 0. Nothing was trained."));
            }

            rates[e] = rate;
        }

        return rates;
    }

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

    private static void CheckData(Network network, Dataset data, string name)
    {
        if (!data.SampleShape.SequenceEqual(network.InputShape))
        {
            ThrowHelper.Argument(name, $"Samples of shape {ThrowHelper.Shape(data.SampleShape)} do not fit the network input {ThrowHelper.Shape(network.InputShape)}.");
        }

        if (network.OutputShape.Length != 1 || network.OutputShape[0] != data.Classes)
        {
            ThrowHelper.Argument(name, $"The network output {ThrowHelper.Shape(network.OutputShape)} does not match the {data.Classes} classes of the data.");
        }
    }
}
