using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>
/// The implicit-GEMM kernels against plain loops: the forward product bit for bit (every cell is summed in the same
/// order with FMA on every path), the weight gradient against a double-precision sum, over every m and k from 1 to 67
/// and widths of 1 to 7 vectors of 16.
/// </summary>
public class ImplicitGemmTests
{
    [Fact]
    public void Forward_equals_the_ordered_fma_loop_for_every_m_and_k_1_to_67()
    {
        var rng = new Random(5);
        for (int s = 1; s <= 67; s++)
        {
            CheckForward(rng, s, ImplicitGemm.Align * rng.Next(1, 8), rng.Next(1, 68));
            CheckForward(rng, rng.Next(1, 68), ImplicitGemm.Align * rng.Next(1, 8), s);
        }
    }

    [Fact]
    public void Weight_gradient_matches_a_double_sum_for_every_m_and_k_1_to_67()
    {
        var rng = new Random(6);
        for (int s = 1; s <= 67; s++)
        {
            CheckGradient(rng, s, ImplicitGemm.Align * rng.Next(1, 6), rng.Next(1, 68), rng.Next(1, 4), s % 2 == 0);
            CheckGradient(rng, rng.Next(1, 68), ImplicitGemm.Align * rng.Next(1, 6), s, rng.Next(1, 4), s % 3 == 0);
        }
    }

    [Theory]
    [InlineData(6, 16, 14, 5, 0, 0, 14, 14)] // LeNet C3, valid: forward pitch 14 (no padding); δ 4 + 10 (+4 shared), not 18
    [InlineData(1, 6, 28, 5, 2, 2, 30, 30)] // LeNet C1, same: 2 + 28 (+2 shared), not 32, for x and for δ
    [InlineData(16, 16, 7, 3, 1, 1, 8, 8)] // a 3×3 same convolution at 7²: pitch 8, not 9
    [InlineData(2, 3, 9, 3, 2, 0, 11, 11)] // padding only before: no row has zeros to lend (δ: 0 before, 2 after)
    [InlineData(2, 3, 9, 3, 0, 2, 11, 11)] // padding only after: the same (δ: 2 before, 0 after)
    public void Rows_share_their_padding_with_the_next_row(int c, int q, int size, int k, int before, int after, int pitch,
        int deltaPitch)
    {
        // A read past a row's end lands in the next row's leading zeros, so a row needs only max(before, after) zero
        // columns, not both; the layer tests check the results of these layouts against the double formulas.
        int o = size + before + after - k + 1;
        var g = new ConvGeometry(c, 1, size, size, 1, k, k, 1, o, o, 1, 1, 1, 1, 1, 1, 0, before, before);
        var plan = new ImplicitPlan(g, q);
        plan.Wp.Should().Be(pitch);
        plan.We.Should().Be(deltaPitch);
        plan.N.Should().Be(RoundUp(((o - 1) * pitch) + o));
        plan.N2.Should().Be(RoundUp(((size - 1) * deltaPitch) + size));
    }

    private static int RoundUp(int n) => (n + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;

    private static void CheckForward(Random rng, int m, int n, int k)
    {
        int lda = k + rng.Next(0, 3), ldy = n + rng.Next(0, 20);
        var a = Reference.Random(rng, m * lda);
        var offsets = new int[k];
        for (int p = 0; p < k; p++)
        {
            offsets[p] = rng.Next(0, 50);
        }

        var x = Reference.Random(rng, 50 + n);
        var y = new float[m * ldy];
        var expected = new float[m * ldy];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int p = 0; p < k; p++)
                {
                    s = MathF.FusedMultiplyAdd(a[(i * lda) + p], x[offsets[p] + j], s);
                }

                expected[(i * ldy) + j] = s;
            }
        }

        ImplicitGemm.Forward(m, n, k, a, lda, offsets, x, y, ldy);
        y.Should().Equal(expected, $"m={m} n={n} k={k}");
    }

    private static void CheckGradient(Random rng, int m, int n, int k, int samples, bool accumulate)
    {
        int ldd = n + (ImplicitGemm.Align * rng.Next(0, 2)), strideD = (m * ldd) + rng.Next(0, 5);
        int strideX = 40 + n + rng.Next(0, 5), ldw = k + rng.Next(0, 3);
        var d = Reference.Random(rng, samples * strideD);
        var x = Reference.Random(rng, samples * strideX);
        var offsets = new int[k];
        for (int p = 0; p < k; p++)
        {
            offsets[p] = rng.Next(0, 40);
        }

        var dw = Reference.Random(rng, m * ldw);
        var expected = new double[m * ldw];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < ldw; p++)
            {
                double s = accumulate || p >= k ? dw[(i * ldw) + p] : 0;
                for (int t = 0; t < samples && p < k; t++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        s += (double)d[(t * strideD) + (i * ldd) + j] * x[(t * strideX) + offsets[p] + j];
                    }
                }

                expected[(i * ldw) + p] = s;
            }
        }

        ImplicitGemm.WeightGradient(m, n, k, samples, d, ldd, strideD, offsets, x, strideX, dw, ldw, accumulate);
        Assertions.ShouldMatch(dw, expected, 1e-5 * Math.Sqrt((n * samples) + 1) * 4, $"m={m} n={n} k={k} samples={samples}");
    }
}
