using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace ConvNet.Kernels;

/// <summary>
/// Cache-blocked SGEMM with packed panels (the BLIS/GotoBLAS loop nest): op(B) is copied into KC × NR column panels
/// (an NC-wide block of them stays in L2/L3), op(A) into MR × KC row panels (an MC-tall block stays in L2), and a
/// micro-kernel keeps MR × 2 vectors of accumulators in registers while it streams both panels contiguously. With
/// AVX-512 (32 registers) it is 8 × 32: two B loads and eight A broadcasts feed sixteen FMAs per step of k; with 16
/// registers (AVX2, SSE) or 128-bit vectors it is 6 rows × 2 vectors (<see cref="Kernel6x2{TV, TOps}"/>, one source
/// for every width): two B loads and six broadcasts feed twelve FMAs. Transposed operands
/// are handled by the packing, never by a transposed copy. Each element of C is summed in the same order as
/// <see cref="Gemm"/>'s unpacked kernels (k blocks of <see cref="KC"/>, FMA in k order, each block continuing from C),
/// so both give the same bits.
/// </summary>
internal static partial class PackedGemm
{
    /// <summary>Floats per vector of the micro-kernel: 16 with AVX-512, 8 with AVX2, 4 with 128-bit vectors, 0 without.</summary>
    public static readonly int Width = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 0;

    /// <summary>Rows of the micro-kernel: 8 with AVX-512's 32 registers (16 accumulators), 6 with 16 registers (12).</summary>
    public static readonly int MR = Vector512.IsHardwareAccelerated ? 8 : 6;

    /// <summary>Columns of the micro-kernel (two vectors).</summary>
    public static readonly int NR = 2 * Width;

    /// <summary>Depth of a packed panel (equals <see cref="Gemm"/>'s K block: same summation order).</summary>
    public const int KC = 256;

    // A block of MC × KC floats (128 KB) stays in L2 while NR-wide panels of an NC-wide B block (2 MB, L3) stream
    // through L1. NC = 2048 packs A once for n ≤ 2048 (measured here: n = 2048 at 1 thread 146–151 GFLOP/s with
    // NC = 512, 175–178 with NC = 2048).
    private static readonly int MC = 128 / MR * MR;
    private const int NC = 2048;

    // A thread's own copy of the operand every chunk needs holds as many K blocks as fit in 2 MB, so that it stays in
    // cache while the thread's chunks stream it (measured at n = 2048 on two threads: 2.06× with one K block per copy,
    // 1.78× with two, i.e. 4 MB).
    private const long MaxOwn = 1L << 19;

    [ThreadStatic]
    private static float[]? _packedA;

    [ThreadStatic]
    private static float[]? _packedB;

    /// <summary>Whether the packed path runs here and pays for its packing on a product of this size.</summary>
    public static bool Applies(int m, int n, int k) =>
        Width > 0 && m >= MR && n >= NR && (long)m * n * k >= 1L << 18;

    /// <summary>C[m×n] (+)= op(A)·op(B), with the same operand conventions as <see cref="Gemm.Multiply"/>.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        Debug.Assert(Width > 0 && m > 0 && n > 0 && k > 0);
        var packedB = _packedB ??= new float[KC * NC];
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                PackB(transB, b, ldb, pc, jc, kc, 0, nc, packedB);
                Rows(transA, a, lda, 0, m, pc, kc, jc, nc, packedB, c, ldc, accumulate || pc > 0);
            }
        }
    }

    /// <summary>
    /// As <see cref="Multiply"/> on up to <paramref name="degreeOfParallelism"/> threads, in one hand-off per group of K
    /// blocks. C is cut along its longer side into chunks (about two per thread) that the threads take in turn, so a
    /// slower core simply takes fewer. Nothing packed is shared between threads: each thread packs the whole operand
    /// that every chunk needs (op(B) when C is cut into rows, op(A) when into columns) into its own buffer, once per call,
    /// and the chunk's own part of the other. Reading panels another core has just written costs more than packing them
    /// again on this kind of VM (2 vCPUs, n = 512, interleaved runs: 2-thread/1-thread 1.77× with one shared copy of
    /// op(B), 1.98× with a copy per thread; 64 × 3136 × 576, an im2col product: 1.03× → 1.97×). The copy made twice costs
    /// ~40 µs of a 740 µs product at n = 512.
    /// Every element of C is computed by the same code in the same order as on one thread, so the result is
    /// bit-identical for any thread count and split.
    /// </summary>
    public static void MultiplyParallel(bool transA, bool transB, int m, int n, int k,
        ReadOnlyMemory<float> a, int lda, ReadOnlyMemory<float> b, int ldb, Memory<float> c, int ldc, bool accumulate, int degreeOfParallelism)
    {
        var work = _parallelWork ??= new PrivatePanelWork();
        int kBlocks = (k + KC - 1) / KC;
        int mRounded = (m + MR - 1) / MR * MR;
        try
        {
            int chunkRows = ChunkSize(m, degreeOfParallelism, MR, MC);
            int rowChunks = (m + chunkRows - 1) / chunkRows;
            int chunkCols = ChunkSize(n, degreeOfParallelism, NR, 512);
            int chunks = (n + chunkCols - 1) / chunkCols;
            if (chunks >= 2 && (n > m || rowChunks < 2) && (long)mRounded * KC <= MaxOwn)
            {
                // Column chunks: every thread packs all of op(A) (the smaller operand, or the only way to get two
                // chunks), each chunk its own columns of op(B).
                int group = (int)Math.Min(kBlocks, MaxOwn / ((long)mRounded * KC));
                for (int pc = 0; pc < k; pc += group * KC)
                {
                    work.Set(transA, transB, m, n, a, lda, b, ldb, c, ldc, accumulate || pc > 0, byColumns: true, chunkCols,
                        0, n, pc, Math.Min(group * KC, k - pc), Interlocked.Increment(ref _calls));
                    WorkerPool.Run(work, chunks, degreeOfParallelism);
                }

                return;
            }

            // Row chunks: every thread packs all of op(B)'s column block, each chunk its own rows of op(A).
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                int ncRounded = (nc + NR - 1) / NR * NR;
                int group = (int)Math.Min(kBlocks, MaxOwn / ((long)ncRounded * KC));
                for (int pc = 0; pc < k; pc += group * KC)
                {
                    work.Set(transA, transB, m, n, a, lda, b, ldb, c, ldc, accumulate || pc > 0, byColumns: false, chunkRows,
                        jc, nc, pc, Math.Min(group * KC, k - pc), Interlocked.Increment(ref _calls));
                    WorkerPool.Run(work, rowChunks, degreeOfParallelism);
                }
            }
        }
        finally
        {
            work.Clear();
        }
    }

    /// <summary>About two chunks per thread, whole micro-tiles, at least four of them and at most <paramref name="max"/>
    /// (measured at n = 512 on two threads: 128-row chunks beat 64, 32 and 8).</summary>
    private static int ChunkSize(int length, int threads, int tile, int max)
    {
        int perChunk = (int)(((long)length + (2L * threads) - 1) / (2L * threads));
        return Math.Clamp((perChunk + tile - 1) / tile * tile, 4 * tile, max);
    }

    // Identifies one parallel call: a thread's packed operand is current when its stamp equals the call's.
    private static long _calls;

    [ThreadStatic]
    private static PrivatePanelWork? _parallelWork;

    [ThreadStatic]
    private static float[]? _ownWhole;

    [ThreadStatic]
    private static float[]? _ownChunk;

    [ThreadStatic]
    private static long[]? _ownStamp;

    /// <summary>One chunk of C (rows or columns) over the K blocks [pc, pc + kc); see <see cref="MultiplyParallel"/>.</summary>
    private sealed class PrivatePanelWork : ParallelWork
    {
        private bool _transA, _transB, _accumulate, _byColumns;
        private int _m, _n, _lda, _ldb, _ldc, _chunk, _jc, _nc, _pc, _kc;
        private long _call;
        private ReadOnlyMemory<float> _a, _b;
        private Memory<float> _c;

        public void Set(bool transA, bool transB, int m, int n, ReadOnlyMemory<float> a, int lda, ReadOnlyMemory<float> b, int ldb,
            Memory<float> c, int ldc, bool accumulate, bool byColumns, int chunk, int jc, int nc, int pc, int kc, long call)
        {
            (_transA, _transB, _m, _n, _a, _lda, _b, _ldb, _c, _ldc) = (transA, transB, m, n, a, lda, b, ldb, c, ldc);
            (_accumulate, _byColumns, _chunk, _jc, _nc, _pc, _kc, _call) = (accumulate, byColumns, chunk, jc, nc, pc, kc, call);
        }

        public void Clear()
        {
            _a = _b = default;
            _c = default;
        }

        public override void Execute(int index)
        {
            int blocks = (_kc + KC - 1) / KC;
            var stamp = Own(ref _ownStamp, blocks);
            if (_byColumns)
            {
                ExecuteColumns(index, blocks, stamp);
                return;
            }

            // Row chunk [i0, i1): this thread's copy of op(B)'s K block is packed once per call, then every K block of the
            // chunk's rows runs as on one thread.
            int i0 = index * _chunk, i1 = Math.Min(_m, i0 + _chunk);
            int stride = (_nc + NR - 1) / NR * NR * KC;
            var packedB = Own(ref _ownWhole, blocks * stride);
            for (int block = 0; block < blocks; block++)
            {
                int pc = _pc + (block * KC), kc = Math.Min(KC, _pc + _kc - pc);
                if (stamp[block] != _call)
                {
                    PackB(_transB, _b.Span, _ldb, pc, _jc, kc, 0, _nc, packedB, block * stride);
                    stamp[block] = _call;
                }

                Rows(_transA, _a.Span, _lda, i0, i1, pc, kc, _jc, _nc, packedB, _c.Span, _ldc, _accumulate || block > 0, block * stride);
            }
        }

        private void ExecuteColumns(int index, int blocks, long[] stamp)
        {
            // Column chunk [j0, j0 + w): op(B)'s K block for these columns, then every MC block of this thread's copy of
            // op(A) (packed once per call) against it.
            int j0 = index * _chunk, w = Math.Min(_n - j0, _chunk);
            int mRounded = (_m + MR - 1) / MR * MR;
            var packedA = Own(ref _ownWhole, blocks * mRounded * KC);
            var packedB = Own(ref _ownChunk, KC * ((_chunk + NR - 1) / NR * NR));
            ref float aBase = ref MemoryMarshal.GetArrayDataReference(packedA);
            ref float bBase = ref MemoryMarshal.GetArrayDataReference(packedB);
            ref float cBase = ref MemoryMarshal.GetReference(_c.Span);
            for (int block = 0; block < blocks; block++)
            {
                int pc = _pc + (block * KC), kc = Math.Min(KC, _pc + _kc - pc);
                int aOffset = block * mRounded * KC;
                if (stamp[block] != _call)
                {
                    for (int ic = 0; ic < _m; ic += MC)
                    {
                        PackA(_transA, _a.Span, _lda, ic, pc, Math.Min(MC, _m - ic), kc, packedA, aOffset + (ic * kc));
                    }

                    stamp[block] = _call;
                }

                PackB(_transB, _b.Span, _ldb, pc, j0, kc, 0, w, packedB);
                for (int ic = 0; ic < _m; ic += MC)
                {
                    Tiles(kc, ref Unsafe.Add(ref aBase, aOffset + (ic * kc)), Math.Min(MC, _m - ic), ref bBase, w,
                        ref Unsafe.Add(ref cBase, (ic * _ldc) + j0), _ldc, _accumulate || block > 0);
                }
            }
        }

        private static T[] Own<T>(ref T[]? buffer, int length) =>
            buffer is { Length: var l } b && l >= length ? b : buffer = new T[length];
    }

    /// <summary>Rows [i0, i1) of C's block (jc, nc) from packed op(B): pack A an MC block at a time, then every micro-tile.</summary>
    private static void Rows(bool transA, ReadOnlySpan<float> a, int lda, int i0, int i1, int pc, int kc, int jc, int nc,
        float[] packedB, Span<float> c, int ldc, bool acc, int bOffset = 0)
    {
        var packedA = _packedA ??= new float[MC * KC];
        ref float cr = ref MemoryMarshal.GetReference(c);
        ref float ap = ref MemoryMarshal.GetArrayDataReference(packedA);
        ref float bp = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedB), bOffset);
        for (int ic = i0; ic < i1; ic += MC)
        {
            int mc = Math.Min(MC, i1 - ic);
            PackA(transA, a, lda, ic, pc, mc, kc, packedA);
            Tiles(kc, ref ap, mc, ref bp, nc, ref Unsafe.Add(ref cr, (ic * ldc) + jc), ldc, acc);
        }
    }

    /// <summary>C[mc × nc] (+)= packed A block (mc × kc) · packed B panels (kc × nc): every micro-tile, B panel by B panel.</summary>
    private static void Tiles(int kc, ref float ap, int mc, ref float bp, int nc, ref float c, int ldc, bool acc)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int cols = Math.Min(NR, nc - jr);
            ref float bPanel = ref Unsafe.Add(ref bp, jr * kc);
            for (int ir = 0; ir < mc; ir += MR)
            {
                int rows = Math.Min(MR, mc - ir);
                Tile(kc, ref Unsafe.Add(ref ap, ir * kc), ref bPanel, ref Unsafe.Add(ref c, (ir * ldc) + jr), ldc, rows, cols, acc);
            }
        }
    }

    /// <summary>One MR × NR tile of C; a partial tile (edge of C) goes through a zero-padded copy on the stack.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int kc, ref float ap, ref float bp, ref float c, int ldc, int rows, int cols, bool accumulate)
    {
        if (rows == MR && cols == NR)
        {
            Kernel(kc, ref ap, ref bp, ref c, ldc, accumulate);
            return;
        }

        Span<float> tile = stackalloc float[8 * 32];
        tile.Clear();
        ref float t = ref MemoryMarshal.GetReference(tile);
        if (accumulate)
        {
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    Unsafe.Add(ref t, (i * NR) + j) = Unsafe.Add(ref c, (i * ldc) + j);
                }
            }
        }

        Kernel(kc, ref ap, ref bp, ref t, NR, accumulate);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                Unsafe.Add(ref c, (i * ldc) + j) = Unsafe.Add(ref t, (i * NR) + j);
            }
        }
    }

    /// <summary>The micro-kernel of this machine's vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, ref float ap, ref float bp, ref float c, int ldc, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Kernel512(kc, ref ap, ref bp, ref c, ldc, accumulate);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Kernel6x2<Vector256<float>, Simd256>(kc, ref ap, ref bp, ref c, ldc, accumulate);
        }
        else
        {
            Kernel6x2<Vector128<float>, Simd128>(kc, ref ap, ref bp, ref c, ldc, accumulate);
        }
    }

    /// <summary>The 8 × 32 AVX-512 micro-kernel: sixteen accumulators, two B vectors and eight A broadcasts per step of k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, ref float ap, ref float bp, ref float c, int ldc, bool accumulate)
    {
        const int V = 16;
        const int MR = 8, NR = 32;
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        ref float r0 = ref c;
        ref float r1 = ref Unsafe.Add(ref r0, ldc);
        ref float r2 = ref Unsafe.Add(ref r1, ldc);
        ref float r3 = ref Unsafe.Add(ref r2, ldc);
        ref float r4 = ref Unsafe.Add(ref r3, ldc);
        ref float r5 = ref Unsafe.Add(ref r4, ldc);
        ref float r6 = ref Unsafe.Add(ref r5, ldc);
        ref float r7 = ref Unsafe.Add(ref r6, ldc);
        if (accumulate)
        {
            c00 = Vector512.LoadUnsafe(ref r0); c01 = Vector512.LoadUnsafe(ref r0, V);
            c10 = Vector512.LoadUnsafe(ref r1); c11 = Vector512.LoadUnsafe(ref r1, V);
            c20 = Vector512.LoadUnsafe(ref r2); c21 = Vector512.LoadUnsafe(ref r2, V);
            c30 = Vector512.LoadUnsafe(ref r3); c31 = Vector512.LoadUnsafe(ref r3, V);
            c40 = Vector512.LoadUnsafe(ref r4); c41 = Vector512.LoadUnsafe(ref r4, V);
            c50 = Vector512.LoadUnsafe(ref r5); c51 = Vector512.LoadUnsafe(ref r5, V);
            c60 = Vector512.LoadUnsafe(ref r6); c61 = Vector512.LoadUnsafe(ref r6, V);
            c70 = Vector512.LoadUnsafe(ref r7); c71 = Vector512.LoadUnsafe(ref r7, V);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector512<float>.Zero;
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref bp);
            var b1 = Vector512.LoadUnsafe(ref bp, V);
            var x = Vector512.Create(ap);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            ap = ref Unsafe.Add(ref ap, MR);
            bp = ref Unsafe.Add(ref bp, NR);
        }

        c00.StoreUnsafe(ref r0); c01.StoreUnsafe(ref r0, V);
        c10.StoreUnsafe(ref r1); c11.StoreUnsafe(ref r1, V);
        c20.StoreUnsafe(ref r2); c21.StoreUnsafe(ref r2, V);
        c30.StoreUnsafe(ref r3); c31.StoreUnsafe(ref r3, V);
        c40.StoreUnsafe(ref r4); c41.StoreUnsafe(ref r4, V);
        c50.StoreUnsafe(ref r5); c51.StoreUnsafe(ref r5, V);
        c60.StoreUnsafe(ref r6); c61.StoreUnsafe(ref r6, V);
        c70.StoreUnsafe(ref r7); c71.StoreUnsafe(ref r7, V);
    }
}
