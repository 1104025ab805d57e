using System.IO;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>--save and --export-onnx are checked before training, so a bad path does not cost the trained model.</summary>
[Collection(CliCollection.Name)]
public sealed class OutputPathTests : System.IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("--save")]
    [InlineData("--export-onnx")]
    public void A_path_in_a_missing_directory_is_rejected_before_training(string flag)
    {
        var r = Cli.Run("--epochs", "1", "--limit", "64", "--threads", "1", flag, Path.Combine(_temp.Path, "missing", "model.out"));
        r.Exit.Should().NotBe(0);
        r.Err.Should().Contain(flag).And.Contain("missing");
        r.Out.Should().NotContain("Final test accuracy", "nothing was trained");
    }

    [Theory]
    [InlineData("--save")]
    [InlineData("--export-onnx")]
    public void A_directory_is_rejected_before_training(string flag)
    {
        var r = Cli.Run("--epochs", "1", "--limit", "64", "--threads", "1", flag, _temp.Path);
        r.Exit.Should().NotBe(0);
        r.Err.Should().Contain(flag).And.Contain("directory");
        r.Out.Should().NotContain("Final test accuracy", "nothing was trained");
    }

    [Theory]
    [InlineData("--save", "--checkpoint", "--checkpoint must be a different file")]
    [InlineData("--save", "--export-onnx", "--save and --export-onnx must be different files")]
    public void Two_outputs_to_one_file_are_rejected(string first, string second, string message)
    {
        string path = _temp.File("m.out");
        var r = Cli.Run("--epochs", "1", "--limit", "64", first, path, second, path);
        r.Exit.Should().Be(2);
        r.Err.Should().Contain(message);
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void The_writability_probe_leaves_nothing_behind_and_good_paths_are_written()
    {
        string save = _temp.File("m.safetensors"), onnx = _temp.File("m.onnx");
        var r = Cli.Run("--epochs", "1", "--limit", "64", "--threads", "1", "--save", save, "--export-onnx", onnx);
        r.Exit.Should().Be(0, r.Err);
        Directory.GetFileSystemEntries(_temp.Path).Should().BeEquivalentTo([save, onnx]);
    }
}
