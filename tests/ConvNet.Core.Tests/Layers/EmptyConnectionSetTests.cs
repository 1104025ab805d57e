using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// The lecture's sets may be empty: an output map with M_q = ∅ is y_q = b_q with ∂E/∂w_q· = 0, and an input map with
/// M̃_p = ∅ gets δ_p = 0. Checked on every engine (im2col with a stride, the dense implicit GEMM, and the block-sparse
/// product where a whole block of four maps has no inputs) against the plain formula and by finite differences.
/// </summary>
public class EmptyConnectionSetTests
{
    /// <summary>8 outputs over 4 inputs: outputs 4..7 (a whole block) read nothing, output 1 reads nothing, input 3 feeds nothing.</summary>
    private static bool[,] SparseTable()
    {
        var t = new bool[8, 4];
        t[0, 0] = true;
        t[2, 1] = true;
        t[3, 0] = t[3, 2] = true;
        return t;
    }

    /// <summary>A table that stays dense (its one block reads every input, so the block product would not pay) with an empty output.</summary>
    private static bool[,] MostlyFullTable()
    {
        var t = new bool[4, 4];
        for (int q = 0; q < 4; q++)
        {
            for (int p = 0; p < 4; p++)
            {
                t[q, p] = q != 2;
            }
        }

        return t;
    }

    [Theory]
    [InlineData("sparse", 1)]
    [InlineData("sparse", 2)]
    [InlineData("mostly-full", 1)]
    [InlineData("mostly-full", 2)]
    public void Empty_sets_match_the_formula_on_every_engine(string tableName, int stride)
    {
        var table = tableName == "sparse" ? SparseTable() : MostlyFullTable();
        int q = table.GetLength(0), p = table.GetLength(1), n = 3, size = 9;
        var conv = new Conv2D(p, q, 3, stride: stride, padding: Padding.Explicit((1, 1)), connections: ConnectionTable.FromMatrix(table), seed: 4);
        var rng = new Random(stride);
        Reference.Random(rng, q).CopyTo(conv.Bias!.Value.AsSpan());
        var x = Tensor.FromData(Reference.Random(rng, n * p * size * size), n, p, size, size);
        var y = conv.Forward(x);
        if (stride == 1)
        {
            conv.UsesBlockSparse.Should().Be(tableName == "sparse", "the sparse table skips whole blocks; the mostly-full one does not pay");
        }

        var dy = Tensor.FromData(Reference.Random(rng, y.Length), y.Shape.ToArray());
        var dx = conv.Backward(x, y, dy);

        var spec = new ConvReference.Spec(n, p, q, [1, size, size], [1, 3, 3], [1, stride, stride], [1, 1, 1], [0, 1, 1], [0, 1, 1], table);
        var r = ConvReference.Run(spec, x.ToArray(), conv.Weight.Value.ToArray(), conv.Bias.Value.ToArray(), dy.ToArray());
        Assertions.ShouldMatch(y.AsSpan(), r.Y, 1e-4 * Math.Max(1, r.Y.Max(Math.Abs)), "y");
        Assertions.ShouldMatch(dx.AsSpan(), r.Dx, 1e-4 * Math.Max(1, r.Dx.Max(Math.Abs)), "dx");
        Assertions.ShouldMatch(conv.Weight.Gradient.AsSpan(), r.Dw, 1e-4 * Math.Max(1, r.Dw.Max(Math.Abs)), "dw");

        // y_q = b_q exactly for an output with no inputs; δ_p = 0 exactly for an input that feeds nothing.
        int ov = y.Shape[2] * y.Shape[3];
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < q; o++)
            {
                if (Enumerable.Range(0, p).All(c => !table[o, c]))
                {
                    y.AsSpan().Slice(((s * q) + o) * ov, ov).ToArray().Should().AllBeEquivalentTo(conv.Bias.Value[o], $"output {o} has no inputs");
                }
            }

            if (tableName == "sparse")
            {
                dx.AsSpan().Slice(((s * p) + 3) * size * size, size * size).ToArray().Should().AllBeEquivalentTo(0f, "input 3 feeds no output");
            }
        }
    }

    [Fact]
    public void Empty_sets_pass_the_gradient_check()
    {
        var conv = new Conv2D(4, 8, 3, padding: Padding.Same, connections: ConnectionTable.FromMatrix(SparseTable()), seed: 6);
        var r = GradientChecker.Check(conv, [2, 4, 6, 6], new GradientCheckOptions { Seed = 6 });
        r.Passed.Should().BeTrue(r.ToString());
        r.Checked.Should().BeGreaterThan(0);
    }

    [Fact]
    public void A_table_with_empty_sets_round_trips_through_its_sets()
    {
        var table = ConnectionTable.FromSets(3, [[0, 1], [], [2]]);
        table.InputsOf(1).Should().BeEmpty();
        table.ConnectionCount.Should().Be(3);
        ConnectionTable.FromMatrix(new bool[,] { { true, false }, { false, false } }).InputsOf(1).Should().BeEmpty();
    }
}
