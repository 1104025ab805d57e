using System;
using System.Collections.Generic;
using FluentAssertions;

namespace ConvNet.Core.Tests.Infrastructure;

public static class Assertions
{
    /// <summary>Asserts every element within <paramref name="tolerance"/> (absolute) and equal lengths.</summary>
    public static void ShouldMatch(ReadOnlySpan<float> actual, IReadOnlyList<double> expected, double tolerance, string what)
    {
        actual.Length.Should().Be(expected.Count, $"{what}: element count");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(actual[i]) || err > worst)
            {
                worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : err;
                worstAt = i;
            }
        }

        worst.Should().BeLessThanOrEqualTo(tolerance,
            $"{what}: element {worstAt} is {(worstAt >= 0 ? actual[worstAt] : 0)} but expected {(worstAt >= 0 ? expected[worstAt] : 0)}");
    }

    public static void ShouldMatch(ReadOnlySpan<float> actual, OracleTensor expected, string what) =>
        ShouldMatch(actual, expected.Data, Oracle.Tolerance(expected), what);

    public static void ShouldEqualExactly(ReadOnlySpan<float> actual, IReadOnlyList<double> expected, string what) =>
        ShouldMatch(actual, expected, 0.0, what);
}
