using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// The per-channel sums of a normalization over <c>count</c> blocks of <c>length</c> contiguous values <c>stride</c>
/// apart ([N, C, S] with S &gt; 1: one block per sample). The fast path sums short float partial sums (at most
/// 2 · <see cref="FloatPairs"/> terms per lane) into double accumulators; where that would overflow or lose accuracy
/// (values beyond ~1e19, squares or products in the float subnormal range, or data far from the shift the sums are
/// centred on) a channel is summed again in double over the float values widened exactly. The order is fixed, so a result does not depend on the thread count.
/// </summary>
internal static class BlockStatistics
{
    /// <summary>Pairs of vectors summed in float before a sum is widened into the double accumulators: every float
    /// partial sum has at most 2 · this many terms.</summary>
    internal const int FloatPairs = 4;

    /// <summary>The float path is kept only when the shift k is within one standard deviation of the mean:
    /// s1²/m ≤ this · s2, i.e. (μ − k)² ≤ σ². Then the rounding of x − k and of the float partial sums moves the
    /// variance s2/m − (s1/m)² by a relative ~1e-6 at worst.</summary>
    private const double CentredShare = 0.5;

    /// <summary>Mean squares (and mean products δ (x − k)) below this may hold float subnormals that lost digits
    /// (data near 1e-20 with ε = 0): such a channel is summed in double. A channel whose δ is all zero takes it too.</summary>
    private const double Tiny = 1e-30;

    /// <summary>s1 = Σ (x − k), s2 = Σ (x − k)² over the blocks of one channel, with k = the mean of the first block
    /// rounded to float (returned as <paramref name="shift"/>; the caller's mean is k + s1/m). Centring on k keeps
    /// s2 − s1²/m free of cancellation. Each lane sums at most 8 terms x − k (rounded once to float) in float, then
    /// adds them into double; the last vector and the scalar tail of a block are summed in double. If s2 is not finite,
    /// |μ − k| &gt; σ or s2/m &lt; 1e-30, the channel is summed again entirely in double (<see cref="WideSums"/>).</summary>
    public static void BlockSums(ReadOnlySpan<float> x, int offset, int count, int length, int stride, out double shift, out double s1, out double s2)
    {
        shift = (float)(FirstBlockSum(x.Slice(offset, length)) / length);
        FloatSums(x, offset, count, length, stride, shift, out s1, out s2);
        double m = (double)count * length;
        if (!double.IsFinite(s2) || s1 * s1 > CentredShare * m * s2 || s2 < Tiny * m)
        {
            WideSums(x, offset, count, length, stride, shift, out s1, out s2);
        }
    }

    /// <summary>sdy = Σ δ, sdyx = Σ δ (x − mean) over the blocks of one channel, δ = <typeparamref name="TGate"/>'s δ
    /// of dy (the forward map (x − shift) · scale + offset gives a ReLU's mask; shift is μ rounded to float). With
    /// <paramref name="centred"/> (mean is this batch's mean) summed as <see cref="BlockSums"/>: Σ δ (x − shift) in
    /// float partial sums of at most 8 terms per lane, then in double, and sdyx = Σ δ (x − shift) + (shift − mean) Σ δ;
    /// otherwise (a running mean, which may lie far from x), or if a float sum overflowed or |sdyx|/m &lt; 1e-30, in
    /// double throughout.</summary>
    public static void BlockGradientSums<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int offset, int count, int length, int stride, bool centred, double mean, float shift, float scale, float yOffset, out double sdy, out double sdyx)
        where TGate : INormalizationGate
    {
        double m = (double)count * length;
        if (centred)
        {
            FloatGradientSums<TGate>(dy, x, offset, count, length, stride, shift, scale, yOffset, out sdy, out sdyx);
            if (double.IsFinite(sdy) && double.IsFinite(sdyx) && Math.Abs(sdyx) >= Tiny * m)
            {
                sdyx += (shift - mean) * sdy;
                return;
            }
        }

        WideGradientSums<TGate>(dy, x, offset, count, length, stride, mean, shift, scale, yOffset, out sdy, out sdyx);
    }

    /// <summary>Σ x over one block in double (the float values widened exactly).</summary>
    private static double FirstBlockSum(ReadOnlySpan<float> row)
    {
        var v = Vector<double>.Zero;
        ref float r0 = ref MemoryMarshal.GetReference(row);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref r0, (nuint)i), out var lo, out var hi);
                v += lo + hi;
            }
        }

        double t = 0;
        for (; i < row.Length; i++)
        {
            t += row[i];
        }

        return t + Vector.Sum(v);
    }

    private static void FloatSums(ReadOnlySpan<float> x, int offset, int count, int length, int stride, double shift, out double s1, out double s2)
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        var kf = new Vector<float>((float)shift);
        int w = Vector<float>.Count;
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> row = x.Slice(offset + (b * stride), length);
            ref float r0 = ref MemoryMarshal.GetReference(row);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                while (i <= length - (2 * w))
                {
                    Vector<float> a1 = Vector<float>.Zero, b1 = Vector<float>.Zero, a2 = Vector<float>.Zero, b2 = Vector<float>.Zero;
                    for (int j = 0; j < FloatPairs && i <= length - (2 * w); j++, i += 2 * w)
                    {
                        var d0 = Vector.LoadUnsafe(ref r0, (nuint)i) - kf;
                        var d1 = Vector.LoadUnsafe(ref r0, (nuint)(i + w)) - kf;
                        a1 += d0;
                        b1 += d1;
                        a2 += d0 * d0;
                        b2 += d1 * d1;
                    }

                    Vector.Widen(a1 + b1, out var lo1, out var hi1);
                    Vector.Widen(a2 + b2, out var lo2, out var hi2);
                    v1 += lo1 + hi1;
                    v2 += lo2 + hi2;
                }
            }

            AddWide(row, i, shift, ref v1, ref v2, ref t1, ref t2);
        }

        s1 = t1 + Vector.Sum(v1);
        s2 = t2 + Vector.Sum(v2);
    }

    /// <summary>s1 = Σ (x − k), s2 = Σ (x − k)² in double throughout (the reference the float path is checked against).</summary>
    internal static void WideSums(ReadOnlySpan<float> x, int offset, int count, int length, int stride, double shift, out double s1, out double s2)
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            AddWide(x.Slice(offset + (b * stride), length), 0, shift, ref v1, ref v2, ref t1, ref t2);
        }

        s1 = t1 + Vector.Sum(v1);
        s2 = t2 + Vector.Sum(v2);
    }

    /// <summary>Adds Σ (x − k) and Σ (x − k)² over row[start..] in double: whole vectors into v1, v2, the tail into t1, t2.</summary>
    private static void AddWide(ReadOnlySpan<float> row, int start, double shift, ref Vector<double> v1, ref Vector<double> v2, ref double t1, ref double t2)
    {
        ref float r0 = ref MemoryMarshal.GetReference(row);
        int i = start;
        if (Vector.IsHardwareAccelerated)
        {
            var k = new Vector<double>(shift);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref r0, (nuint)i), out var lo, out var hi);
                lo -= k;
                hi -= k;
                v1 += lo + hi;
                v2 += (lo * lo) + (hi * hi);
            }
        }

        for (; i < row.Length; i++)
        {
            double d = row[i] - shift;
            t1 += d;
            t2 += d * d;
        }
    }

    private static void FloatGradientSums<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int offset, int count, int length, int stride, float shift, float scale, float yOffset, out double sdy, out double sdyx)
        where TGate : INormalizationGate
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        Vector<float> vs = new(shift), va = new(scale), vo = new(yOffset);
        int w = Vector<float>.Count;
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> g = dy.Slice(offset + (b * stride), length), row = x.Slice(offset + (b * stride), length);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float r0 = ref MemoryMarshal.GetReference(row);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                while (i <= length - (2 * w))
                {
                    Vector<float> a1 = Vector<float>.Zero, b1 = Vector<float>.Zero, a2 = Vector<float>.Zero, b2 = Vector<float>.Zero;
                    for (int j = 0; j < FloatPairs && i <= length - (2 * w); j++, i += 2 * w)
                    {
                        var x0 = Vector.LoadUnsafe(ref r0, (nuint)i);
                        var x1 = Vector.LoadUnsafe(ref r0, (nuint)(i + w));
                        var e0 = TGate.Delta(Vector.LoadUnsafe(ref g0, (nuint)i), x0, vs, va, vo);
                        var e1 = TGate.Delta(Vector.LoadUnsafe(ref g0, (nuint)(i + w)), x1, vs, va, vo);
                        a1 += e0;
                        b1 += e1;
                        a2 += e0 * (x0 - vs);
                        b2 += e1 * (x1 - vs);
                    }

                    Vector.Widen(a1 + b1, out var lo1, out var hi1);
                    Vector.Widen(a2 + b2, out var lo2, out var hi2);
                    v1 += lo1 + hi1;
                    v2 += lo2 + hi2;
                }
            }

            AddWideGradient<TGate>(g, row, i, shift, shift, scale, yOffset, ref v1, ref v2, ref t1, ref t2);
        }

        sdy = t1 + Vector.Sum(v1);
        sdyx = t2 + Vector.Sum(v2);
    }

    /// <summary>sdy = Σ δ, sdyx = Σ δ (x − mean) in double throughout (δ through the gate, in float as the forward).</summary>
    internal static void WideGradientSums<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int offset, int count, int length, int stride, double mean, float shift, float scale, float yOffset, out double sdy, out double sdyx)
        where TGate : INormalizationGate
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            int o = offset + (b * stride);
            AddWideGradient<TGate>(dy.Slice(o, length), x.Slice(o, length), 0, mean, shift, scale, yOffset, ref v1, ref v2, ref t1, ref t2);
        }

        sdy = t1 + Vector.Sum(v1);
        sdyx = t2 + Vector.Sum(v2);
    }

    /// <summary>Adds Σ δ and Σ δ (x − centre) over [start, length) in double (δ through the gate, in float as the
    /// forward): whole vectors into v1, v2, the tail into t1, t2.</summary>
    private static void AddWideGradient<TGate>(ReadOnlySpan<float> g, ReadOnlySpan<float> row, int start, double centre, float shift, float scale, float yOffset, ref Vector<double> v1, ref Vector<double> v2, ref double t1, ref double t2)
        where TGate : INormalizationGate
    {
        ref float g0 = ref MemoryMarshal.GetReference(g);
        ref float r0 = ref MemoryMarshal.GetReference(row);
        int i = start;
        if (Vector.IsHardwareAccelerated)
        {
            var m = new Vector<double>(centre);
            Vector<float> vs = new(shift), va = new(scale), vo = new(yOffset);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var xv = Vector.LoadUnsafe(ref r0, (nuint)i);
                Vector.Widen(TGate.Delta(Vector.LoadUnsafe(ref g0, (nuint)i), xv, vs, va, vo), out var glo, out var ghi);
                Vector.Widen(xv, out var xlo, out var xhi);
                v1 += glo + ghi;
                v2 += (glo * (xlo - m)) + (ghi * (xhi - m));
            }
        }

        for (; i < row.Length; i++)
        {
            double gi = TGate.Delta(g[i], row[i], shift, scale, yOffset);
            t1 += gi;
            t2 += gi * (row[i] - centre);
        }
    }
}
