using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>predict's --index/--count are checked against the test set without overflowing.</summary>
[Collection(CliCollection.Name)]
public sealed class PredictRangeTests : System.IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _model;

    public PredictRangeTests()
    {
        _model = _temp.File("lenet.safetensors");
        ModelSerializer.Save(ConvNet.Models.LeNet5.Modern(1), _model);
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("2147483647", "1", "--index")]
    [InlineData("1999", "2147483647", "--count")]
    [InlineData("2147483647", "2147483647", "--index")]
    [InlineData("1", "2147483647", "--count")]
    [InlineData("-1", "1", "--index")]
    [InlineData("0", "0", "--count")]
    [InlineData("2000", "1", "--index")]
    [InlineData("1990", "11", "--count")]
    public void An_index_or_count_outside_the_test_set_is_an_error_naming_the_flag(string index, string count, string flag)
    {
        var r = Cli.Run("predict", "--load", _model, "--index", index, "--count", count);
        r.Exit.Should().NotBe(0, r.Out);
        r.Err.Should().Contain(flag);
        r.Out.Should().NotContain("image ");
    }

    [Fact]
    public void The_last_images_of_the_test_set_can_be_predicted()
    {
        var r = Cli.Run("predict", "--load", _model, "--index", "1998", "--count", "2");
        r.Exit.Should().Be(0, r.Err);
        r.Out.Should().Contain("image 1998:").And.Contain("image 1999:");
    }
}
