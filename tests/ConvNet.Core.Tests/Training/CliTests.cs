using System;
using System.Diagnostics;
using System.IO;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>The LeNet-5 sample as a user runs it: a real process, exit codes, files.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    public void Dispose() => _temp.Dispose();

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ConvNet.Samples.LeNet5.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120_000).Should().BeTrue("the sample finishes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Help_lists_the_commands_and_options()
    {
        var (exit, output, _) = Run("--help");
        exit.Should().Be(0);
        output.Should().Contain("train").And.Contain("evaluate").And.Contain("predict").And.Contain("--epochs").And.Contain("--model");
    }

    [Fact]
    public void One_epoch_on_500_images_saves_a_loadable_model_and_evaluate_and_predict_use_it()
    {
        string model = Path.Combine(_temp.Path, "lenet.safetensors");
        string onnx = Path.Combine(_temp.Path, "lenet.onnx");
        var (exit, output, err) = Run("train", "--epochs", "1", "--limit", "500", "--save", model, "--threads", "1", "--export-onnx", onnx);
        exit.Should().Be(0, err);
        output.Should().Contain("Final test accuracy");
        File.Exists(model).Should().BeTrue();
        new FileInfo(onnx).Length.Should().BeGreaterThan(200_000);
        ModelSerializer.Load(model).ParameterCount.Should().Be(61706);

        var eval = Run("evaluate", "--load", model);
        eval.Exit.Should().Be(0, eval.Err);
        eval.Out.Should().Contain("accuracy");
        var predict = Run("predict", "--load", model, "--index", "3", "--count", "2");
        predict.Exit.Should().Be(0, predict.Err);
        predict.Out.Should().Contain("image 3:").And.Contain("image 4:");
    }

    [Fact]
    public void Two_processes_with_the_same_seed_and_threads_save_byte_identical_models()
    {
        string a = Path.Combine(_temp.Path, "a.safetensors"), b = Path.Combine(_temp.Path, "b.safetensors");
        Run("train", "--epochs", "1", "--limit", "300", "--seed", "5", "--threads", "2", "--save", a).Exit.Should().Be(0);
        Run("train", "--epochs", "1", "--limit", "300", "--seed", "5", "--threads", "2", "--save", b).Exit.Should().Be(0);
        File.ReadAllBytes(a).Should().Equal(File.ReadAllBytes(b));
    }

    [Fact]
    public void Errors_go_to_stderr_with_a_non_zero_exit_code()
    {
        var (exit, _, err) = Run("evaluate", "--load", Path.Combine(_temp.Path, "missing.safetensors"));
        exit.Should().NotBe(0);
        err.Should().Contain("error");
        var bad = Run("train", "--model", "resnet");
        bad.Exit.Should().NotBe(0);
    }
}
