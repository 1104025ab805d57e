using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// Implicit GEMM for stride-1 convolution: the column matrix of im2col is never built. With the input zero-padded and
/// its planes flattened with the padded row pitch, row p = (c, kd, kh, kw) of the column matrix is the flat input
/// shifted by offsets[p] = c·D′H′W′ + kd·dd·H′W′ + kh·dh·W′ + kw·dw, so
/// <code>y[i, j] = Σ_p a[i, p] · x[offsets[p] + j]</code>
/// over flat output positions j (positions in the padding columns are computed and dropped by the caller).
/// The weight gradient is the adjoint: <c>dw[i, p] = Σ_s Σ_j d_s[i, j] · x_s[offsets[p] + j]</c>, with d zero at
/// dropped positions. n is a multiple of <see cref="Align"/> and the caller leaves readable slack after x, so the
/// vector loops have no tails along j.
/// </summary>
internal static partial class ImplicitGemm
{
    /// <summary>Every n handed to these kernels is a multiple of this.</summary>
    public const int Align = 16;

    /// <summary>
    /// y[i·ldy + j] = Σ_p a[i·lda + p] · x[offsets[p] + j] for i &lt; m, j &lt; n; every cell summed in p order with FMA
    /// (the same bits from the Vector512, Vector and scalar paths).
    /// </summary>
    public static void Forward(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<int> offsets,
        ReadOnlySpan<float> x, Span<float> y, int ldy)
    {
        Debug.Assert(n % Align == 0 && offsets.Length >= k);
        Debug.Assert(m == 0 || a.Length >= ((m - 1) * lda) + k);
        Debug.Assert(m == 0 || y.Length >= ((m - 1) * ldy) + n);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref int or = ref MemoryMarshal.GetReference(offsets);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            Forward512(m, n, k, ref ar, lda, ref or, ref xr, ref yr, ldy);
        }
        else if (Vector.IsHardwareAccelerated && Align % Vector<float>.Count == 0)
        {
            ForwardVector(m, n, k, ref ar, lda, ref or, ref xr, ref yr, ldy);
        }
        else
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float s = 0f;
                    for (int p = 0; p < k; p++)
                    {
                        s = MathF.FusedMultiplyAdd(Unsafe.Add(ref ar, (i * lda) + p), Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j), s);
                    }

                    Unsafe.Add(ref yr, (i * ldy) + j) = s;
                }
            }
        }
    }

    /// <summary>4 rows × 64 columns (16 accumulators; 4 loads and 4 broadcasts feed 16 FMAs per p), then narrower tails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward512(int m, int n, int k, ref float ar, int lda, ref int or, ref float xr, ref float yr, int ldy)
    {
        const int V = 16;
        for (int j = 0; j < n;)
        {
            if (j + (4 * V) <= n)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    ref float a0 = ref Unsafe.Add(ref ar, i * lda);
                    ref float a1 = ref Unsafe.Add(ref a0, lda);
                    ref float a2 = ref Unsafe.Add(ref a1, lda);
                    ref float a3 = ref Unsafe.Add(ref a2, lda);
                    Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
                    Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
                    Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
                    Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
                    for (int p = 0; p < k; p++)
                    {
                        ref float xp = ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j);
                        var x0 = Vector512.LoadUnsafe(ref xp);
                        var x1 = Vector512.LoadUnsafe(ref xp, V);
                        var x2 = Vector512.LoadUnsafe(ref xp, 2 * V);
                        var x3 = Vector512.LoadUnsafe(ref xp, 3 * V);
                        var w = Vector512.Create(Unsafe.Add(ref a0, p));
                        s00 = Vector512.FusedMultiplyAdd(w, x0, s00); s01 = Vector512.FusedMultiplyAdd(w, x1, s01);
                        s02 = Vector512.FusedMultiplyAdd(w, x2, s02); s03 = Vector512.FusedMultiplyAdd(w, x3, s03);
                        w = Vector512.Create(Unsafe.Add(ref a1, p));
                        s10 = Vector512.FusedMultiplyAdd(w, x0, s10); s11 = Vector512.FusedMultiplyAdd(w, x1, s11);
                        s12 = Vector512.FusedMultiplyAdd(w, x2, s12); s13 = Vector512.FusedMultiplyAdd(w, x3, s13);
                        w = Vector512.Create(Unsafe.Add(ref a2, p));
                        s20 = Vector512.FusedMultiplyAdd(w, x0, s20); s21 = Vector512.FusedMultiplyAdd(w, x1, s21);
                        s22 = Vector512.FusedMultiplyAdd(w, x2, s22); s23 = Vector512.FusedMultiplyAdd(w, x3, s23);
                        w = Vector512.Create(Unsafe.Add(ref a3, p));
                        s30 = Vector512.FusedMultiplyAdd(w, x0, s30); s31 = Vector512.FusedMultiplyAdd(w, x1, s31);
                        s32 = Vector512.FusedMultiplyAdd(w, x2, s32); s33 = Vector512.FusedMultiplyAdd(w, x3, s33);
                    }

                    ref float y0 = ref Unsafe.Add(ref yr, (i * ldy) + j);
                    s00.StoreUnsafe(ref y0); s01.StoreUnsafe(ref y0, V); s02.StoreUnsafe(ref y0, 2 * V); s03.StoreUnsafe(ref y0, 3 * V);
                    ref float y1 = ref Unsafe.Add(ref y0, ldy);
                    s10.StoreUnsafe(ref y1); s11.StoreUnsafe(ref y1, V); s12.StoreUnsafe(ref y1, 2 * V); s13.StoreUnsafe(ref y1, 3 * V);
                    ref float y2 = ref Unsafe.Add(ref y1, ldy);
                    s20.StoreUnsafe(ref y2); s21.StoreUnsafe(ref y2, V); s22.StoreUnsafe(ref y2, 2 * V); s23.StoreUnsafe(ref y2, 3 * V);
                    ref float y3 = ref Unsafe.Add(ref y2, ldy);
                    s30.StoreUnsafe(ref y3); s31.StoreUnsafe(ref y3, V); s32.StoreUnsafe(ref y3, 2 * V); s33.StoreUnsafe(ref y3, 3 * V);
                }

                for (; i + 2 <= m; i += 2)
                {
                    ref float a0 = ref Unsafe.Add(ref ar, i * lda);
                    ref float a1 = ref Unsafe.Add(ref a0, lda);
                    Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
                    Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
                    for (int p = 0; p < k; p++)
                    {
                        ref float xp = ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j);
                        var x0 = Vector512.LoadUnsafe(ref xp);
                        var x1 = Vector512.LoadUnsafe(ref xp, V);
                        var x2 = Vector512.LoadUnsafe(ref xp, 2 * V);
                        var x3 = Vector512.LoadUnsafe(ref xp, 3 * V);
                        var w = Vector512.Create(Unsafe.Add(ref a0, p));
                        s00 = Vector512.FusedMultiplyAdd(w, x0, s00); s01 = Vector512.FusedMultiplyAdd(w, x1, s01);
                        s02 = Vector512.FusedMultiplyAdd(w, x2, s02); s03 = Vector512.FusedMultiplyAdd(w, x3, s03);
                        w = Vector512.Create(Unsafe.Add(ref a1, p));
                        s10 = Vector512.FusedMultiplyAdd(w, x0, s10); s11 = Vector512.FusedMultiplyAdd(w, x1, s11);
                        s12 = Vector512.FusedMultiplyAdd(w, x2, s12); s13 = Vector512.FusedMultiplyAdd(w, x3, s13);
                    }

                    ref float y0 = ref Unsafe.Add(ref yr, (i * ldy) + j);
                    s00.StoreUnsafe(ref y0); s01.StoreUnsafe(ref y0, V); s02.StoreUnsafe(ref y0, 2 * V); s03.StoreUnsafe(ref y0, 3 * V);
                    ref float y1 = ref Unsafe.Add(ref y0, ldy);
                    s10.StoreUnsafe(ref y1); s11.StoreUnsafe(ref y1, V); s12.StoreUnsafe(ref y1, 2 * V); s13.StoreUnsafe(ref y1, 3 * V);
                }

                for (; i < m; i++)
                {
                    ref float a0 = ref Unsafe.Add(ref ar, i * lda);
                    Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
                    for (int p = 0; p < k; p++)
                    {
                        ref float xp = ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j);
                        var w = Vector512.Create(Unsafe.Add(ref a0, p));
                        s00 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref xp), s00);
                        s01 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref xp, V), s01);
                        s02 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref xp, 2 * V), s02);
                        s03 = Vector512.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref xp, 3 * V), s03);
                    }

                    ref float y0 = ref Unsafe.Add(ref yr, (i * ldy) + j);
                    s00.StoreUnsafe(ref y0); s01.StoreUnsafe(ref y0, V); s02.StoreUnsafe(ref y0, 2 * V); s03.StoreUnsafe(ref y0, 3 * V);
                }

                j += 4 * V;
            }
            else
            {
                // One vector wide (n − j is 16, 32 or 48): four rows at a time.
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    ref float a0 = ref Unsafe.Add(ref ar, i * lda);
                    ref float a1 = ref Unsafe.Add(ref a0, lda);
                    ref float a2 = ref Unsafe.Add(ref a1, lda);
                    ref float a3 = ref Unsafe.Add(ref a2, lda);
                    Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (int p = 0; p < k; p++)
                    {
                        var x0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j));
                        s0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, p)), x0, s0);
                        s1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, p)), x0, s1);
                        s2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, p)), x0, s2);
                        s3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, p)), x0, s3);
                    }

                    ref float y0 = ref Unsafe.Add(ref yr, (i * ldy) + j);
                    s0.StoreUnsafe(ref y0);
                    s1.StoreUnsafe(ref Unsafe.Add(ref y0, ldy));
                    s2.StoreUnsafe(ref Unsafe.Add(ref y0, 2 * ldy));
                    s3.StoreUnsafe(ref Unsafe.Add(ref y0, 3 * ldy));
                }

                for (; i < m; i++)
                {
                    ref float a0 = ref Unsafe.Add(ref ar, i * lda);
                    Vector512<float> s0 = default;
                    for (int p = 0; p < k; p++)
                    {
                        var x0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p) + j));
                        s0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, p)), x0, s0);
                    }

                    s0.StoreUnsafe(ref Unsafe.Add(ref yr, (i * ldy) + j));
                }

                j += V;
            }
        }
    }

    /// <summary>
    /// dw[i·ldw + p] (+)= Σ_{s &lt; samples} Σ_{j &lt; n} d[s·strideD + i·ldd + j] · x[s·strideX + offsets[p] + j] for
    /// i &lt; m, p &lt; k (the adjoint of <see cref="Forward"/>, summed over a group of samples): blocks of dw (4 × 4
    /// with Vector512, 4 × 3 with <see cref="Vector{T}"/>) whose cells each keep one vector accumulator across all
    /// samples, one horizontal sum per cell at the end.
    /// </summary>
    public static void WeightGradient(int m, int n, int k, int samples, ReadOnlySpan<float> d, int ldd, int strideD,
        ReadOnlySpan<int> offsets, ReadOnlySpan<float> x, int strideX, Span<float> dw, int ldw, bool accumulate)
    {
        Debug.Assert(n % Align == 0 && offsets.Length >= k);
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref int or = ref MemoryMarshal.GetReference(offsets);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(dw);
        bool v512 = Vector512.IsHardwareAccelerated;
        bool vec = Vector.IsHardwareAccelerated && Align % Vector<float>.Count == 0;
        int i = 0;
        for (; i + 4 <= m && (v512 || vec); i += 4)
        {
            int p = 0;
            for (; p + 3 <= k && !v512; p += 3)
            {
                var s = Dot4x3Vector(ref Unsafe.Add(ref dr, i * ldd), ldd, strideD, ref or, p, ref xr, strideX, n, samples);
                for (int r = 0; r < 4; r++)
                {
                    for (int q = 0; q < 3; q++)
                    {
                        ref float cell = ref Unsafe.Add(ref wr, ((i + r) * ldw) + p + q);
                        float v = s[(r * 3) + q];
                        cell = accumulate ? cell + v : v;
                    }
                }
            }

            for (; p + 4 <= k && v512; p += 4)
            {
                var s = Dot4x4x512(ref Unsafe.Add(ref dr, i * ldd), ldd, strideD, ref or, p, ref xr, strideX, n, samples);
                for (int r = 0; r < 4; r++)
                {
                    for (int q = 0; q < 4; q++)
                    {
                        ref float cell = ref Unsafe.Add(ref wr, ((i + r) * ldw) + p + q);
                        float v = s[(r * 4) + q];
                        cell = accumulate ? cell + v : v;
                    }
                }
            }

            for (; p < k; p++)
            {
                // A column of four cells: one x load feeds four accumulators.
                var s = Dot4x1(ref Unsafe.Add(ref dr, i * ldd), ldd, strideD, ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p)), strideX, n, samples);
                for (int r = 0; r < 4; r++)
                {
                    ref float cell = ref Unsafe.Add(ref wr, ((i + r) * ldw) + p);
                    cell = accumulate ? cell + s[r] : s[r];
                }
            }
        }

        for (; i < m; i++)
        {
            int p = 0;
            for (; p + 4 <= k && (v512 || vec); p += 4)
            {
                // A row of four cells: one d load feeds four accumulators.
                var s = Dot1x4(ref Unsafe.Add(ref dr, i * ldd), strideD, ref or, p, ref xr, strideX, n, samples);
                for (int q = 0; q < 4; q++)
                {
                    ref float cell = ref Unsafe.Add(ref wr, (i * ldw) + p + q);
                    cell = accumulate ? cell + s[q] : s[q];
                }
            }

            for (; p < k; p++)
            {
                DotCell(ref Unsafe.Add(ref dr, i * ldd), strideD, ref Unsafe.Add(ref xr, Unsafe.Add(ref or, p)), strideX, n, samples,
                    ref Unsafe.Add(ref wr, (i * ldw) + p), accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Sums16 Dot4x1(ref float d0, int ldd, int strideD, ref float x0, int strideX, int n, int samples)
    {
        Sums16 r = default;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int s = 0; s < samples; s++)
            {
                ref float da = ref Unsafe.Add(ref d0, s * strideD);
                ref float xs = ref Unsafe.Add(ref x0, s * strideX);
                for (int j = 0; j < n; j += 16)
                {
                    var v = Vector512.LoadUnsafe(ref xs, (nuint)j);
                    s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref da, (nuint)j), v, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref da, (nuint)(ldd + j)), v, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref da, (nuint)((2 * ldd) + j)), v, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref da, (nuint)((3 * ldd) + j)), v, s3);
                }
            }

            r[0] = Vector512.Sum(s0); r[1] = Vector512.Sum(s1); r[2] = Vector512.Sum(s2); r[3] = Vector512.Sum(s3);
        }
        else
        {
            int w = Vector<float>.Count;
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int s = 0; s < samples; s++)
            {
                ref float da = ref Unsafe.Add(ref d0, s * strideD);
                ref float xs = ref Unsafe.Add(ref x0, s * strideX);
                for (int j = 0; j < n; j += w)
                {
                    var v = Vector.LoadUnsafe(ref xs, (nuint)j);
                    s0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref da, (nuint)j), v, s0);
                    s1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref da, (nuint)(ldd + j)), v, s1);
                    s2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref da, (nuint)((2 * ldd) + j)), v, s2);
                    s3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref da, (nuint)((3 * ldd) + j)), v, s3);
                }
            }

            r[0] = Vector.Sum(s0); r[1] = Vector.Sum(s1); r[2] = Vector.Sum(s2); r[3] = Vector.Sum(s3);
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Sums16 Dot1x4(ref float d0, int strideD, ref int or, int p, ref float xr, int strideX, int n, int samples)
    {
        Sums16 r = default;
        int o0 = Unsafe.Add(ref or, p), o1 = Unsafe.Add(ref or, p + 1), o2 = Unsafe.Add(ref or, p + 2), o3 = Unsafe.Add(ref or, p + 3);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int s = 0; s < samples; s++)
            {
                ref float da = ref Unsafe.Add(ref d0, s * strideD);
                ref float xs = ref Unsafe.Add(ref xr, s * strideX);
                for (int j = 0; j < n; j += 16)
                {
                    var y = Vector512.LoadUnsafe(ref da, (nuint)j);
                    s0 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref xs, (nuint)(o0 + j)), s0);
                    s1 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref xs, (nuint)(o1 + j)), s1);
                    s2 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref xs, (nuint)(o2 + j)), s2);
                    s3 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref xs, (nuint)(o3 + j)), s3);
                }
            }

            r[0] = Vector512.Sum(s0); r[1] = Vector512.Sum(s1); r[2] = Vector512.Sum(s2); r[3] = Vector512.Sum(s3);
        }
        else
        {
            int w = Vector<float>.Count;
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int s = 0; s < samples; s++)
            {
                ref float da = ref Unsafe.Add(ref d0, s * strideD);
                ref float xs = ref Unsafe.Add(ref xr, s * strideX);
                for (int j = 0; j < n; j += w)
                {
                    var y = Vector.LoadUnsafe(ref da, (nuint)j);
                    s0 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref xs, (nuint)(o0 + j)), s0);
                    s1 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref xs, (nuint)(o1 + j)), s1);
                    s2 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref xs, (nuint)(o2 + j)), s2);
                    s3 = Vector.FusedMultiplyAdd(y, Vector.LoadUnsafe(ref xs, (nuint)(o3 + j)), s3);
                }
            }

            r[0] = Vector.Sum(s0); r[1] = Vector.Sum(s1); r[2] = Vector.Sum(s2); r[3] = Vector.Sum(s3);
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Sums16 Dot4x4x512(ref float d0, int ldd, int strideD, ref int or, int p, ref float xr, int strideX, int n, int samples)
    {
        const int V = 16;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        int o0 = Unsafe.Add(ref or, p), o1 = Unsafe.Add(ref or, p + 1), o2 = Unsafe.Add(ref or, p + 2), o3 = Unsafe.Add(ref or, p + 3);
        for (int s = 0; s < samples; s++)
        {
            ref float da = ref Unsafe.Add(ref d0, s * strideD);
            ref float db = ref Unsafe.Add(ref da, ldd);
            ref float dc = ref Unsafe.Add(ref db, ldd);
            ref float dd = ref Unsafe.Add(ref dc, ldd);
            ref float xs = ref Unsafe.Add(ref xr, s * strideX);
            ref float x0 = ref Unsafe.Add(ref xs, o0);
            ref float x1 = ref Unsafe.Add(ref xs, o1);
            ref float x2 = ref Unsafe.Add(ref xs, o2);
            ref float x3 = ref Unsafe.Add(ref xs, o3);
            for (int j = 0; j < n; j += V)
            {
                var ya = Vector512.LoadUnsafe(ref da, (nuint)j);
                var yb = Vector512.LoadUnsafe(ref db, (nuint)j);
                var yc = Vector512.LoadUnsafe(ref dc, (nuint)j);
                var yd = Vector512.LoadUnsafe(ref dd, (nuint)j);
                var v = Vector512.LoadUnsafe(ref x0, (nuint)j);
                s00 = Vector512.FusedMultiplyAdd(ya, v, s00); s10 = Vector512.FusedMultiplyAdd(yb, v, s10);
                s20 = Vector512.FusedMultiplyAdd(yc, v, s20); s30 = Vector512.FusedMultiplyAdd(yd, v, s30);
                v = Vector512.LoadUnsafe(ref x1, (nuint)j);
                s01 = Vector512.FusedMultiplyAdd(ya, v, s01); s11 = Vector512.FusedMultiplyAdd(yb, v, s11);
                s21 = Vector512.FusedMultiplyAdd(yc, v, s21); s31 = Vector512.FusedMultiplyAdd(yd, v, s31);
                v = Vector512.LoadUnsafe(ref x2, (nuint)j);
                s02 = Vector512.FusedMultiplyAdd(ya, v, s02); s12 = Vector512.FusedMultiplyAdd(yb, v, s12);
                s22 = Vector512.FusedMultiplyAdd(yc, v, s22); s32 = Vector512.FusedMultiplyAdd(yd, v, s32);
                v = Vector512.LoadUnsafe(ref x3, (nuint)j);
                s03 = Vector512.FusedMultiplyAdd(ya, v, s03); s13 = Vector512.FusedMultiplyAdd(yb, v, s13);
                s23 = Vector512.FusedMultiplyAdd(yc, v, s23); s33 = Vector512.FusedMultiplyAdd(yd, v, s33);
            }
        }

        Sums16 r = default;
        r[0] = Vector512.Sum(s00); r[1] = Vector512.Sum(s01); r[2] = Vector512.Sum(s02); r[3] = Vector512.Sum(s03);
        r[4] = Vector512.Sum(s10); r[5] = Vector512.Sum(s11); r[6] = Vector512.Sum(s12); r[7] = Vector512.Sum(s13);
        r[8] = Vector512.Sum(s20); r[9] = Vector512.Sum(s21); r[10] = Vector512.Sum(s22); r[11] = Vector512.Sum(s23);
        r[12] = Vector512.Sum(s30); r[13] = Vector512.Sum(s31); r[14] = Vector512.Sum(s32); r[15] = Vector512.Sum(s33);
        return r;
    }

    /// <summary>One cell of dw: Σ_s Σ_j d_s[j]·x_s[j] (vector partial sums where available, then scalar).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotCell(ref float d, int strideD, ref float x, int strideX, int n, int samples, ref float cell, bool accumulate)
    {
        float total;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> acc = default;
            for (int s = 0; s < samples; s++)
            {
                ref float ds = ref Unsafe.Add(ref d, s * strideD);
                ref float xs = ref Unsafe.Add(ref x, s * strideX);
                for (int j = 0; j < n; j += 16)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ds, (nuint)j), Vector512.LoadUnsafe(ref xs, (nuint)j), acc);
                }
            }

            total = Vector512.Sum(acc);
        }
        else if (Vector.IsHardwareAccelerated && Align % Vector<float>.Count == 0)
        {
            int v = Vector<float>.Count;
            Vector<float> acc = default;
            for (int s = 0; s < samples; s++)
            {
                ref float ds = ref Unsafe.Add(ref d, s * strideD);
                ref float xs = ref Unsafe.Add(ref x, s * strideX);
                for (int j = 0; j < n; j += v)
                {
                    acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ds, (nuint)j), Vector.LoadUnsafe(ref xs, (nuint)j), acc);
                }
            }

            total = Vector.Sum(acc);
        }
        else
        {
            total = 0f;
            for (int s = 0; s < samples; s++)
            {
                ref float ds = ref Unsafe.Add(ref d, s * strideD);
                ref float xs = ref Unsafe.Add(ref x, s * strideX);
                for (int j = 0; j < n; j++)
                {
                    total = MathF.FusedMultiplyAdd(Unsafe.Add(ref ds, j), Unsafe.Add(ref xs, j), total);
                }
            }
        }

        cell = accumulate ? cell + total : total;
    }

    /// <summary>Sixteen sums of a 4 × 4 block, row-major.</summary>
    [InlineArray(16)]
    internal struct Sums16
    {
        private float _element0;
    }
}
