using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// The one engine behind <c>Signal.Convolution</c>: for a 3-D signal x (D×H×W) and kernel g (KD×KH×KW),
/// out[o] = Σ_k x[o + offset + k] · g'[k], taps outside x skipped, where g' is g (correlation) or g read backwards
/// (convolution, g'[k] = g[K−1−k]). Vectorized along the output's last axis: four independent accumulators of
/// <see cref="Vector512{T}"/> (or <see cref="Vector256{T}"/>) per step, one vector at a time next, then a scalar tail;
/// outputs whose taps leave x at the W edges are computed by the clipped scalar loop.
/// </summary>
internal static class DirectConvolution
{
    public readonly record struct Geometry(
        int D, int H, int W,
        int KD, int KH, int KW,
        int OD, int OH, int OW,
        int OffD, int OffH, int OffW);

    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> output, in Geometry geo, bool reverseKernel)
    {
        // Read the kernel in the order the loops visit it: a reversed copy for convolution (on the stack when small).
        int kernelLength = geo.KD * geo.KH * geo.KW;
        float[]? rented = null;
        if (reverseKernel)
        {
            Span<float> flipped = kernelLength <= 1024
                ? stackalloc float[kernelLength]
                : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(kernelLength)).AsSpan(0, kernelLength);
            g[..kernelLength].CopyTo(flipped);
            flipped.Reverse();
            RunForward(x, flipped, output, geo);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }

            return;
        }

        RunForward(x, g, output, geo);
    }

    private static void RunForward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> output, in Geometry geo)
    {
        Debug.Assert(x.Length >= geo.D * geo.H * geo.W);
        Debug.Assert(g.Length >= geo.KD * geo.KH * geo.KW);
        Debug.Assert(output.Length >= geo.OD * geo.OH * geo.OW);

        int owLo = Math.Clamp(-geo.OffW, 0, geo.OW);
        int owHi = Math.Clamp(geo.W - geo.KW + 1 - geo.OffW, owLo, geo.OW);
        for (int od = 0; od < geo.OD; od++)
        {
            int d = od + geo.OffD;
            int kd0 = Math.Max(0, -d), kd1 = Math.Min(geo.KD, geo.D - d);
            for (int oh = 0; oh < geo.OH; oh++)
            {
                int h = oh + geo.OffH;
                int kh0 = Math.Max(0, -h), kh1 = Math.Min(geo.KH, geo.H - h);
                Span<float> outRow = output.Slice(((od * geo.OH) + oh) * geo.OW, geo.OW);
                if (kd0 >= kd1 || kh0 >= kh1)
                {
                    outRow.Clear();
                    continue;
                }

                ScalarRange(x, g, outRow, geo, d, h, kd0, kd1, kh0, kh1, 0, owLo);
                InteriorRange(x, g, outRow, geo, d, h, kd0, kd1, kh0, kh1, owLo, owHi);
                ScalarRange(x, g, outRow, geo, d, h, kd0, kd1, kh0, kh1, owHi, geo.OW);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KernelIndex(in Geometry geo, int kd, int kh, int kw) => (((kd * geo.KH) + kh) * geo.KW) + kw;

    /// <summary>Outputs [lo, hi) of one row, with every tap clipped to the signal: the reference formula.</summary>
    private static void ScalarRange(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> outRow, in Geometry geo,
        int d, int h, int kd0, int kd1, int kh0, int kh1, int lo, int hi)
    {
        for (int ow = lo; ow < hi; ow++)
        {
            int w = ow + geo.OffW;
            int kw0 = Math.Max(0, -w), kw1 = Math.Min(geo.KW, geo.W - w);
            float acc = 0f;
            for (int kd = kd0; kd < kd1; kd++)
            {
                for (int kh = kh0; kh < kh1; kh++)
                {
                    int xRow = ((((d + kd) * geo.H) + h + kh) * geo.W) + w;
                    for (int kw = kw0; kw < kw1; kw++)
                    {
                        acc = MathF.FusedMultiplyAdd(x[xRow + kw], g[KernelIndex(geo, kd, kh, kw)], acc);
                    }
                }
            }

            outRow[ow] = acc;
        }
    }

    /// <summary>Outputs [lo, hi) whose W taps all lie inside the signal: SIMD.</summary>
    private static void InteriorRange(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> outRow, in Geometry geo,
        int d, int h, int kd0, int kd1, int kh0, int kh1, int lo, int hi)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float or = ref MemoryMarshal.GetReference(outRow);
        int H = geo.H, W = geo.W, KH = geo.KH, KW = geo.KW, offW = geo.OffW;
        int ow = lo;
        if (Vector512.IsHardwareAccelerated)
        {
            int v = Vector512<float>.Count;
            for (; ow + (4 * v) <= hi; ow += 4 * v)
            {
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int kd = kd0; kd < kd1; kd++)
                {
                    for (int kh = kh0; kh < kh1; kh++)
                    {
                        ref float p = ref Unsafe.Add(ref xr, ((((d + kd) * H) + h + kh) * W) + ow + offW);
                        ref float wk = ref Unsafe.Add(ref gr, ((kd * KH) + kh) * KW);
                        for (int kw = 0; kw < KW; kw++)
                        {
                            var wv = Vector512.Create(Unsafe.Add(ref wk, kw));
                            ref float pk = ref Unsafe.Add(ref p, kw);
                            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pk), wv, a0);
                            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pk, (nuint)v), wv, a1);
                            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pk, (nuint)(2 * v)), wv, a2);
                            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pk, (nuint)(3 * v)), wv, a3);
                        }
                    }
                }

                ref float o = ref Unsafe.Add(ref or, ow);
                a0.StoreUnsafe(ref o);
                a1.StoreUnsafe(ref o, (nuint)v);
                a2.StoreUnsafe(ref o, (nuint)(2 * v));
                a3.StoreUnsafe(ref o, (nuint)(3 * v));
            }

            for (; ow + (2 * v) <= hi; ow += 2 * v)
            {
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0;
                for (int kd = kd0; kd < kd1; kd++)
                {
                    for (int kh = kh0; kh < kh1; kh++)
                    {
                        ref float p = ref Unsafe.Add(ref xr, ((((d + kd) * H) + h + kh) * W) + ow + offW);
                        ref float wk = ref Unsafe.Add(ref gr, ((kd * KH) + kh) * KW);
                        for (int kw = 0; kw < KW; kw++)
                        {
                            var wv = Vector512.Create(Unsafe.Add(ref wk, kw));
                            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, (nuint)kw), wv, a0);
                            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, (nuint)(kw + v)), wv, a1);
                        }
                    }
                }

                a0.StoreUnsafe(ref Unsafe.Add(ref or, ow));
                a1.StoreUnsafe(ref Unsafe.Add(ref or, ow), (nuint)v);
            }

            // One vector at a time; the last one is moved back to end exactly at hi, recomputing a few outputs
            // (in the same order, so with the same bits) instead of leaving a scalar tail.
            for (int at; ow < hi && hi - lo >= v; ow = at + v)
            {
                at = Math.Min(ow, hi - v);
                Vector512<float> a0 = Vector512<float>.Zero;
                for (int kd = kd0; kd < kd1; kd++)
                {
                    for (int kh = kh0; kh < kh1; kh++)
                    {
                        int xRow = ((((d + kd) * geo.H) + h + kh) * geo.W) + at + geo.OffW;
                        for (int kw = 0; kw < geo.KW; kw++)
                        {
                            var wv = Vector512.Create(Unsafe.Add(ref gr, KernelIndex(geo, kd, kh, kw)));
                            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref Unsafe.Add(ref xr, xRow + kw)), wv, a0);
                        }
                    }
                }

                a0.StoreUnsafe(ref Unsafe.Add(ref or, at));
            }
        }

        // What Vector512 left (or everything without AVX-512) in 256-bit steps, then 128-bit steps: one driver.
        if (Vector256.IsHardwareAccelerated)
        {
            ow = NarrowRange<Vector256<float>, Simd256>(ref xr, ref gr, ref or, geo, d, h, kd0, kd1, kh0, kh1, lo, ow, hi);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            ow = NarrowRange<Vector128<float>, Simd128>(ref xr, ref gr, ref or, geo, d, h, kd0, kd1, kh0, kh1, lo, ow, hi);
        }

        // Scalar tail (and the whole row when no SIMD is available).
        ScalarRange(x, g, outRow, geo, d, h, kd0, kd1, kh0, kh1, ow, hi);
    }

    /// <summary>Outputs [ow, hi) of the interior in 4-vector blocks, then single vectors (the last moved back to end
    /// exactly at hi, recomputing a few outputs in the same order, so with the same bits); returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NarrowRange<TV, TOps>(ref float xr, ref float gr, ref float or, in Geometry geo,
        int d, int h, int kd0, int kd1, int kh0, int kh1, int lo, int ow, int hi)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        int v = TOps.Count;
        for (; ow + (4 * v) <= hi; ow += 4 * v)
        {
            TV a0 = TOps.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int kd = kd0; kd < kd1; kd++)
            {
                for (int kh = kh0; kh < kh1; kh++)
                {
                    int xRow = ((((d + kd) * geo.H) + h + kh) * geo.W) + ow + geo.OffW;
                    for (int kw = 0; kw < geo.KW; kw++)
                    {
                        var wv = TOps.Broadcast(Unsafe.Add(ref gr, KernelIndex(geo, kd, kh, kw)));
                        ref float p = ref Unsafe.Add(ref xr, xRow + kw);
                        a0 = TOps.MultiplyAdd(TOps.Load(ref p, 0), wv, a0);
                        a1 = TOps.MultiplyAdd(TOps.Load(ref p, (nuint)v), wv, a1);
                        a2 = TOps.MultiplyAdd(TOps.Load(ref p, (nuint)(2 * v)), wv, a2);
                        a3 = TOps.MultiplyAdd(TOps.Load(ref p, (nuint)(3 * v)), wv, a3);
                    }
                }
            }

            ref float o = ref Unsafe.Add(ref or, ow);
            TOps.Store(a0, ref o, 0);
            TOps.Store(a1, ref o, (nuint)v);
            TOps.Store(a2, ref o, (nuint)(2 * v));
            TOps.Store(a3, ref o, (nuint)(3 * v));
        }

        for (int at; ow < hi && hi - lo >= v; ow = at + v)
        {
            at = Math.Min(ow, hi - v);
            TV a0 = TOps.Zero;
            for (int kd = kd0; kd < kd1; kd++)
            {
                for (int kh = kh0; kh < kh1; kh++)
                {
                    int xRow = ((((d + kd) * geo.H) + h + kh) * geo.W) + at + geo.OffW;
                    for (int kw = 0; kw < geo.KW; kw++)
                    {
                        var wv = TOps.Broadcast(Unsafe.Add(ref gr, KernelIndex(geo, kd, kh, kw)));
                        a0 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref xr, xRow + kw), 0), wv, a0);
                    }
                }
            }

            TOps.Store(a0, ref Unsafe.Add(ref or, at), 0);
        }

        return ow;
    }
}
