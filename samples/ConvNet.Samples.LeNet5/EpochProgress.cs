using System;
using System.Globalization;
using ConvNet.Training;
using Spectre.Console;

namespace ConvNet.Samples.LeNet5;

/// <summary>
/// Progress bars for an interactive console, created as training reaches each epoch (never one per epoch up front:
/// --epochs 20000000 must not allocate 20 million bars). Up to <see cref="MaxBars"/> epochs keep a bar each; longer
/// runs show one bar that is reset at every epoch.
/// </summary>
internal sealed class EpochProgress(ProgressContext context) : IProgress<TrainingProgress>
{
    /// <summary>Runs with more epochs than this share a single bar.</summary>
    public const int MaxBars = 30;

    private ProgressTask? _task;
    private int _epoch;

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    public void Report(TrainingProgress p)
    {
        if (p.Epoch != _epoch || _task is null)
        {
            _epoch = p.Epoch;
            if (_task is null || p.Epochs <= MaxBars)
            {
                _task?.StopTask();
                _task = context.AddTask(Describe(p));
            }

            _task.Value = 0;
            _task.MaxValue = p.Batches;
        }

        _task.Value = p.Batch;
        _task.Description = Describe(p);
    }

    private static string Describe(TrainingProgress p) =>
        string.Create(CultureInfo.InvariantCulture, $"Epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P1}");
}

/// <summary>Without a console (output redirected): one line per finished epoch, written on the training thread.</summary>
internal sealed class EpochLog(System.IO.TextWriter output) : TrainingCallback
{
    public override void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Metrics;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {m.Epoch}/{context.Trainer.Options.Epochs}: lr {m.LearningRate:G3}, train loss {m.TrainLoss:F4}, acc {m.TrainAccuracy:P2}, test loss {m.ValidationLoss:F4}, acc {m.ValidationAccuracy:P2}, {m.Elapsed.TotalSeconds:F1} s"));
    }
}
