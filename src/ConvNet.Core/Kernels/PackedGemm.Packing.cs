using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels;

/// <summary>The packing of op(A) into MR-row panels and op(B) into NR-column panels (transposes included).</summary>
internal static partial class PackedGemm
{
    /// <summary>packed[(i/MR)·kc·MR + p·MR + i%MR] = op(A)[ic + i, pc + p], zero rows past m.</summary>
    private static void PackA(bool transA, ReadOnlySpan<float> a, int lda, int ic, int pc, int mc, int kc, float[] packed, int offset = 0)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float dst = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packed), offset);
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            ref float panel = ref Unsafe.Add(ref dst, ir * kc);
            if (transA)
            {
                // op(A)[i, p] = a[p·lda + i]: MR contiguous values per p.
                for (int p = 0; p < kc; p++)
                {
                    ref float src = ref Unsafe.Add(ref ar, ((pc + p) * lda) + ic + ir);
                    ref float d = ref Unsafe.Add(ref panel, p * MR);
                    int i = 0;
                    for (; i < rows; i++)
                    {
                        Unsafe.Add(ref d, i) = Unsafe.Add(ref src, i);
                    }

                    for (; i < MR; i++)
                    {
                        Unsafe.Add(ref d, i) = 0f;
                    }
                }
            }
            else if (rows == 8 && MR == 8 && Avx.IsSupported)
            {
                // Eight rows of A, eight k at a time, transposed in registers (unpack, shuffle, lane permute).
                ref float row0 = ref Unsafe.Add(ref ar, ((ic + ir) * lda) + pc);
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref row0, p), lda, ref Unsafe.Add(ref panel, p * MR));
                }

                for (; p < kc; p++)
                {
                    for (int i = 0; i < MR; i++)
                    {
                        Unsafe.Add(ref panel, (p * MR) + i) = Unsafe.Add(ref row0, (i * lda) + p);
                    }
                }
            }
            else
            {
                for (int i = 0; i < MR; i++)
                {
                    if (i < rows)
                    {
                        ref float src = ref Unsafe.Add(ref ar, ((ic + ir + i) * lda) + pc);
                        for (int p = 0; p < kc; p++)
                        {
                            Unsafe.Add(ref panel, (p * MR) + i) = Unsafe.Add(ref src, p);
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            Unsafe.Add(ref panel, (p * MR) + i) = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>dst[p·8 + i] = src[i·ld + p] for an 8 × 8 block (the standard AVX unpack/shuffle/permute transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float src, int ld, ref float dst)
    {
        var r0 = Vector256.LoadUnsafe(ref src);
        var r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, ld));
        var r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 2 * ld));
        var r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 3 * ld));
        var r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 4 * ld));
        var r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 5 * ld));
        var r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 6 * ld));
        var r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 7 * ld));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref dst);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref dst, 8);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref dst, 16);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref dst, 24);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref dst, 32);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref dst, 40);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref dst, 48);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref dst, 56);
    }

    /// <summary>packed[(j/NR)·kc·NR + p·NR + j%NR] = op(B)[pc + p, jc + j] for j in [j0, j1) (j0 a multiple of NR), zero
    /// columns past j1.</summary>
    private static void PackB(bool transB, ReadOnlySpan<float> b, int ldb, int pc, int jc, int kc, int j0, int nc, float[] packed, int offset = 0)
    {
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float dst = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packed), offset);
        for (int jr = j0; jr < nc; jr += NR)
        {
            int cols = Math.Min(NR, nc - jr);
            ref float panel = ref Unsafe.Add(ref dst, jr * kc);
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    ref float src = ref Unsafe.Add(ref br, ((pc + p) * ldb) + jc + jr);
                    ref float d = ref Unsafe.Add(ref panel, p * NR);
                    if (cols == NR)
                    {
                        Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref d), ref Unsafe.As<float, byte>(ref src), (uint)(NR * sizeof(float)));
                        continue;
                    }

                    int j = 0;
                    for (; j < cols; j++)
                    {
                        Unsafe.Add(ref d, j) = Unsafe.Add(ref src, j);
                    }

                    for (; j < NR; j++)
                    {
                        Unsafe.Add(ref d, j) = 0f;
                    }
                }
            }
            else
            {
                // op(B)[p, j] = b[j·ldb + p]: read each row of b along k, write one column of the panel.
                for (int j = 0; j < NR; j++)
                {
                    if (j < cols)
                    {
                        ref float src = ref Unsafe.Add(ref br, ((jc + jr + j) * ldb) + pc);
                        for (int p = 0; p < kc; p++)
                        {
                            Unsafe.Add(ref panel, (p * NR) + j) = Unsafe.Add(ref src, p);
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            Unsafe.Add(ref panel, (p * NR) + j) = 0f;
                        }
                    }
                }
            }
        }
    }
}
