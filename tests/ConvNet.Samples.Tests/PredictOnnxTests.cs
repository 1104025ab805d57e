using System.IO;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>predict --onnx classifies with a model exported by PyTorch (the LeNet-5 fixture of the ONNX-import tests).</summary>
[Collection(CliCollection.Name)]
public sealed class PredictOnnxTests
{
    private static readonly string Fixture = Path.Combine(System.AppContext.BaseDirectory, "onnx", "lenet5.onnx");

    [Fact]
    public void Predict_with_an_onnx_model_from_pytorch_classifies_test_images()
    {
        var r = Cli.Run("predict", "--onnx", Fixture, "--index", "3", "--count", "2");
        r.Exit.Should().Be(0, r.Err);
        r.Out.Should().Contain("image 3: predicted").And.Contain("image 4: predicted");
    }

    [Fact]
    public void Predict_needs_exactly_one_model()
    {
        var neither = Cli.Run("predict");
        neither.Exit.Should().Be(2);
        neither.Err.Should().Contain("--load").And.Contain("--onnx");
        var both = Cli.Run("predict", "--onnx", Fixture, "--load", "model.safetensors");
        both.Exit.Should().Be(2);
        both.Err.Should().Contain("exactly one");
    }

    [Fact]
    public void A_missing_or_misshapen_onnx_model_is_an_error_naming_the_flag()
    {
        var missing = Cli.Run("predict", "--onnx", "does-not-exist.onnx");
        missing.Exit.Should().NotBe(0);
        missing.Err.Should().Contain("--onnx");
        var wrong = Cli.Run("predict", "--onnx", Path.Combine(System.AppContext.BaseDirectory, "onnx", "cnn1d.onnx"));
        wrong.Exit.Should().NotBe(0);
        wrong.Err.Should().Contain("--onnx").And.Contain("[2, 64]");
    }
}
