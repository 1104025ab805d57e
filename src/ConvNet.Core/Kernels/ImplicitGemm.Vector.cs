using System.Numerics;
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels;

/// <summary>
/// The <see cref="Vector{T}"/> kernels of <see cref="ImplicitGemm"/> (AVX2 and SSE on x64, NEON, WebAssembly SIMD),
/// blocked for a file of 16 vector registers: a block never holds more than 12 accumulators, so the loads and the
/// broadcast fit beside them without spilling. Each cell is summed in the same order as in the other paths.
/// </summary>
internal static partial class ImplicitGemm
{
    /// <summary>4 rows × 3 vectors (12 accumulators; 3 loads and 4 broadcasts feed 12 FMAs per p), then narrower
    /// column tails; the last m % 4 rows as 2 rows × 6 vectors and 1 row × 6 vectors, so that no block has fewer
    /// independent accumulators than the FMA latency needs (except the last columns of a single row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardVector(int m, int n, int k, ref float ar, int lda, ref int or, ref float xr, ref float yr, int ldy)
    {
        int v = Vector<float>.Count;
        int m4 = m - (m % 4);
        int j = 0;
        for (; j + (3 * v) <= n; j += 3 * v)
        {
            for (int i = 0; i < m4; i += 4)
            {
                Forward4x3(k, ref Unsafe.Add(ref ar, i * lda), lda, ref or, ref Unsafe.Add(ref xr, j), ref Unsafe.Add(ref yr, (i * ldy) + j), ldy);
            }
        }

        if (j + (2 * v) <= n)
        {
            for (int i = 0; i < m4; i += 4)
            {
                Forward4x2(k, ref Unsafe.Add(ref ar, i * lda), lda, ref or, ref Unsafe.Add(ref xr, j), ref Unsafe.Add(ref yr, (i * ldy) + j), ldy);
            }

            j += 2 * v;
        }

        for (; j < n; j += v)
        {
            for (int i = 0; i < m4; i += 4)
            {
                Forward4x1(k, ref Unsafe.Add(ref ar, i * lda), lda, ref or, ref Unsafe.Add(ref xr, j), ref Unsafe.Add(ref yr, (i * ldy) + j), ldy);
            }
        }

        int r = m4;
        if (m - r >= 2)
        {
            Forward2Rows(n, k, ref Unsafe.Add(ref ar, r * lda), lda, ref or, ref xr, ref Unsafe.Add(ref yr, r * ldy), ldy);
            r += 2;
        }

        if (r < m)
        {
            Forward1Row(n, k, ref Unsafe.Add(ref ar, r * lda), ref or, ref xr, ref Unsafe.Add(ref yr, r * ldy));
        }
    }

    /// <summary>Two rows: 6 vectors at a time (12 accumulators), then one at a time (2).</summary>
    private static void Forward2Rows(int n, int k, ref float a0, int lda, ref int or, ref float xr, ref float y0, int ldy)
    {
        int v = Vector<float>.Count;
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float y1 = ref Unsafe.Add(ref y0, ldy);
        int j = 0;
        for (; j + (6 * v) <= n; j += 6 * v)
        {
            Vector<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default, s05 = default;
            Vector<float> s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
            for (int p = 0; p < k; p++)
            {
                ref float xp = ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j);
                var w0 = new Vector<float>(Unsafe.Add(ref a0, p));
                var w1 = new Vector<float>(Unsafe.Add(ref a1, p));
                var x = Vector.LoadUnsafe(ref xp);
                s00 = Vector.FusedMultiplyAdd(w0, x, s00); s10 = Vector.FusedMultiplyAdd(w1, x, s10);
                x = Vector.LoadUnsafe(ref xp, (nuint)v);
                s01 = Vector.FusedMultiplyAdd(w0, x, s01); s11 = Vector.FusedMultiplyAdd(w1, x, s11);
                x = Vector.LoadUnsafe(ref xp, (nuint)(2 * v));
                s02 = Vector.FusedMultiplyAdd(w0, x, s02); s12 = Vector.FusedMultiplyAdd(w1, x, s12);
                x = Vector.LoadUnsafe(ref xp, (nuint)(3 * v));
                s03 = Vector.FusedMultiplyAdd(w0, x, s03); s13 = Vector.FusedMultiplyAdd(w1, x, s13);
                x = Vector.LoadUnsafe(ref xp, (nuint)(4 * v));
                s04 = Vector.FusedMultiplyAdd(w0, x, s04); s14 = Vector.FusedMultiplyAdd(w1, x, s14);
                x = Vector.LoadUnsafe(ref xp, (nuint)(5 * v));
                s05 = Vector.FusedMultiplyAdd(w0, x, s05); s15 = Vector.FusedMultiplyAdd(w1, x, s15);
            }

            ref float t0 = ref Unsafe.Add(ref y0, j);
            s00.StoreUnsafe(ref t0); s01.StoreUnsafe(ref t0, (nuint)v); s02.StoreUnsafe(ref t0, (nuint)(2 * v));
            s03.StoreUnsafe(ref t0, (nuint)(3 * v)); s04.StoreUnsafe(ref t0, (nuint)(4 * v)); s05.StoreUnsafe(ref t0, (nuint)(5 * v));
            ref float t1 = ref Unsafe.Add(ref y1, j);
            s10.StoreUnsafe(ref t1); s11.StoreUnsafe(ref t1, (nuint)v); s12.StoreUnsafe(ref t1, (nuint)(2 * v));
            s13.StoreUnsafe(ref t1, (nuint)(3 * v)); s14.StoreUnsafe(ref t1, (nuint)(4 * v)); s15.StoreUnsafe(ref t1, (nuint)(5 * v));
        }

        for (; j < n; j += v)
        {
            Vector<float> s0 = default, s1 = default;
            for (int p = 0; p < k; p++)
            {
                var x = Vector.LoadUnsafe(ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j));
                s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a0, p)), x, s0);
                s1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a1, p)), x, s1);
            }

            s0.StoreUnsafe(ref y0, (nuint)j);
            s1.StoreUnsafe(ref y1, (nuint)j);
        }
    }

    /// <summary>One row: 8 vectors at a time (8 accumulators), then one at a time.</summary>
    private static void Forward1Row(int n, int k, ref float a0, ref int or, ref float xr, ref float y0)
    {
        int v = Vector<float>.Count;
        int j = 0;
        for (; j + (8 * v) <= n; j += 8 * v)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int p = 0; p < k; p++)
            {
                ref float xp = ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j);
                var w = new Vector<float>(Unsafe.Add(ref a0, p));
                s0 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp), s0);
                s1 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)v), s1);
                s2 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(2 * v)), s2);
                s3 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(3 * v)), s3);
                s4 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(4 * v)), s4);
                s5 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(5 * v)), s5);
                s6 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(6 * v)), s6);
                s7 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref xp, (nuint)(7 * v)), s7);
            }

            ref float t = ref Unsafe.Add(ref y0, j);
            s0.StoreUnsafe(ref t); s1.StoreUnsafe(ref t, (nuint)v); s2.StoreUnsafe(ref t, (nuint)(2 * v)); s3.StoreUnsafe(ref t, (nuint)(3 * v));
            s4.StoreUnsafe(ref t, (nuint)(4 * v)); s5.StoreUnsafe(ref t, (nuint)(5 * v)); s6.StoreUnsafe(ref t, (nuint)(6 * v)); s7.StoreUnsafe(ref t, (nuint)(7 * v));
        }

        for (; j < n; j += v)
        {
            Vector<float> s0 = default;
            for (int p = 0; p < k; p++)
            {
                var x = Vector.LoadUnsafe(ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j));
                s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a0, p)), x, s0);
            }

            s0.StoreUnsafe(ref y0, (nuint)j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward4x3(int k, ref float a0, int lda, ref int or, ref float xj, ref float y0, int ldy)
    {
        int v = Vector<float>.Count;
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        Vector<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
        Vector<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
        for (int p = 0; p < k; p++)
        {
            ref float xp = ref Unsafe.Add(ref xj, Unsafe.Add(ref or, p));
            var x0 = Vector.LoadUnsafe(ref xp);
            var x1 = Vector.LoadUnsafe(ref xp, (nuint)v);
            var x2 = Vector.LoadUnsafe(ref xp, (nuint)(2 * v));
            var w = new Vector<float>(Unsafe.Add(ref a0, p));
            s00 = Vector.FusedMultiplyAdd(w, x0, s00); s01 = Vector.FusedMultiplyAdd(w, x1, s01); s02 = Vector.FusedMultiplyAdd(w, x2, s02);
            w = new Vector<float>(Unsafe.Add(ref a1, p));
            s10 = Vector.FusedMultiplyAdd(w, x0, s10); s11 = Vector.FusedMultiplyAdd(w, x1, s11); s12 = Vector.FusedMultiplyAdd(w, x2, s12);
            w = new Vector<float>(Unsafe.Add(ref a2, p));
            s20 = Vector.FusedMultiplyAdd(w, x0, s20); s21 = Vector.FusedMultiplyAdd(w, x1, s21); s22 = Vector.FusedMultiplyAdd(w, x2, s22);
            w = new Vector<float>(Unsafe.Add(ref a3, p));
            s30 = Vector.FusedMultiplyAdd(w, x0, s30); s31 = Vector.FusedMultiplyAdd(w, x1, s31); s32 = Vector.FusedMultiplyAdd(w, x2, s32);
        }

        s00.StoreUnsafe(ref y0); s01.StoreUnsafe(ref y0, (nuint)v); s02.StoreUnsafe(ref y0, (nuint)(2 * v));
        ref float y1 = ref Unsafe.Add(ref y0, ldy);
        s10.StoreUnsafe(ref y1); s11.StoreUnsafe(ref y1, (nuint)v); s12.StoreUnsafe(ref y1, (nuint)(2 * v));
        ref float y2 = ref Unsafe.Add(ref y1, ldy);
        s20.StoreUnsafe(ref y2); s21.StoreUnsafe(ref y2, (nuint)v); s22.StoreUnsafe(ref y2, (nuint)(2 * v));
        ref float y3 = ref Unsafe.Add(ref y2, ldy);
        s30.StoreUnsafe(ref y3); s31.StoreUnsafe(ref y3, (nuint)v); s32.StoreUnsafe(ref y3, (nuint)(2 * v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward4x2(int k, ref float a0, int lda, ref int or, ref float xj, ref float y0, int ldy)
    {
        int v = Vector<float>.Count;
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        Vector<float> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector<float> s20 = default, s21 = default, s30 = default, s31 = default;
        for (int p = 0; p < k; p++)
        {
            ref float xp = ref Unsafe.Add(ref xj, Unsafe.Add(ref or, p));
            var x0 = Vector.LoadUnsafe(ref xp);
            var x1 = Vector.LoadUnsafe(ref xp, (nuint)v);
            var w = new Vector<float>(Unsafe.Add(ref a0, p));
            s00 = Vector.FusedMultiplyAdd(w, x0, s00); s01 = Vector.FusedMultiplyAdd(w, x1, s01);
            w = new Vector<float>(Unsafe.Add(ref a1, p));
            s10 = Vector.FusedMultiplyAdd(w, x0, s10); s11 = Vector.FusedMultiplyAdd(w, x1, s11);
            w = new Vector<float>(Unsafe.Add(ref a2, p));
            s20 = Vector.FusedMultiplyAdd(w, x0, s20); s21 = Vector.FusedMultiplyAdd(w, x1, s21);
            w = new Vector<float>(Unsafe.Add(ref a3, p));
            s30 = Vector.FusedMultiplyAdd(w, x0, s30); s31 = Vector.FusedMultiplyAdd(w, x1, s31);
        }

        s00.StoreUnsafe(ref y0); s01.StoreUnsafe(ref y0, (nuint)v);
        ref float y1 = ref Unsafe.Add(ref y0, ldy);
        s10.StoreUnsafe(ref y1); s11.StoreUnsafe(ref y1, (nuint)v);
        ref float y2 = ref Unsafe.Add(ref y1, ldy);
        s20.StoreUnsafe(ref y2); s21.StoreUnsafe(ref y2, (nuint)v);
        ref float y3 = ref Unsafe.Add(ref y2, ldy);
        s30.StoreUnsafe(ref y3); s31.StoreUnsafe(ref y3, (nuint)v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward4x1(int k, ref float a0, int lda, ref int or, ref float xj, ref float y0, int ldy)
    {
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int p = 0; p < k; p++)
        {
            var x0 = Vector.LoadUnsafe(ref Unsafe.Add(ref xj, Unsafe.Add(ref or, p)));
            s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a0, p)), x0, s0);
            s1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a1, p)), x0, s1);
            s2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a2, p)), x0, s2);
            s3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a3, p)), x0, s3);
        }

        s0.StoreUnsafe(ref y0);
        s1.StoreUnsafe(ref Unsafe.Add(ref y0, ldy));
        s2.StoreUnsafe(ref Unsafe.Add(ref y0, 2 * ldy));
        s3.StoreUnsafe(ref Unsafe.Add(ref y0, 3 * ldy));
    }

    /// <summary>Sixteen dot products of 4 d rows with 4 shifted x rows, as two 4 × 2 blocks (8 accumulators each):
    /// Gemm's A·Bᵀ kernel (the weight gradient uses <see cref="Dot4x3Vector"/>).</summary>
    internal static Sums16 Dot4x4xVector(ref float d0, int ldd, int strideD, ref int or, int p, ref float xr, int strideX, int n, int samples)
    {
        Sums16 r = default;
        Dot4x2Vector(ref d0, ldd, strideD, Unsafe.Add(ref or, p), Unsafe.Add(ref or, p + 1), ref xr, strideX, n, samples, ref r, 0);
        Dot4x2Vector(ref d0, ldd, strideD, Unsafe.Add(ref or, p + 2), Unsafe.Add(ref or, p + 3), ref xr, strideX, n, samples, ref r, 2);
        return r;
    }

    /// <summary>Cells (r, q0 + t) of a 4 × 4 block, r &lt; 4, t &lt; 2: dot products of 4 d rows with the x rows at o0 and o1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x2Vector(ref float d0, int ldd, int strideD, int o0, int o1, ref float xr, int strideX, int n, int samples, ref Sums16 r, int q0)
    {
        int v = Vector<float>.Count;
        Vector<float> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector<float> s20 = default, s21 = default, s30 = default, s31 = default;
        for (int s = 0; s < samples; s++)
        {
            ref float da = ref Unsafe.Add(ref d0, s * strideD);
            ref float db = ref Unsafe.Add(ref da, ldd);
            ref float dc = ref Unsafe.Add(ref db, ldd);
            ref float dd = ref Unsafe.Add(ref dc, ldd);
            ref float xs = ref Unsafe.Add(ref xr, s * strideX);
            ref float x0 = ref Unsafe.Add(ref xs, o0);
            ref float x1 = ref Unsafe.Add(ref xs, o1);
            for (int j = 0; j < n; j += v)
            {
                var t0 = Vector.LoadUnsafe(ref x0, (nuint)j);
                var t1 = Vector.LoadUnsafe(ref x1, (nuint)j);
                var y = Vector.LoadUnsafe(ref da, (nuint)j);
                s00 = Vector.FusedMultiplyAdd(y, t0, s00); s01 = Vector.FusedMultiplyAdd(y, t1, s01);
                y = Vector.LoadUnsafe(ref db, (nuint)j);
                s10 = Vector.FusedMultiplyAdd(y, t0, s10); s11 = Vector.FusedMultiplyAdd(y, t1, s11);
                y = Vector.LoadUnsafe(ref dc, (nuint)j);
                s20 = Vector.FusedMultiplyAdd(y, t0, s20); s21 = Vector.FusedMultiplyAdd(y, t1, s21);
                y = Vector.LoadUnsafe(ref dd, (nuint)j);
                s30 = Vector.FusedMultiplyAdd(y, t0, s30); s31 = Vector.FusedMultiplyAdd(y, t1, s31);
            }
        }

        r[q0] = Vector.Sum(s00); r[q0 + 1] = Vector.Sum(s01);
        r[4 + q0] = Vector.Sum(s10); r[4 + q0 + 1] = Vector.Sum(s11);
        r[8 + q0] = Vector.Sum(s20); r[8 + q0 + 1] = Vector.Sum(s21);
        r[12 + q0] = Vector.Sum(s30); r[12 + q0 + 1] = Vector.Sum(s31);
    }
    /// <summary>
    /// Twelve cells of dw, rows r &lt; 4 by columns p .. p + 2: dot products of 4 d rows with 3 shifted x rows over all
    /// samples (12 accumulators; 4 + 3 loads feed 12 FMAs per vector of positions, against 6 loads per 8 FMAs in
    /// two 4 × 2 blocks). Each cell is the same sum, in the same order, as in <see cref="Dot4x2Vector"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Sums16 Dot4x3Vector(ref float d0, int ldd, int strideD, ref int or, int p, ref float xr, int strideX, int n, int samples)
    {
        Sums16 r = default;
        int v = Vector<float>.Count;
        int o0 = Unsafe.Add(ref or, p), o1 = Unsafe.Add(ref or, p + 1), o2 = Unsafe.Add(ref or, p + 2);
        Vector<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
        Vector<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
        for (int s = 0; s < samples; s++)
        {
            ref float da = ref Unsafe.Add(ref d0, s * strideD);
            ref float xs = ref Unsafe.Add(ref xr, s * strideX);
            ref float x0 = ref Unsafe.Add(ref xs, o0);
            ref float x1 = ref Unsafe.Add(ref xs, o1);
            ref float x2 = ref Unsafe.Add(ref xs, o2);
            for (int j = 0; j < n; j += v)
            {
                var t0 = Vector.LoadUnsafe(ref x0, (nuint)j);
                var t1 = Vector.LoadUnsafe(ref x1, (nuint)j);
                var t2 = Vector.LoadUnsafe(ref x2, (nuint)j);
                ref float dj = ref Unsafe.Add(ref da, j);
                var y = Vector.LoadUnsafe(ref dj);
                s00 = Vector.FusedMultiplyAdd(y, t0, s00); s01 = Vector.FusedMultiplyAdd(y, t1, s01); s02 = Vector.FusedMultiplyAdd(y, t2, s02);
                y = Vector.LoadUnsafe(ref dj, (nuint)ldd);
                s10 = Vector.FusedMultiplyAdd(y, t0, s10); s11 = Vector.FusedMultiplyAdd(y, t1, s11); s12 = Vector.FusedMultiplyAdd(y, t2, s12);
                y = Vector.LoadUnsafe(ref dj, (nuint)(2 * ldd));
                s20 = Vector.FusedMultiplyAdd(y, t0, s20); s21 = Vector.FusedMultiplyAdd(y, t1, s21); s22 = Vector.FusedMultiplyAdd(y, t2, s22);
                y = Vector.LoadUnsafe(ref dj, (nuint)(3 * ldd));
                s30 = Vector.FusedMultiplyAdd(y, t0, s30); s31 = Vector.FusedMultiplyAdd(y, t1, s31); s32 = Vector.FusedMultiplyAdd(y, t2, s32);
            }
        }

        r[0] = Vector.Sum(s00); r[1] = Vector.Sum(s01); r[2] = Vector.Sum(s02);
        r[3] = Vector.Sum(s10); r[4] = Vector.Sum(s11); r[5] = Vector.Sum(s12);
        r[6] = Vector.Sum(s20); r[7] = Vector.Sum(s21); r[8] = Vector.Sum(s22);
        r[9] = Vector.Sum(s30); r[10] = Vector.Sum(s31); r[11] = Vector.Sum(s32);
        return r;
    }
}
