using System;
using System.IO;
using System.Security.Cryptography;
using System.Text.Json;
using ConvNet.Core.Tests.Infrastructure;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Losses;

/// <summary>
/// The part-2 oracle files copied from shared/oracle-v2 into TestData/oracle-v2 (read through <see cref="Oracle"/>,
/// whose directory is TestData/oracle), and the README's per-tensor tolerance check that also reports the error.
/// </summary>
public static class OracleV2Files
{
    public const string Losses = "../oracle-v2/losses.json";
    public const string Optimizers = "../oracle-v2/optimizers.json";
    public const string Activations = "../oracle-v2/activations.json";

    /// <summary>|got − exp| ≤ 1e-4 · max(1, max|exp|) over the tensor (float32 code); writes max abs and scaled error.</summary>
    public static void ShouldMatch(ReadOnlySpan<float> actual, OracleTensor expected, string what, ITestOutputHelper? output = null)
    {
        actual.Length.Should().Be(expected.Data.Length, $"{what}: element count");
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = float.IsFinite(actual[i]) ? Math.Abs(actual[i] - expected.Data[i]) : double.PositiveInfinity;
            worst = Math.Max(worst, err);
        }

        double scale = Math.Max(1.0, expected.Max);
        output?.WriteLine($"oracle {what}: max abs error {worst:E2}, relative to max(1, max|exp|) {worst / scale:E2}");
        Assertions.ShouldMatch(actual, expected, what);
    }

    /// <summary>A scalar against a shape-[] expected value.</summary>
    public static void ShouldMatch(double actual, OracleTensor expected, string what, ITestOutputHelper? output = null) =>
        ShouldMatch([(float)actual], expected, what, output);
}

public class OracleV2FileTests
{
    [Theory]
    [InlineData("losses.json")]
    [InlineData("optimizers.json")]
    [InlineData("activations.json")]
    public void The_copied_oracle_files_are_the_ones_index_json_lists(string file)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "TestData", "oracle-v2");
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "index.json")));
        string expected = index.RootElement.GetProperty("files").GetProperty(file).GetProperty("sha256").GetString()!;
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, file)))).Should().Be(expected);
    }
}
