using System;
using System.IO;
using System.Threading;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;

namespace ConvNet.Training;

/// <summary>Saving and resuming: the position, the run it belongs to, and the checks that a resume continues that run.</summary>
public sealed partial class Trainer
{
    private int? _samples;
    private int? _resumedSamples;

    private string ScheduleDescription => Options.Schedule.ToString() ?? Options.Schedule.GetType().FullName ?? "custom";

    /// <summary>
    /// Saves a training checkpoint (weights, optimizer state, epoch and batch position, seed, and the
    /// <see cref="TrainingRun"/> the position belongs to: batch size, epochs, shuffle flag, schedule, sample count)
    /// atomically. The position and the values are copied together under the network's lock — never between a step
    /// and its position update, even while Fit runs on another thread — and written to disk after the lock is released.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="ArgumentException">A weight or optimizer value is NaN or ∞; the previous file is untouched.</exception>
    public void SaveCheckpoint(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        Action<Stream> write;
        lock (Network.SyncRoot)
        {
            write = SafetensorsWriter.Snapshot(Network, Optimizer, CurrentPosition());
        }

        AtomicFile.Write(path, write);
    }

    /// <summary>Saves like <see cref="SaveCheckpoint"/> unless the model or optimizer holds NaN or ∞ (checked under the
    /// same lock as the copy); then nothing is written and <paramref name="reason"/> says what is not finite.</summary>
    internal bool TrySaveCheckpoint(string path, out string? reason)
    {
        ThrowHelper.NotNull(path, nameof(path));
        Action<Stream> write;
        lock (Network.SyncRoot)
        {
            reason = NonFiniteReason();
            if (reason is not null)
            {
                return false;
            }

            write = SafetensorsWriter.Snapshot(Network, Optimizer, CurrentPosition());
        }

        AtomicFile.Write(path, write);
        return true;
    }

    /// <summary>
    /// Restores the epoch and batch position of a checkpoint into this trainer (whose network and optimizer should be
    /// the checkpoint's). A checkpoint that records its run (<see cref="Checkpoint.Run"/>) must have been taken with
    /// this trainer's batch size, shuffle flag and schedule, and the next Fit must get training data of its sample
    /// count: with others the same position would name other samples or rates. Checkpoints without that record (older
    /// files) resume as before.
    /// </summary>
    /// <param name="checkpoint">A loaded checkpoint.</param>
    /// <exception cref="ArgumentException">Another network, optimizer or seed.</exception>
    /// <exception cref="InvalidOperationException">Another batch size, shuffle flag or schedule, or Fit is running.</exception>
    public void Resume(Checkpoint checkpoint)
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

        if (Volatile.Read(ref _fitting) != 0)
        {
            ThrowHelper.InvalidOperation("Resume cannot change the position while Fit runs on this trainer.");
        }

        if (checkpoint.Run is TrainingRun run)
        {
            Same(checkpoint, nameof(TrainingOptions.BatchSize), run.BatchSize, Options.BatchSize);
            Same(checkpoint, nameof(TrainingOptions.Shuffle), run.Shuffle, Options.Shuffle);
            Same(checkpoint, nameof(TrainingOptions.Schedule), run.Schedule, ScheduleDescription);
        }

        lock (Network.SyncRoot)
        {
            CompletedEpochs = checkpoint.CompletedEpochs;
            CompletedBatches = checkpoint.CompletedBatches;
            _resumedSamples = checkpoint.Run?.SampleCount;
            _rateFactor = checkpoint.Run?.LearningRateFactor ?? 1;
            _samples = _resumedSamples;
        }
    }

    /// <summary>
    /// A trainer that continues a checkpoint: its network and optimizer (with state), and options rebuilt from the run
    /// the checkpoint records (batch size, epochs, shuffle flag, seed, and a built-in schedule from its description),
    /// then <see cref="Resume"/>d, so <c>Trainer.FromCheckpoint(ModelSerializer.LoadCheckpoint(path), loss).Fit(data)</c>
    /// finishes the run and <see cref="FitMore"/> extends it. Settings a checkpoint does not record (threads, gradient
    /// clipping, divergence policy, evaluation batch size) take their defaults unless <paramref name="options"/> are given.
    /// </summary>
    /// <param name="checkpoint">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <param name="loss">The loss (not stored in checkpoints).</param>
    /// <param name="options">Options to use instead of the recorded ones (they must agree with the record, as for
    /// <see cref="Resume"/>); needed for checkpoints without a run record and for custom schedules.</param>
    /// <returns>The trainer, positioned where the checkpoint was taken.</returns>
    /// <exception cref="ArgumentException">The checkpoint holds no optimizer, or no run record / a custom schedule and no
    /// options were given.</exception>
    public static Trainer FromCheckpoint(Checkpoint checkpoint, Loss loss, TrainingOptions? options = null)
    {
        ThrowHelper.NotNull(checkpoint, nameof(checkpoint));
        ThrowHelper.NotNull(loss, nameof(loss));
        if (checkpoint.Optimizer is null)
        {
            ThrowHelper.Argument(nameof(checkpoint), "The file holds a model without optimizer state (saved with ModelSerializer.Save, not Trainer.SaveCheckpoint): create a Trainer with a new optimizer to train it further.");
        }

        if (options is null)
        {
            if (checkpoint.Run is not TrainingRun run)
            {
                ThrowHelper.Argument(nameof(options), "The checkpoint does not record its training run (written by an earlier version): pass the TrainingOptions it was trained with.");
                return null!;
            }

            var schedule = LearningRateSchedule.TryParse(run.Schedule);
            if (schedule is null)
            {
                ThrowHelper.Argument(nameof(options), $"The checkpoint was trained with the schedule '{run.Schedule}', which is not a built-in one: pass TrainingOptions with that schedule.");
            }

            options = new TrainingOptions { Epochs = run.Epochs, BatchSize = run.BatchSize, Shuffle = run.Shuffle, Seed = checkpoint.Seed, Schedule = schedule! };
        }

        var trainer = new Trainer(checkpoint.Network, loss, checkpoint.Optimizer, options);
        trainer.Resume(checkpoint);
        return trainer;
    }

    private static string Position(Checkpoint c) => $"epoch {c.CompletedEpochs + 1} after batch {c.CompletedBatches}";

    private static void Same<T>(Checkpoint checkpoint, string name, T recorded, T current)
    {
        if (!Equals(recorded, current))
        {
            ThrowHelper.InvalidOperation(
                $"The checkpoint was taken with {name} {recorded}, this trainer uses {current}: its position ({Position(checkpoint)}) would then mean " +
                $"other samples or learning rates. Resume with TrainingOptions.{name} as in the checkpoint, or start a new run without Resume.");
        }
    }

    /// <summary>A resumed run must continue on data of the checkpoint's size (checked at Fit start, before any step).</summary>
    private void CheckResumedData(DataSource train)
    {
        if (_resumedSamples is int samples && samples != train.Count)
        {
            ThrowHelper.InvalidOperation(
                $"The checkpoint this trainer resumed was taken on {samples} samples, this training data has {train.Count}: its position (epoch " +
                $"{CompletedEpochs + 1} after batch {CompletedBatches}) would then mean other samples. Resume on the same training data, or start a new run without Resume.");
        }
    }

    private ModelSerializer.Position CurrentPosition() =>
        new(CompletedEpochs, CompletedBatches, Options.Seed, new TrainingRun(Options.BatchSize, Options.Epochs, Options.Shuffle, ScheduleDescription, _samples) { LearningRateFactor = _rateFactor });

    /// <summary>What a checkpoint writer would refuse: the first layer with NaN or ∞ in its weights, buffers or optimizer state.</summary>
    private string? NonFiniteReason()
    {
        if (LayerLocation.First(Network, LayerLocation.NonFiniteState) is LayerLocation weights)
        {
            return $"the weights or state buffers of {weights} hold NaN or infinite values";
        }

        bool BadOptimizerState(Layers.Layer layer)
        {
            foreach (var p in layer.Parameters)
            {
                foreach (var s in Optimizer.State(p))
                {
                    if (!LayerLocation.Finite(s))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        return LayerLocation.First(Network, BadOptimizerState) is LayerLocation state
            ? $"the optimizer state of {state} holds NaN or infinite values"
            : null;
    }
}
