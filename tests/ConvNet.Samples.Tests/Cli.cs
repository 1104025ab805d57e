using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Samples.LeNet5;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>Runs the LeNet-5 sample in-process through <see cref="Program.Run"/>, capturing its output.</summary>
internal static class Cli
{
    /// <summary>Exit code of a run cancelled through the token (128 + SIGINT, as a shell reports Ctrl-C).</summary>
    public const int Cancelled = 130;

    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    public static CliResult Run(CancellationToken token, params string[] args)
    {
        var output = new SyncWriter();
        var error = new SyncWriter();
        int exit = RunGuarded(() => Program.Run(args, output, error, token));
        return new CliResult(exit, output.Text, error.Text);
    }

    /// <summary>Runs with an interactive console (progress bars) and cancels as soon as the output contains
    /// <paramref name="cancelWhen"/> (written by Spectre's render thread, so the batch it lands on varies).</summary>
    public static CliResult RunInteractiveUntil(string cancelWhen, params string[] args) => RunUntil(cancelWhen, true, args);

    /// <summary>Runs and cancels as soon as the output contains <paramref name="cancelWhen"/>. Without a console the
    /// per-epoch lines are written on the training thread, so cancelling on one stops exactly after that epoch.</summary>
    public static CliResult RunUntil(string cancelWhen, bool interactive, params string[] args)
    {
        using var cts = new CancellationTokenSource();
        var output = new SyncWriter(cancelWhen, cts);
        var error = new SyncWriter();
        int exit = RunGuarded(() => Program.Run(args, output, error, cts.Token, interactive));
        return new CliResult(exit, output.Text, error.Text);
    }

    // A run that ignores its token would never return: fail instead of hanging the test run.
    private static int RunGuarded(Func<int> run)
    {
        var task = Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        task.Wait(TimeSpan.FromMinutes(5)).Should().BeTrue("the run returns (a hang guard, not a timing assertion)");
        return task.Result;
    }

    /// <summary>A thread-safe StringWriter (Spectre renders progress from its own thread) that can cancel a token
    /// once a marker has been written.</summary>
    private sealed class SyncWriter(string? marker = null, CancellationTokenSource? cancel = null) : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();
        private int _scanned;

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_lock)
            {
                _text.Append(value);
                Check();
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                _text.Append(value);
                Check();
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_lock)
            {
                _text.Append(buffer, index, count);
                Check();
            }
        }

        private void Check()
        {
            if (marker is null || cancel is null || cancel.IsCancellationRequested)
            {
                return;
            }

            // Only the new text (and the marker's length before it) can complete the marker.
            int from = Math.Max(0, _scanned - marker.Length);
            _scanned = _text.Length;
            if (_text.ToString(from, _text.Length - from).Contains(marker, StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }
    }
}

internal sealed record CliResult(int Exit, string Out, string Err);

/// <summary>The CLI tests share process-wide state (allocation counters, the console), so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "CLI";
}

/// <summary>A fresh directory under the system temp folder, deleted with everything in it on Dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"convnet-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
