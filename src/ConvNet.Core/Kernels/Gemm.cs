using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// Single-precision matrix product C = op(A)·op(B) (+ C when accumulating), row-major, with register-blocked
/// <see cref="Vector{T}"/> FMA micro-kernels (4 rows × 2 vectors of C held in registers across the K loop), K blocked
/// for cache, and a scalar tail. op(X) is X or Xᵀ; a transposed B is first copied into a per-thread scratch panel.
/// </summary>
internal static class Gemm
{
    private const int KBlock = 256;

    [ThreadStatic]
    private static float[]? _scratch;

    /// <summary>
    /// C[m×n] (+)= op(A)[m×k] · op(B)[k×n]. A is [m×k] (lda ≥ k) or, when <paramref name="transA"/>, [k×m] (lda ≥ m);
    /// B is [k×n] (ldb ≥ n) or, when <paramref name="transB"/>, [n×k] (ldb ≥ k).
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        Debug.Assert(m >= 0 && n >= 0 && k >= 0);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    c.Slice(i * ldc, n).Clear();
                }
            }

            return;
        }

        if (transB)
        {
            int need = k * n;
            var scratch = _scratch;
            if (scratch is null || scratch.Length < need)
            {
                scratch = _scratch = new float[Math.Max(need, 4096)];
            }

            Transpose(b, ldb, n, k, scratch);
            b = scratch.AsSpan(0, need);
            ldb = n;
        }

        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - k0);
            bool acc = accumulate || k0 > 0;
            ReadOnlySpan<float> bBlock = b.Slice(k0 * ldb);
            ReadOnlySpan<float> aBlock = transA ? a.Slice(k0 * lda) : a.Slice(k0);
            Block(transA, m, n, kc, aBlock, lda, bBlock, ldb, c, ldc, acc);
        }
    }

    /// <summary>dst[c×r] = srcᵀ where src is [r×c] with leading dimension ld.</summary>
    public static void Transpose(ReadOnlySpan<float> src, int ld, int rows, int cols, Span<float> dst)
    {
        const int T = 16;
        for (int i0 = 0; i0 < rows; i0 += T)
        {
            int i1 = Math.Min(rows, i0 + T);
            for (int j0 = 0; j0 < cols; j0 += T)
            {
                int j1 = Math.Min(cols, j0 + T);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        dst[(j * rows) + i] = src[(i * ld) + j];
                    }
                }
            }
        }
    }

    private static void Block(bool transA, int m, int n, int kc, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float cr = ref MemoryMarshal.GetReference(c);
        int v = Vector<float>.Count;
        int sa = transA ? 1 : lda;   // step between rows of op(A)
        int ka = transA ? lda : 1;   // step along k in op(A)

        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * sa);
            ref float a1 = ref Unsafe.Add(ref a0, sa);
            ref float a2 = ref Unsafe.Add(ref a1, sa);
            ref float a3 = ref Unsafe.Add(ref a2, sa);
            ref float c0 = ref Unsafe.Add(ref cr, i * ldc);
            ref float c1 = ref Unsafe.Add(ref c0, ldc);
            ref float c2 = ref Unsafe.Add(ref c1, ldc);
            ref float c3 = ref Unsafe.Add(ref c2, ldc);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + (2 * v) <= n; j += 2 * v)
                {
                    Vector<float> s00, s01, s10, s11, s20, s21, s30, s31;
                    if (accumulate)
                    {
                        s00 = Load(ref c0, j); s01 = Load(ref c0, j + v);
                        s10 = Load(ref c1, j); s11 = Load(ref c1, j + v);
                        s20 = Load(ref c2, j); s21 = Load(ref c2, j + v);
                        s30 = Load(ref c3, j); s31 = Load(ref c3, j + v);
                    }
                    else
                    {
                        s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = Vector<float>.Zero;
                    }

                    for (int p = 0; p < kc; p++)
                    {
                        ref float bp = ref Unsafe.Add(ref br, (p * ldb) + j);
                        var b0 = Vector.LoadUnsafe(ref bp);
                        var b1 = Vector.LoadUnsafe(ref bp, (nuint)v);
                        int off = p * ka;
                        var x = new Vector<float>(Unsafe.Add(ref a0, off));
                        s00 = Vector.FusedMultiplyAdd(x, b0, s00); s01 = Vector.FusedMultiplyAdd(x, b1, s01);
                        x = new Vector<float>(Unsafe.Add(ref a1, off));
                        s10 = Vector.FusedMultiplyAdd(x, b0, s10); s11 = Vector.FusedMultiplyAdd(x, b1, s11);
                        x = new Vector<float>(Unsafe.Add(ref a2, off));
                        s20 = Vector.FusedMultiplyAdd(x, b0, s20); s21 = Vector.FusedMultiplyAdd(x, b1, s21);
                        x = new Vector<float>(Unsafe.Add(ref a3, off));
                        s30 = Vector.FusedMultiplyAdd(x, b0, s30); s31 = Vector.FusedMultiplyAdd(x, b1, s31);
                    }

                    Store(s00, ref c0, j); Store(s01, ref c0, j + v);
                    Store(s10, ref c1, j); Store(s11, ref c1, j + v);
                    Store(s20, ref c2, j); Store(s21, ref c2, j + v);
                    Store(s30, ref c3, j); Store(s31, ref c3, j + v);
                }

                for (; j + v <= n; j += v)
                {
                    Vector<float> s0, s1, s2, s3;
                    if (accumulate)
                    {
                        s0 = Load(ref c0, j); s1 = Load(ref c1, j); s2 = Load(ref c2, j); s3 = Load(ref c3, j);
                    }
                    else
                    {
                        s0 = s1 = s2 = s3 = Vector<float>.Zero;
                    }

                    for (int p = 0; p < kc; p++)
                    {
                        var b0 = Vector.LoadUnsafe(ref Unsafe.Add(ref br, (p * ldb) + j));
                        int off = p * ka;
                        s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a0, off)), b0, s0);
                        s1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a1, off)), b0, s1);
                        s2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a2, off)), b0, s2);
                        s3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a3, off)), b0, s3);
                    }

                    Store(s0, ref c0, j); Store(s1, ref c1, j); Store(s2, ref c2, j); Store(s3, ref c3, j);
                }
            }

            for (; j < n; j++)
            {
                ScalarCell(ref a0, ka, ref br, ldb, j, kc, ref Unsafe.Add(ref c0, j), accumulate);
                ScalarCell(ref a1, ka, ref br, ldb, j, kc, ref Unsafe.Add(ref c1, j), accumulate);
                ScalarCell(ref a2, ka, ref br, ldb, j, kc, ref Unsafe.Add(ref c2, j), accumulate);
                ScalarCell(ref a3, ka, ref br, ldb, j, kc, ref Unsafe.Add(ref c3, j), accumulate);
            }
        }

        for (; i < m; i++)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * sa);
            ref float c0 = ref Unsafe.Add(ref cr, i * ldc);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + v <= n; j += v)
                {
                    Vector<float> s0 = accumulate ? Load(ref c0, j) : Vector<float>.Zero;
                    for (int p = 0; p < kc; p++)
                    {
                        var b0 = Vector.LoadUnsafe(ref Unsafe.Add(ref br, (p * ldb) + j));
                        s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a0, p * ka)), b0, s0);
                    }

                    Store(s0, ref c0, j);
                }
            }

            for (; j < n; j++)
            {
                ScalarCell(ref a0, ka, ref br, ldb, j, kc, ref Unsafe.Add(ref c0, j), accumulate);
            }
        }
    }

    /// <summary>The reference order for one cell: s = c (or 0); s = fma(a[p], b[p, j], s) for p = 0..kc−1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalarCell(ref float a, int ka, ref float b, int ldb, int j, int kc, ref float c, bool accumulate)
    {
        float s = accumulate ? c : 0f;
        for (int p = 0; p < kc; p++)
        {
            s = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, p * ka), Unsafe.Add(ref b, (p * ldb) + j), s);
        }

        c = s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float p, int offset) => Vector.LoadUnsafe(ref Unsafe.Add(ref p, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> v, ref float p, int offset) => v.StoreUnsafe(ref Unsafe.Add(ref p, offset));
}
