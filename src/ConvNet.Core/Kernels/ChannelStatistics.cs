using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// The per-channel sums and affine maps of normalization layers. A channel is either <c>count</c> blocks of
/// <c>length</c> contiguous values <c>stride</c> apart ([N, C, S] with S &gt; 1: one block per sample), or one column
/// of an [N, C] matrix ("rows" kernels, vectorized across the columns). Sums run in double over the float values
/// widened exactly, in a fixed order; a vector lane does the same IEEE operations as the scalar tail, so a result does
/// not depend on where a caller splits the channels.
/// </summary>
internal static class ChannelStatistics
{
    /// <summary>s1 = Σ (x − k), s2 = Σ (x − k)² over the blocks of one channel (k: a value of the channel, which keeps
    /// s2 − s1²/m free of cancellation: (k − mean)² ≤ Σ (x − mean)²).</summary>
    public static void BlockSums(ReadOnlySpan<float> x, int offset, int count, int length, int stride, double shift, out double s1, out double s2)
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        var k = new Vector<double>(shift);
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> row = x.Slice(offset + (b * stride), length);
            ref float r0 = ref MemoryMarshal.GetReference(row);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.Widen(Vector.LoadUnsafe(ref r0, (nuint)i), out var lo, out var hi);
                    lo -= k;
                    hi -= k;
                    v1 += lo + hi;
                    v2 += (lo * lo) + (hi * hi);
                }
            }

            for (; i < length; i++)
            {
                double d = row[i] - shift;
                t1 += d;
                t2 += d * d;
            }
        }

        s1 = t1 + Vector.Sum(v1);
        s2 = t2 + Vector.Sum(v2);
    }

    /// <summary>sdy = Σ dy, sdyx = Σ dy (x − mean) over the blocks of one channel.</summary>
    public static void BlockGradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int offset, int count, int length, int stride, double mean, out double sdy, out double sdyx)
    {
        var v1 = Vector<double>.Zero;
        var v2 = Vector<double>.Zero;
        var m = new Vector<double>(mean);
        double t1 = 0, t2 = 0;
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> g = dy.Slice(offset + (b * stride), length), row = x.Slice(offset + (b * stride), length);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float r0 = ref MemoryMarshal.GetReference(row);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.Widen(Vector.LoadUnsafe(ref g0, (nuint)i), out var glo, out var ghi);
                    Vector.Widen(Vector.LoadUnsafe(ref r0, (nuint)i), out var xlo, out var xhi);
                    v1 += glo + ghi;
                    v2 += (glo * (xlo - m)) + (ghi * (xhi - m));
                }
            }

            for (; i < length; i++)
            {
                double gi = g[i];
                t1 += gi;
                t2 += gi * (row[i] - mean);
            }
        }

        sdy = t1 + Vector.Sum(v1);
        sdyx = t2 + Vector.Sum(v2);
    }

    /// <summary>Per column c in [c0, c1) of the [rows, width] matrix x: s1[c] = Σ_r (x[r, c] − x[0, c]), s2[c] = Σ_r (…)².</summary>
    public static void ColumnSums(ReadOnlySpan<float> x, int rows, int width, int c0, int c1, Span<double> s1, Span<double> s2)
    {
        s1[c0..c1].Clear();
        s2[c0..c1].Clear();
        ReadOnlySpan<float> k = x[..width];
        int h = Vector<double>.Count;
        for (int r = 1; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * width, width);
            int c = c0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c <= c1 - Vector<float>.Count; c += Vector<float>.Count)
                {
                    Vector.Widen(new Vector<float>(row[c..]), out var xlo, out var xhi);
                    Vector.Widen(new Vector<float>(k[c..]), out var klo, out var khi);
                    var dlo = xlo - klo;
                    var dhi = xhi - khi;
                    (new Vector<double>(s1[c..]) + dlo).CopyTo(s1[c..]);
                    (new Vector<double>(s1[(c + h)..]) + dhi).CopyTo(s1[(c + h)..]);
                    (new Vector<double>(s2[c..]) + (dlo * dlo)).CopyTo(s2[c..]);
                    (new Vector<double>(s2[(c + h)..]) + (dhi * dhi)).CopyTo(s2[(c + h)..]);
                }
            }

            for (; c < c1; c++)
            {
                double d = (double)row[c] - k[c];
                s1[c] += d;
                s2[c] += d * d;
            }
        }
    }

    /// <summary>Per column c in [c0, c1): sdy[c] = Σ_r dy[r, c], sdyx[c] = Σ_r dy[r, c] (x[r, c] − mean[c]).</summary>
    public static void ColumnGradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int width, int c0, int c1, ReadOnlySpan<double> mean, Span<double> sdy, Span<double> sdyx)
    {
        sdy[c0..c1].Clear();
        sdyx[c0..c1].Clear();
        int h = Vector<double>.Count;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> g = dy.Slice(r * width, width), row = x.Slice(r * width, width);
            int c = c0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c <= c1 - Vector<float>.Count; c += Vector<float>.Count)
                {
                    Vector.Widen(new Vector<float>(g[c..]), out var glo, out var ghi);
                    Vector.Widen(new Vector<float>(row[c..]), out var xlo, out var xhi);
                    (new Vector<double>(sdy[c..]) + glo).CopyTo(sdy[c..]);
                    (new Vector<double>(sdy[(c + h)..]) + ghi).CopyTo(sdy[(c + h)..]);
                    (new Vector<double>(sdyx[c..]) + (glo * (xlo - new Vector<double>(mean[c..])))).CopyTo(sdyx[c..]);
                    (new Vector<double>(sdyx[(c + h)..]) + (ghi * (xhi - new Vector<double>(mean[(c + h)..])))).CopyTo(sdyx[(c + h)..]);
                }
            }

            for (; c < c1; c++)
            {
                double gi = g[c];
                sdy[c] += gi;
                sdyx[c] += gi * (row[c] - mean[c]);
            }
        }
    }

    /// <summary>y = (x − shift) · scale + offset.</summary>
    public static void Affine(ReadOnlySpan<float> x, float shift, float scale, float offset, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            if (y.Length < x.Length)
            {
                ThrowHelper.Argument(nameof(y), "y is shorter than x.");
            }

            Vector<float> vs = new(shift), va = new(scale), vo = new(offset);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (((Vector.LoadUnsafe(ref x0, (nuint)i) - vs) * va) + vo).StoreUnsafe(ref y0, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = ((x[i] - shift) * scale) + offset;
        }
    }

    /// <summary>y[j] = (x[j] − shift[j]) · scale[j] + offset[j] (one row of an [N, C] matrix, per-column coefficients).</summary>
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<float> shift, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (((new Vector<float>(x[i..]) - new Vector<float>(shift[i..])) * new Vector<float>(scale[i..])) + new Vector<float>(offset[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = ((x[i] - shift[i]) * scale[i]) + offset[i];
        }
    }

    /// <summary>dx = a · dy + (b · (x − shift) + c): the batch-statistics backward of a normalization.</summary>
    public static void AffineGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float shift, float b, float c, Span<float> dx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            if (dy.Length < x.Length || dx.Length < x.Length)
            {
                ThrowHelper.Argument(nameof(dx), "δy and δx must be at least as long as x.");
            }

            Vector<float> va = new(a), vs = new(shift), vb = new(b), vc = new(c);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float dy0 = ref MemoryMarshal.GetReference(dy);
            ref float dx0 = ref MemoryMarshal.GetReference(dx);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                nuint at = (nuint)i;
                ((va * Vector.LoadUnsafe(ref dy0, at)) + ((vb * (Vector.LoadUnsafe(ref x0, at) - vs)) + vc)).StoreUnsafe(ref dx0, at);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] = (a * dy[i]) + ((b * (x[i] - shift)) + c);
        }
    }

    /// <summary>The per-column form of <see cref="AffineGradient(ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, float, float, Span{float})"/>.</summary>
    public static void AffineGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> a, ReadOnlySpan<float> shift, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var t = new Vector<float>(x[i..]) - new Vector<float>(shift[i..]);
                ((new Vector<float>(a[i..]) * new Vector<float>(dy[i..])) + ((new Vector<float>(b[i..]) * t) + new Vector<float>(c[i..]))).CopyTo(dx[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] = (a[i] * dy[i]) + ((b[i] * (x[i] - shift[i])) + c[i]);
        }
    }
}
