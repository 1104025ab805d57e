using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// Single-precision matrix product C = op(A)·op(B) (+ C when accumulating), row-major. Products of 2^18 multiply-adds
/// and more go to <see cref="PackedGemm"/> wherever vectors are accelerated; the rest (and every product without SIMD)
/// use the unpacked register-blocked FMA micro-kernels here: 4 rows × 32 columns of C in <see cref="Vector512{T}"/> registers where AVX-512 is available, 4 rows ×
/// 2 <see cref="Vector{T}"/> otherwise, single rows 4 vectors wide, K blocked for cache, and a scalar tail. A·Bᵀ (both
/// operands contiguous along K) uses a dot-product kernel with 4 × 4 blocks; Aᵀ·Bᵀ copies B into a per-thread scratch.
/// </summary>
internal static partial class Gemm
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

        if (UsesPacked(transA, transB, m, n, k))
        {
            PackedGemm.Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }

        Unpacked(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    /// <summary>
    /// Whether a product goes to <see cref="PackedGemm"/>: packing op(B) pays when many rows of A reuse it and the
    /// K loop is long enough to hide the micro-kernel's loads and stores of C, so not when m or k is below 32 (a
    /// grouped convolution's 8 × 12,544 × 72 per group, a 1×1 convolution from 16 maps), and not A·Bᵀ with K at least
    /// 8× the longer side of C (a convolution's ∂E/∂W = δ·colᵀ over many positions): there both operands are already
    /// contiguous along K and the dot-product kernel streams them as they are, while packing transposes both.
    /// Measured on AVX2, 1 thread, packed vs unpacked GFLOP/s: 8 × 12,544 × 72 23 vs 50, 72 × 12,544 × 8 (Aᵀ·B) 34 vs 65,
    /// 8 × 72 × 12,544 (A·Bᵀ) 6.7 vs 49, 32 × 144 × 12,544 (A·Bᵀ) 31 vs 59; 64 × 3,136 × 64 65 vs 53,
    /// 128 × 6,272 × 128 73 vs 49, 256 × 256 × 1,024 (A·Bᵀ) 68 vs 50. The two routes give the same bits except for A·Bᵀ.
    /// </summary>
    internal static bool UsesPacked(bool transA, bool transB, int m, int n, int k) =>
        PackedGemm.Applies(m, n, k) && m >= 32 && k >= 32 && !(transB && !transA && k >= 8L * Math.Max(m, n));

    /// <summary>The kernels without packing: small products, and every product where no vector width is accelerated.</summary>
    internal static void Unpacked(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        if (transB && !transA)
        {
            MultiplyNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
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

    /// <summary>
    /// As <see cref="Multiply"/>, split over blocks of C on up to <paramref name="degreeOfParallelism"/> threads when the
    /// product is large enough to pay for it (the packed path cuts C into row or column chunks, see
    /// <see cref="PackedGemm.MultiplyParallel"/>; the unpacked one into row blocks). Each element of C is computed by the
    /// same code in the same order whatever the split (elements are independent), so the result is bit-identical for
    /// every thread count.
    /// </summary>
    public static void MultiplyParallel(bool transA, bool transB, int m, int n, int k,
        ReadOnlyMemory<float> a, int lda, ReadOnlyMemory<float> b, int ldb, Memory<float> c, int ldc, bool accumulate, int degreeOfParallelism)
    {
        bool packed = UsesPacked(transA, transB, m, n, k);
        // The packed split packs one operand again on every thread: below ~16 MFLOP (a LeNet fully connected layer at
        // batch 64 is 6) one thread is faster (measured: 67 µs vs 80 µs for 64·120·400). It cuts C along its longer side,
        // so a short, wide product (a small batch through a wide layer) splits too.
        bool large = 2.0 * m * n * k >= (packed ? 1 << 24 : 1 << 22);
        if (degreeOfParallelism > 1 && packed && large)
        {
            PackedGemm.MultiplyParallel(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, degreeOfParallelism);
            return;
        }

        int parts = Math.Min(degreeOfParallelism * 2, m / 16);
        if (degreeOfParallelism <= 1 || parts < 2 || !large)
        {
            Multiply(transA, transB, m, n, k, a.Span, lda, b.Span, ldb, c.Span, ldc, accumulate);
            return;
        }

        var work = _work ??= new RowBlockWork();
        work.Set(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, parts);
        try
        {
            WorkerPool.Run(work, parts, degreeOfParallelism);
        }
        finally
        {
            work.Clear();
        }
    }

    [ThreadStatic]
    private static RowBlockWork? _work;

    /// <summary>Rows [i0, i1) of C for part i of a fixed split into multiples of 4 rows.</summary>
    private sealed class RowBlockWork : ParallelWork
    {
        private bool _transA, _transB, _accumulate;
        private int _m, _n, _k, _lda, _ldb, _ldc, _parts;
        private ReadOnlyMemory<float> _a, _b;
        private Memory<float> _c;

        public void Set(bool transA, bool transB, int m, int n, int k, ReadOnlyMemory<float> a, int lda, ReadOnlyMemory<float> b, int ldb,
            Memory<float> c, int ldc, bool accumulate, int parts)
        {
            (_transA, _transB, _m, _n, _k, _a, _lda, _b, _ldb, _c, _ldc, _accumulate, _parts) = (transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, parts);
        }

        public void Clear()
        {
            _a = default;
            _b = default;
            _c = default;
        }

        public override void Execute(int index)
        {
            int blocks = (_m + 3) / 4;
            int i0 = Math.Min(_m, (int)((long)blocks * index / _parts) * 4);
            int i1 = Math.Min(_m, (int)((long)blocks * (index + 1) / _parts) * 4);
            if (i1 <= i0)
            {
                return;
            }

            // Only products that are not packed come here (the path is chosen once for the whole product, so every
            // thread count gives the same bits).
            ReadOnlySpan<float> a = _transA ? _a.Span[i0..] : _a.Span[(i0 * _lda)..];
            Unpacked(_transA, _transB, i1 - i0, _n, _k, a, _lda, _b.Span, _ldb, _c.Span[(i0 * _ldc)..], _ldc, _accumulate);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            if (Vector512.IsHardwareAccelerated)
            {
                j = Block4x32(ref a0, ref a1, ref a2, ref a3, ka, ref br, ldb, ref c0, ref c1, ref c2, ref c3, n, kc, accumulate);
            }

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
                // One row: four independent accumulators so the FMA latency is hidden.
                for (; j + (4 * v) <= n; j += 4 * v)
                {
                    Vector<float> s0, s1, s2, s3;
                    if (accumulate)
                    {
                        s0 = Load(ref c0, j); s1 = Load(ref c0, j + v); s2 = Load(ref c0, j + (2 * v)); s3 = Load(ref c0, j + (3 * v));
                    }
                    else
                    {
                        s0 = s1 = s2 = s3 = Vector<float>.Zero;
                    }

                    for (int p = 0; p < kc; p++)
                    {
                        ref float bp = ref Unsafe.Add(ref br, (p * ldb) + j);
                        var x = new Vector<float>(Unsafe.Add(ref a0, p * ka));
                        s0 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp), s0);
                        s1 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp, (nuint)v), s1);
                        s2 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp, (nuint)(2 * v)), s2);
                        s3 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp, (nuint)(3 * v)), s3);
                    }

                    Store(s0, ref c0, j); Store(s1, ref c0, j + v); Store(s2, ref c0, j + (2 * v)); Store(s3, ref c0, j + (3 * v));
                }

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

    /// <summary>
    /// The AVX-512 micro-kernel: a 4 × 32 block of C held in eight <see cref="Vector512{T}"/> registers across the K
    /// loop (two B loads and four A broadcasts feed eight FMAs per step). Returns the first column it did not cover.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Block4x32(ref float a0, ref float a1, ref float a2, ref float a3, int ka, ref float br, int ldb,
        ref float c0, ref float c1, ref float c2, ref float c3, int n, int kc, bool accumulate)
    {
        const int V = 16;
        int j = 0;
        for (; j + (2 * V) <= n; j += 2 * V)
        {
            Vector512<float> s00, s01, s10, s11, s20, s21, s30, s31;
            if (accumulate)
            {
                s00 = Vector512.LoadUnsafe(ref c0, (nuint)j); s01 = Vector512.LoadUnsafe(ref c0, (nuint)(j + V));
                s10 = Vector512.LoadUnsafe(ref c1, (nuint)j); s11 = Vector512.LoadUnsafe(ref c1, (nuint)(j + V));
                s20 = Vector512.LoadUnsafe(ref c2, (nuint)j); s21 = Vector512.LoadUnsafe(ref c2, (nuint)(j + V));
                s30 = Vector512.LoadUnsafe(ref c3, (nuint)j); s31 = Vector512.LoadUnsafe(ref c3, (nuint)(j + V));
            }
            else
            {
                s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = Vector512<float>.Zero;
            }

            ref float bj = ref Unsafe.Add(ref br, j);
            for (int p = 0; p < kc; p++)
            {
                ref float bp = ref Unsafe.Add(ref bj, p * ldb);
                var b0 = Vector512.LoadUnsafe(ref bp);
                var b1 = Vector512.LoadUnsafe(ref bp, V);
                int off = p * ka;
                var x = Vector512.Create(Unsafe.Add(ref a0, off));
                s00 = Vector512.FusedMultiplyAdd(x, b0, s00); s01 = Vector512.FusedMultiplyAdd(x, b1, s01);
                x = Vector512.Create(Unsafe.Add(ref a1, off));
                s10 = Vector512.FusedMultiplyAdd(x, b0, s10); s11 = Vector512.FusedMultiplyAdd(x, b1, s11);
                x = Vector512.Create(Unsafe.Add(ref a2, off));
                s20 = Vector512.FusedMultiplyAdd(x, b0, s20); s21 = Vector512.FusedMultiplyAdd(x, b1, s21);
                x = Vector512.Create(Unsafe.Add(ref a3, off));
                s30 = Vector512.FusedMultiplyAdd(x, b0, s30); s31 = Vector512.FusedMultiplyAdd(x, b1, s31);
            }

            s00.StoreUnsafe(ref c0, (nuint)j); s01.StoreUnsafe(ref c0, (nuint)(j + V));
            s10.StoreUnsafe(ref c1, (nuint)j); s11.StoreUnsafe(ref c1, (nuint)(j + V));
            s20.StoreUnsafe(ref c2, (nuint)j); s21.StoreUnsafe(ref c2, (nuint)(j + V));
            s30.StoreUnsafe(ref c3, (nuint)j); s31.StoreUnsafe(ref c3, (nuint)(j + V));
        }

        return j;
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
