using System.Runtime.CompilerServices;

namespace ConvNet.Kernels;

/// <summary>The micro-kernel for machines with 16 vector registers (AVX2, SSE) and for 128-bit vectors.</summary>
internal static partial class PackedGemm
{
    /// <summary>
    /// The 6 × 2-vector micro-kernel, written once for every width (<typeparamref name="TOps"/>): twelve accumulators,
    /// two B vectors and one A broadcast at a time (15 registers), per step of k six broadcasts feed twelve FMAs. Each
    /// element of C is summed in k order from its start value, as in the other kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x2<TV, TOps>(int kc, ref float ap, ref float bp, ref float c, int ldc, bool accumulate)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        nuint v = (nuint)TOps.Count;
        int mr = MR, nr = NR;
        ref float r0 = ref c;
        ref float r1 = ref Unsafe.Add(ref r0, ldc);
        ref float r2 = ref Unsafe.Add(ref r1, ldc);
        ref float r3 = ref Unsafe.Add(ref r2, ldc);
        ref float r4 = ref Unsafe.Add(ref r3, ldc);
        ref float r5 = ref Unsafe.Add(ref r4, ldc);
        TV c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = TOps.Load(ref r0, 0); c01 = TOps.Load(ref r0, v);
            c10 = TOps.Load(ref r1, 0); c11 = TOps.Load(ref r1, v);
            c20 = TOps.Load(ref r2, 0); c21 = TOps.Load(ref r2, v);
            c30 = TOps.Load(ref r3, 0); c31 = TOps.Load(ref r3, v);
            c40 = TOps.Load(ref r4, 0); c41 = TOps.Load(ref r4, v);
            c50 = TOps.Load(ref r5, 0); c51 = TOps.Load(ref r5, v);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = TOps.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = TOps.Load(ref bp, 0);
            var b1 = TOps.Load(ref bp, v);
            var x = TOps.Broadcast(ap);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 1));
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 2));
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 3));
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 4));
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 5));
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            ap = ref Unsafe.Add(ref ap, mr);
            bp = ref Unsafe.Add(ref bp, nr);
        }

        TOps.Store(c00, ref r0, 0); TOps.Store(c01, ref r0, v);
        TOps.Store(c10, ref r1, 0); TOps.Store(c11, ref r1, v);
        TOps.Store(c20, ref r2, 0); TOps.Store(c21, ref r2, v);
        TOps.Store(c30, ref r3, 0); TOps.Store(c31, ref r3, v);
        TOps.Store(c40, ref r4, 0); TOps.Store(c41, ref r4, v);
        TOps.Store(c50, ref r5, 0); TOps.Store(c51, ref r5, v);
    }
}
