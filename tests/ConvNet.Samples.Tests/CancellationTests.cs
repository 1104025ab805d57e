using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>Ctrl-C cancels through the trainer's token: what was trained so far is saved, the exit code says cancelled.</summary>
[Collection(CliCollection.Name)]
public sealed class CancellationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static float[] Weights(Network network) => network.Parameters.SelectMany(p => p.Value.ToArray()).ToArray();

    private static bool SigintIgnored()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & 0x2) != 0;
    }

    [Fact]
    public void A_run_cancelled_before_the_first_batch_saves_the_initial_model_and_exits_130()
    {
        string save = _temp.File("m.safetensors");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = Cli.Run(cts.Token, "--epochs", "3", "--limit", "64", "--threads", "1", "--seed", "4", "--save", save);
        r.Exit.Should().Be(Cli.Cancelled, r.Err);
        r.Out.Should().Contain("Cancelled").And.Contain(save).And.NotContain("Final test accuracy");
        Weights(ModelSerializer.Load(save)).Should().Equal(Weights(ConvNet.Models.LeNet5.Modern(4)));
    }

    [Fact]
    public void A_run_cancelled_during_training_saves_the_trained_weights_and_the_checkpoint()
    {
        string save = _temp.File("m.safetensors"), checkpoint = _temp.File("ckpt.safetensors");
        var r = Cli.RunInteractiveUntil("Epoch 1/", "--epochs", "50", "--limit", "640", "--threads", "1", "--seed", "4", "--save", save, "--checkpoint", checkpoint);
        r.Exit.Should().Be(Cli.Cancelled, r.Err);
        r.Out.Should().Contain("Cancelled");
        Weights(ModelSerializer.Load(save)).Should().NotEqual(Weights(ConvNet.Models.LeNet5.Modern(4)), "at least one batch was trained");
        var ckpt = ModelSerializer.LoadCheckpoint(checkpoint);
        ckpt.Optimizer.Should().NotBeNull();
        (ckpt.CompletedEpochs * 10 + ckpt.CompletedBatches).Should().BeGreaterThan(0);
        Weights(ckpt.Network).Should().Equal(Weights(ModelSerializer.Load(save)));
        Directory.GetFileSystemEntries(_temp.Path).Should().BeEquivalentTo([save, checkpoint], "atomic saves leave no temporaries");
    }

    [Fact]
    public void A_checkpoint_resumes_to_the_same_weights_as_an_uninterrupted_run()
    {
        string whole = _temp.File("whole.safetensors"), checkpoint = _temp.File("ckpt.safetensors"), resumed = _temp.File("resumed.safetensors");
        string[] common = ["--epochs", "3", "--limit", "320", "--threads", "1", "--seed", "3"];
        Cli.Run([.. common, "--save", whole]).Exit.Should().Be(0);
        var cancelled = Cli.RunUntil("Epoch 1/3:", false, [.. common, "--checkpoint", checkpoint]);
        cancelled.Exit.Should().Be(Cli.Cancelled, cancelled.Err);
        cancelled.Out.Should().NotContain("Epoch 2/3:");
        ModelSerializer.LoadCheckpoint(checkpoint).CompletedEpochs.Should().Be(1);

        var r = Cli.Run([.. common, "--resume", checkpoint, "--save", resumed]);
        r.Exit.Should().Be(0, r.Err);
        File.ReadAllBytes(resumed).Should().Equal(File.ReadAllBytes(whole));
    }

    [Fact]
    public void Resume_needs_a_checkpoint_and_keeps_its_network_and_optimizer()
    {
        string model = _temp.File("m.safetensors");
        ModelSerializer.Save(ConvNet.Models.LeNet5.Modern(1), model);
        var plain = Cli.Run("--epochs", "1", "--resume", model);
        plain.Exit.Should().Be(2);
        plain.Err.Should().Contain("--resume").And.Contain("without optimizer state");

        var missing = Cli.Run("--epochs", "1", "--resume", _temp.File("missing.safetensors"));
        missing.Exit.Should().Be(2);
        missing.Err.Should().Contain("--resume").And.Contain("does not exist");

        var lr = Cli.Run("--epochs", "1", "--lr", "0.1", "--resume", model);
        lr.Exit.Should().Be(2);
        lr.Err.Should().Contain("--lr cannot be combined with --resume");
    }

    [Fact]
    public void Resuming_with_another_seed_is_an_error_naming_the_flag()
    {
        string checkpoint = _temp.File("ckpt.safetensors");
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            Cli.Run(cts.Token, "--epochs", "2", "--limit", "64", "--seed", "3", "--checkpoint", checkpoint).Exit.Should().Be(Cli.Cancelled);
        }

        var r = Cli.Run("--epochs", "2", "--limit", "64", "--seed", "4", "--resume", checkpoint);
        r.Exit.Should().Be(2);
        r.Err.Should().Contain("--seed 4 differs from the seed 3");
    }

    [Fact]
    public void Sigint_to_the_process_cancels_training_and_saves_the_model()
    {
        // A process started with SIGINT ignored (e.g. a background job of a non-interactive shell) passes that on to
        // its children, and .NET then never sees the signal: nothing to test there (the in-process tests still run).
        if (!OperatingSystem.IsLinux() || SigintIgnored())
        {
            return;
        }

        string save = _temp.File("m.safetensors");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "ConvNet.Samples.LeNet5.dll"), "--epochs", "1000", "--threads", "1", "--save", save })
        {
            psi.ArgumentList.Add(a);
        }

        using var started = new ManualResetEventSlim();
        var output = new System.Text.StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            // The options line is printed just before training starts (after the handler is installed).
            if (e.Data?.StartsWith("SGD", StringComparison.Ordinal) == true)
            {
                started.Set();
            }
        };
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            started.Wait(TimeSpan.FromMinutes(2)).Should().BeTrue("training starts");
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }

            p.WaitForExit(120_000).Should().BeTrue("the process stops after SIGINT");
            p.WaitForExit();
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }

        lock (output)
        {
            lock (stderr)
            {
                p.ExitCode.Should().Be(Cli.Cancelled, stderr.ToString());
                output.ToString().Should().Contain("Cancelled");
            }
        }

        ModelSerializer.Load(save).ParameterCount.Should().Be(61706);
    }
}
