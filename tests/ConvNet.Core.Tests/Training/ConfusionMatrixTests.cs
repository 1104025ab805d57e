using System;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

public sealed class ConfusionMatrixTests
{
    // Rows: true class, columns: predicted. sklearn.metrics.classification_report on the 10 samples this encodes gives
    // precision (2/3, 3/4, 0), recall (2/3, 1, 0), F1 (0.6667, 0.8571, 0) — written out below by hand.
    private static readonly int[,] Counts = { { 2, 1, 0 }, { 0, 3, 0 }, { 1, 0, 0 } };

    [Fact]
    public void Precision_recall_and_F1_follow_their_definitions()
    {
        var m = new ConfusionMatrix(Counts);
        m.Classes.Should().Be(3);
        m.Total.Should().Be(7);
        m[0, 1].Should().Be(1);
        m.Precision(0).Should().BeApproximately(2.0 / 3, 1e-15);
        m.Precision(1).Should().BeApproximately(3.0 / 4, 1e-15);
        m.Precision(2).Should().Be(0, "never predicted: 0, as scikit-learn reports it (zero_division=0)");
        m.Recall(0).Should().BeApproximately(2.0 / 3, 1e-15);
        m.Recall(1).Should().Be(1);
        m.Recall(2).Should().Be(0);
        m.F1(1).Should().BeApproximately(2 * 0.75 / 1.75, 1e-15);
        m.MacroF1.Should().BeApproximately(((2.0 / 3) + (1.5 / 1.75)) / 3, 1e-15);
        m.Support(2).Should().Be(1);
    }

    [Fact]
    public void ToString_prints_the_table_and_the_scores_not_a_type_name()
    {
        string text = new ConfusionMatrix(Counts).ToString(["shirt", "bag", "boot"]);
        text.Should().NotContain("System.");
        text.Should().Contain("shirt").And.Contain("0.7500").And.Contain("macro F1");
        text.Split('\n')[2].Should().MatchRegex(@"^shirt\s+2\s+1\s+0\s*$");
    }

    [Fact]
    public void The_counts_are_copied_and_validated()
    {
        var counts = (int[,])Counts.Clone();
        var m = new ConfusionMatrix(counts);
        counts[0, 0] = 99;
        m[0, 0].Should().Be(2);
        m.ToArray()[0, 0].Should().Be(2);
        FluentActions.Invoking(() => new ConfusionMatrix(new int[2, 3])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new ConfusionMatrix(new[,] { { -1 } })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => m.Precision(3)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => m.ToString(["a"])).Should().Throw<ArgumentException>();
    }
}
