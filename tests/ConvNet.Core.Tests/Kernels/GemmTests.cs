using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>The SIMD GEMM against a naive double-precision product over ragged sizes, every transpose variant.</summary>
public class GemmTests
{
    private static void Check(Random rng, int m, int n, int k, bool ta, bool tb, bool accumulate, bool packed = false)
    {
        int lda = (ta ? m : k) + rng.Next(0, 3), ldb = (tb ? k : n) + rng.Next(0, 3), ldc = n + rng.Next(0, 3);
        var a = Reference.Random(rng, (ta ? k : m) * lda);
        var b = Reference.Random(rng, (tb ? n : k) * ldb);
        var c = Reference.Random(rng, m * ldc);
        var expected = new double[m * ldc];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                double s = accumulate || j >= n ? c[(i * ldc) + j] : 0;
                if (j < n)
                {
                    for (int p = 0; p < k; p++)
                    {
                        s += (double)(ta ? a[(p * lda) + i] : a[(i * lda) + p]) * (tb ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                    }
                }

                expected[(i * ldc) + j] = s;
            }
        }

        if (packed)
        {
            PackedGemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        }
        else
        {
            Gemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        }

        Assertions.ShouldMatch(c, expected, 1e-5 * Math.Sqrt(k + 1) * 4, $"gemm m={m} n={n} k={k} ta={ta} tb={tb} acc={accumulate}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Every_size_1_to_67_in_each_dimension(bool ta, bool tb)
    {
        var rng = new Random(ta ? (tb ? 4 : 3) : (tb ? 2 : 1));
        for (int s = 1; s <= 67; s++)
        {
            Check(rng, s, rng.Next(1, 68), rng.Next(1, 68), ta, tb, s % 2 == 0);
            Check(rng, rng.Next(1, 68), s, rng.Next(1, 68), ta, tb, s % 3 == 0);
            Check(rng, rng.Next(1, 68), rng.Next(1, 68), s, ta, tb, s % 2 == 1);
        }
    }

    [Fact]
    public void Long_k_crosses_the_cache_blocks()
    {
        var rng = new Random(9);
        Check(rng, 7, 37, 600, false, false, false);
        Check(rng, 5, 19, 513, true, true, true);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void The_parallel_split_gives_the_same_bits_as_one_thread(bool ta, bool tb)
    {
        var rng = new Random(31);
        foreach (var (m, n, k) in new[] { (257, 130, 190), (64, 300, 257), (203, 67, 400), (300, 2100, 300), (77, 530, 600) })
        {
            ExpectParallelSameBits(rng, m, n, k, ta, tb, accumulate: false);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void The_parallel_split_gives_the_same_bits_across_k_groups_and_column_blocks(bool ta, bool tb)
    {
        // Column chunks with op(A) copied per thread in several K groups (1030 × 1100, k = 600), row chunks with op(B)
        // copied per thread in several K groups (1100 × 1030), and row chunks across the NC column block edge
        // (n = 2090), and a short wide product (m = 9: two row tiles, split by columns only); each accumulating onto C as
        // well as overwriting it.
        var rng = new Random(37);
        foreach (var (m, n, k) in new[] { (1030, 1100, 600), (1100, 1030, 600), (2100, 2090, 40), (9, 2000, 600) })
        {
            ExpectParallelSameBits(rng, m, n, k, ta, tb, accumulate: false);
            ExpectParallelSameBits(rng, m, n, k, ta, tb, accumulate: true);
        }
    }

    [Fact]
    public void A_times_B_transposed_with_long_k_takes_the_dot_product_kernel_and_matches_the_double_sum()
    {
        // A convolution's ∂E/∂W = δ·colᵀ: K (positions) at least 8× the longer side of C goes unpacked; below, packed.
        // Every n here is at least 32, the widest micro-kernel's NR (AVX-512's 8 × 32), so the cases hold on every width.
        var rng = new Random(71);
        bool simd = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
        foreach (var (m, n, k, packed) in new[] { (40, 72, 12544, false), (33, 70, 560, false), (64, 64, 511, true), (150, 40, 1000, true) })
        {
            Gemm.UsesPacked(false, true, m, n, k).Should().Be(packed && simd, $"m={m} n={n} k={k}");
            Gemm.UsesPacked(false, false, m, n, k).Should().Be(simd, "only A·Bᵀ has the dot-product route");
            Check(rng, m, n, k, false, true, accumulate: k % 2 == 0);
            ExpectParallelSameBits(rng, m, n, k, false, true, accumulate: true);
        }
    }

    [Fact]
    public void A_times_B_transposed_gives_a_row_the_same_bits_alone_as_inside_a_block_of_four()
    {
        // A fully connected layer's forward is X·Wᵀ, one row per sample: a batch of one goes through the rows left over
        // after the 4 × 4 blocks, and must give the bits that sample gets inside a larger batch (k = 400 and 120 are
        // LeNet-5's F5 and F6; 37 and 3 leave a scalar tail and a k below any vector width).
        var rng = new Random(74);
        foreach (var (n, k) in new[] { (120, 400), (84, 120), (10, 84), (9, 37), (6, 3) })
        {
            const int m = 7;
            var a = Reference.Random(rng, m * k);
            var b = Reference.Random(rng, n * k);
            var batch = new float[m * n];
            Gemm.Multiply(false, true, m, n, k, a, k, b, k, batch, n, accumulate: false);
            for (int i = 0; i < m; i++)
            {
                var alone = new float[n];
                Gemm.Multiply(false, true, 1, n, k, a.AsSpan(i * k, k), k, b, k, alone, n, accumulate: false);
                alone.Should().Equal(batch.AsSpan(i * n, n).ToArray(), $"row {i} of n={n} k={k}");
            }
        }
    }

    [Fact]
    public void Products_with_few_rows_or_a_short_k_stay_unpacked_and_match_the_double_sum()
    {
        // A grouped convolution's per-group products (8 rows, K = 72; K = 8 for δcol) and a 1×1 convolution from 16 maps.
        var rng = new Random(72);
        bool simd = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
        foreach (var (m, n, k, ta, packed) in new[] { (8, 4000, 72, false, false), (72, 4000, 8, true, false), (31, 900, 64, false, false), (32, 900, 32, true, true), (64, 900, 31, false, false) })
        {
            Gemm.UsesPacked(ta, false, m, n, k).Should().Be(packed && simd, $"m={m} n={n} k={k}");
            Check(rng, m, n, k, ta, false, accumulate: m % 2 == 0);
        }
    }

    /// <summary>C from a random start: the 2-thread product (Gemm's, or PackedGemm's split called directly where
    /// AVX-512 runs it) equals the 1-thread one bit for bit.</summary>
    private static void ExpectParallelSameBits(Random rng, int m, int n, int k, bool ta, bool tb, bool accumulate, bool packedSplit = false)
    {
        var a = Reference.Random(rng, m * k);
        var b = Reference.Random(rng, k * n);
        var one = Reference.Random(rng, m * n);
        var two = (float[])one.Clone();
        Gemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, one, n, accumulate);
        if (packedSplit && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            PackedGemm.MultiplyParallel(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, two, n, accumulate, degreeOfParallelism: 2);
        }
        else
        {
            Gemm.MultiplyParallel(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, two, n, accumulate, degreeOfParallelism: 2);
        }

        two.Should().Equal(one, $"m={m} n={n} k={k} accumulate={accumulate}");
    }

    [Fact]
    public void Empty_k_clears_or_keeps_c()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 2, c, 2, accumulate: true);
        c.Should().Equal(1f, 2f, 3f, 4f);
        Gemm.Multiply(false, false, 2, 2, 0, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 2, c, 2, accumulate: false);
        c.Should().Equal(0f, 0f, 0f, 0f);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Packed_path_is_right_across_every_block_edge(bool ta, bool tb)
    {
        // Partial micro-tiles (m % 8, n % 32), several MC row blocks, K blocks and NC column blocks.
        var rng = new Random(ta ? (tb ? 44 : 43) : (tb ? 42 : 41));
        foreach (var (m, n, k) in new[] { (8, 32, 1024), (9, 33, 1000), (137, 1100, 300), (250, 70, 530), (67, 2080, 257) })
        {
            bool simd = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
            PackedGemm.Applies(m, n, k).Should().Be(simd);
            Check(rng, m, n, k, ta, tb, accumulate: m % 2 == 1, packed: simd);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Packed_parallel_split_gives_the_same_bits_on_small_and_narrow_products(bool ta, bool tb)
    {
        // Below the size Gemm.MultiplyParallel hands to the split, called directly: one or two row chunks (m = 33, 64),
        // column chunks of a short product (m = 8, 40), a ragged last chunk in both directions.
        var rng = new Random(ta ? 62 : 61);
        foreach (var (m, n, k) in new[] { (64, 120, 600), (40, 300, 300), (33, 40, 700), (8, 1000, 50), (300, 290, 260) })
        {
            ExpectParallelSameBits(rng, m, n, k, ta, tb, accumulate: true, packedSplit: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Packed_and_unpacked_kernels_give_the_same_bits(bool ta)
    {
        // Both sum every cell in k blocks of 256 with FMA in k order, continuing from C.
        var rng = new Random(ta ? 52 : 51);
        foreach (var (m, n, k, acc) in new[] { (64, 96, 600, false), (75, 130, 257, true), (9, 40, 1000, false) })
        {
            var a = Reference.Random(rng, m * k);
            var b = Reference.Random(rng, k * n);
            var c0 = Reference.Random(rng, m * n);
            var packed = (float[])c0.Clone();
            var plain = (float[])c0.Clone();
            Gemm.Multiply(ta, false, m, n, k, a, ta ? m : k, b, n, packed, n, acc);
            Gemm.Unpacked(ta, false, m, n, k, a, ta ? m : k, b, n, plain, n, acc);
            packed.Should().Equal(plain, $"m={m} n={n} k={k}");
        }
    }
}
