using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>Every numeric flag is validated by the CLI, with messages that name the flag; unknown flags list the valid ones.</summary>
[Collection(CliCollection.Name)]
public sealed class FlagTests
{
    [Theory]
    [InlineData("--epochs", "-3", "--epochs must be a positive integer (got -3)")]
    [InlineData("--epochs", "0", "--epochs must be a positive integer (got 0)")]
    [InlineData("--epochs", "abc", "--epochs must be a positive integer (got abc)")]
    [InlineData("--epochs", "99999999999", "--epochs must be a positive integer (got 99999999999)")]
    [InlineData("--batch-size", "0", "--batch-size must be a positive integer (got 0)")]
    [InlineData("--threads", "0", "--threads must be a positive integer (got 0)")]
    [InlineData("--threads", "-2", "--threads must be a positive integer (got -2)")]
    [InlineData("--limit", "0", "--limit must be a positive integer (got 0)")]
    [InlineData("--seed", "1.5", "--seed must be an integer (got 1.5)")]
    [InlineData("--lr", "-1", "--lr must be a finite number > 0 (got -1)")]
    [InlineData("--lr", "0", "--lr must be a finite number > 0 (got 0)")]
    [InlineData("--lr", "NaN", "--lr must be a finite number > 0 (got NaN)")]
    [InlineData("--lr", "Infinity", "--lr must be a finite number > 0 (got Infinity)")]
    [InlineData("--momentum", "1", "--momentum must be a number in [0, 1) (got 1)")]
    [InlineData("--momentum", "-0.1", "--momentum must be a number in [0, 1) (got -0.1)")]
    [InlineData("--weight-decay", "-1", "--weight-decay must be a finite number >= 0 (got -1)")]
    [InlineData("--model", "resnet", "--model must be one of modern, classic, classic-sigmoid, resnet20, resnext (got resnet)")]
    [InlineData("--weight-decay", "x", "--weight-decay must be a finite number >= 0 (got x)")]
    public void A_bad_value_is_an_error_naming_the_flag_before_anything_is_loaded(string flag, string value, string message)
    {
        var r = Cli.Run("train", flag, value);
        r.Exit.Should().Be(2);
        r.Err.Should().Contain($"error: {message}");
        r.Err.Should().NotContain("Parameter '").And.NotContain("totalEpochs").And.NotContain("DegreeOfParallelism").And.NotContain("System.");
        r.Out.Should().NotContain("LeNet-5 (", "nothing was loaded or trained");
    }

    [Theory]
    [InlineData("--index", "-1", "--index must be a non-negative integer (got -1)")]
    [InlineData("--index", "x", "--index must be a non-negative integer (got x)")]
    [InlineData("--count", "0", "--count must be a positive integer (got 0)")]
    public void Predict_flags_are_validated_before_the_model_is_loaded(string flag, string value, string message)
    {
        var r = Cli.Run("predict", "--load", "missing.safetensors", flag, value);
        r.Exit.Should().Be(2);
        r.Err.Should().Contain($"error: {message}").And.NotContain("missing.safetensors");
    }

    [Fact]
    public void An_unknown_flag_is_an_error_listing_the_valid_ones()
    {
        var r = Cli.Run("--epoch", "3");
        r.Exit.Should().Be(2);
        r.Err.Should().Contain("unknown option '--epoch' (did you mean --epochs?)").And.Contain("--batch-size").And.Contain("--save");
        r.Err.Should().NotContain("unexpected argument '3'", "3 is the unknown option's value");
        r.Out.Should().NotContain("LeNet-5 (");
    }

    [Fact]
    public void An_unknown_flag_of_predict_lists_predicts_options()
    {
        var r = Cli.Run("predict", "--load", "m.safetensors", "--indx", "3");
        r.Exit.Should().Be(2);
        r.Err.Should().Contain("unknown option '--indx'").And.Contain("--index").And.Contain("--count").And.Contain("--load");
    }

    [Fact]
    public void A_missing_required_flag_is_a_usage_error()
    {
        var r = Cli.Run("evaluate");
        r.Exit.Should().Be(2);
        r.Err.Should().Contain("--load");
    }

    [Fact]
    public void Help_still_works_and_lists_the_options()
    {
        var r = Cli.Run("--help");
        r.Exit.Should().Be(0, r.Err);
        r.Out.Should().Contain("--epochs").And.Contain("--checkpoint").And.Contain("--resume").And.Contain("predict");
    }
}
