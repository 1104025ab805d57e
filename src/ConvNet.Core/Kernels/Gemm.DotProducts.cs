using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

// A·Bᵀ with both operands read along K: the dot-product kernels.
internal static partial class Gemm
{
    /// <summary>
    /// C[m×n] (+)= A[m×k] · B[n×k]ᵀ with both operands read along k (dot-product form): 4 × 4 blocks of C, sixteen
    /// vector accumulators across the k loop, one horizontal sum per cell at the end. No transposed copy is made.
    /// </summary>
    private static void MultiplyNT(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        int v = Vector<float>.Count;
        int kv = Vector.IsHardwareAccelerated ? k - (k % v) : 0;
        // The B rows of a 4 × 4 block as the implicit-GEMM kernel's "shifted rows": 0, ldb, 2·ldb, 3·ldb.
        Span<int> rows = [0, ldb, 2 * ldb, 3 * ldb];
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 4 <= n && kv > 0; j += 4)
            {
                var sums = ImplicitGemm.Dot4x4xVector(ref Unsafe.Add(ref ar, i * lda), lda, 0, ref MemoryMarshal.GetReference(rows), 0,
                    ref Unsafe.Add(ref br, j * ldb), 0, kv, samples: 1);
                for (int r = 0; r < 4; r++)
                {
                    for (int q = 0; q < 4; q++)
                    {
                        float s = sums[(r * 4) + q];
                        for (int p = kv; p < k; p++)
                        {
                            s = MathF.FusedMultiplyAdd(a[((i + r) * lda) + p], b[((j + q) * ldb) + p], s);
                        }

                        ref float cell = ref c[((i + r) * ldc) + j + q];
                        cell = accumulate ? cell + s : s;
                    }
                }
            }

            for (; j < n; j++)
            {
                for (int r = 0; r < 4; r++)
                {
                    DotCell(a.Slice((i + r) * lda, k), b.Slice(j * ldb, k), ref c[((i + r) * ldc) + j], accumulate);
                }
            }
        }

        // The last m mod 4 rows (a batch of one through a fully connected layer): four columns at a time, each cell
        // summed exactly as in the 4 × 4 blocks, so a row's bits do not depend on where it sits in the batch.
        for (; i < m; i++)
        {
            ref float ai = ref Unsafe.Add(ref ar, i * lda);
            int j = 0;
            for (; j + 4 <= n && kv > 0; j += 4)
            {
                var sums = Dot1x4Vector(ref ai, ref Unsafe.Add(ref br, j * ldb), ldb, kv);
                for (int q = 0; q < 4; q++)
                {
                    float s = sums[q];
                    for (int p = kv; p < k; p++)
                    {
                        s = MathF.FusedMultiplyAdd(a[(i * lda) + p], b[((j + q) * ldb) + p], s);
                    }

                    ref float cell = ref c[(i * ldc) + j + q];
                    cell = accumulate ? cell + s : s;
                }
            }

            for (; j < n; j++)
            {
                DotCell(a.Slice(i * lda, k), b.Slice(j * ldb, k), ref c[(i * ldc) + j], accumulate);
            }
        }
    }

    /// <summary>Four dot products of one A row with B rows 0..3 (ldb apart) over the first <paramref name="kv"/>
    /// elements (a multiple of the vector width): one vector accumulator per cell and one horizontal sum, the order of
    /// <see cref="ImplicitGemm.Dot4x4xVector"/>'s cells.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot1x4Vector(ref float a, ref float b0, int ldb, int kv)
    {
        int v = Vector<float>.Count;
        ref float b1 = ref Unsafe.Add(ref b0, ldb);
        ref float b2 = ref Unsafe.Add(ref b1, ldb);
        ref float b3 = ref Unsafe.Add(ref b2, ldb);
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int j = 0; j < kv; j += v)
        {
            var y = Vector.LoadUnsafe(ref a, (nuint)j);
            s0 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref b0, (nuint)j), s0);
            s1 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref b1, (nuint)j), s1);
            s2 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref b2, (nuint)j), s2);
            s3 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref b3, (nuint)j), s3);
        }

        return Vector128.Create(Vector.Sum(s0), Vector.Sum(s1), Vector.Sum(s2), Vector.Sum(s3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotCell(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ref float c, bool accumulate)
    {
        float s = System.Numerics.Tensors.TensorPrimitives.Dot(x, y);
        c = accumulate ? c + s : s;
    }
}
