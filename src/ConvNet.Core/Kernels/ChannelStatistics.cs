using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// The per-channel sums and affine maps of normalization layers. A channel is either <c>count</c> blocks of
/// <c>length</c> contiguous values <c>stride</c> apart ([N, C, S] with S &gt; 1: one block per sample), or one column
/// of an [N, C] matrix ("rows" kernels, vectorized across the columns; the block sums are in
/// <see cref="BlockStatistics"/>). Column sums run in double over the float values widened exactly. The order is
/// fixed: a result does not depend on the thread count or on where a caller splits the channels (a column kernel's
/// vector lane does the same IEEE operations as its scalar tail).
/// </summary>
internal static class ChannelStatistics
{
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

    /// <summary>Per column c in [c0, c1): sdy[c] = Σ_r δ[r, c], sdyx[c] = Σ_r δ[r, c] (x[r, c] − mean[c]), δ = the
    /// gate's δ of dy under the per-column forward map.</summary>
    public static void ColumnGradientSums<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int width, int c0, int c1, ReadOnlySpan<double> mean, ReadOnlySpan<float> shift, ReadOnlySpan<float> scale, ReadOnlySpan<float> yOffset, Span<double> sdy, Span<double> sdyx)
        where TGate : INormalizationGate
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
                    var xv = new Vector<float>(row[c..]);
                    var gv = new Vector<float>(g[c..]);
                    if (TGate.ReadsForward)
                    {
                        gv = TGate.Delta(gv, xv, new Vector<float>(shift[c..]), new Vector<float>(scale[c..]), new Vector<float>(yOffset[c..]));
                    }

                    Vector.Widen(gv, out var glo, out var ghi);
                    Vector.Widen(xv, out var xlo, out var xhi);
                    (new Vector<double>(sdy[c..]) + glo).CopyTo(sdy[c..]);
                    (new Vector<double>(sdy[(c + h)..]) + ghi).CopyTo(sdy[(c + h)..]);
                    (new Vector<double>(sdyx[c..]) + (glo * (xlo - new Vector<double>(mean[c..])))).CopyTo(sdyx[c..]);
                    (new Vector<double>(sdyx[(c + h)..]) + (ghi * (xhi - new Vector<double>(mean[(c + h)..])))).CopyTo(sdyx[(c + h)..]);
                }
            }

            for (; c < c1; c++)
            {
                double gi = TGate.ReadsForward ? TGate.Delta(g[c], row[c], shift[c], scale[c], yOffset[c]) : g[c];
                sdy[c] += gi;
                sdyx[c] += gi * (row[c] - mean[c]);
            }
        }
    }

    /// <summary>y = (x − shift) · scale + offset, written through the gate's output (y, or max(y, 0)).</summary>
    public static void Affine<TGate>(ReadOnlySpan<float> x, float shift, float scale, float offset, Span<float> y)
        where TGate : INormalizationGate
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
                TGate.Output(((Vector.LoadUnsafe(ref x0, (nuint)i) - vs) * va) + vo).StoreUnsafe(ref y0, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = TGate.Output(((x[i] - shift) * scale) + offset);
        }
    }

    /// <summary>y[j] = (x[j] − shift[j]) · scale[j] + offset[j] through the gate's output (one row of an [N, C] matrix,
    /// per-column coefficients).</summary>
    public static void Affine<TGate>(ReadOnlySpan<float> x, ReadOnlySpan<float> shift, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> y)
        where TGate : INormalizationGate
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                TGate.Output(((new Vector<float>(x[i..]) - new Vector<float>(shift[i..])) * new Vector<float>(scale[i..])) + new Vector<float>(offset[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = TGate.Output(((x[i] - shift[i]) * scale[i]) + offset[i]);
        }
    }

    /// <summary>dx = a · δ + (b · x̂ + c) with x̂ = (x − shift) · k: the batch-statistics backward of a normalization
    /// (k = 1/σ keeps b, ∝ γ/σ, inside float's range for any σ), δ = the gate's δ of dy under the forward map
    /// (x − shift) · yScale + yOffset.</summary>
    public static void AffineGradient<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float shift, float k, float b, float c, float yScale, float yOffset, Span<float> dx)
        where TGate : INormalizationGate
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            CheckLengths(dy, x, dx);
            Vector<float> va = new(a), vs = new(shift), vk = new(k), vb = new(b), vc = new(c), vy = new(yScale), vo = new(yOffset);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float dy0 = ref MemoryMarshal.GetReference(dy);
            ref float dx0 = ref MemoryMarshal.GetReference(dx);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                nuint at = (nuint)i;
                var xv = Vector.LoadUnsafe(ref x0, at);
                var g = TGate.Delta(Vector.LoadUnsafe(ref dy0, at), xv, vs, vy, vo);
                ((va * g) + ((vb * ((xv - vs) * vk)) + vc)).StoreUnsafe(ref dx0, at);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] = (a * TGate.Delta(dy[i], x[i], shift, yScale, yOffset)) + ((b * ((x[i] - shift) * k)) + c);
        }
    }

    /// <summary>The per-column form of <see cref="AffineGradient{TGate}(ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, float, float, float, float, float, Span{float})"/>.</summary>
    public static void AffineGradient<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> a, ReadOnlySpan<float> shift, ReadOnlySpan<float> k, ReadOnlySpan<float> b, ReadOnlySpan<float> c, ReadOnlySpan<float> yScale, ReadOnlySpan<float> yOffset, Span<float> dx)
        where TGate : INormalizationGate
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var xv = new Vector<float>(x[i..]);
                var vs = new Vector<float>(shift[i..]);
                var g = new Vector<float>(dy[i..]);
                if (TGate.ReadsForward)
                {
                    g = TGate.Delta(g, xv, vs, new Vector<float>(yScale[i..]), new Vector<float>(yOffset[i..]));
                }

                ((new Vector<float>(a[i..]) * g) + ((new Vector<float>(b[i..]) * ((xv - vs) * new Vector<float>(k[i..]))) + new Vector<float>(c[i..]))).CopyTo(dx[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            float g = TGate.ReadsForward ? TGate.Delta(dy[i], x[i], shift[i], yScale[i], yOffset[i]) : dy[i];
            dx[i] = (a[i] * g) + ((b[i] * ((x[i] - shift[i]) * k[i])) + c[i]);
        }
    }

    /// <summary>dx = a · δ: the running-statistics backward of a normalization (δ as in
    /// <see cref="AffineGradient{TGate}(ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, float, float, float, float, float, Span{float})"/>).</summary>
    public static void Scale<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float shift, float yScale, float yOffset, Span<float> dx)
        where TGate : INormalizationGate
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            CheckLengths(dy, x, dx);
            Vector<float> va = new(a), vs = new(shift), vy = new(yScale), vo = new(yOffset);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float dy0 = ref MemoryMarshal.GetReference(dy);
            ref float dx0 = ref MemoryMarshal.GetReference(dx);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                nuint at = (nuint)i;
                (va * TGate.Delta(Vector.LoadUnsafe(ref dy0, at), Vector.LoadUnsafe(ref x0, at), vs, vy, vo)).StoreUnsafe(ref dx0, at);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] = a * TGate.Delta(dy[i], x[i], shift, yScale, yOffset);
        }
    }

    /// <summary>The per-column form of <see cref="Scale{TGate}(ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, float, float, Span{float})"/>.</summary>
    public static void Scale<TGate>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> a, ReadOnlySpan<float> shift, ReadOnlySpan<float> yScale, ReadOnlySpan<float> yOffset, Span<float> dx)
        where TGate : INormalizationGate
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(dy[i..]);
                if (TGate.ReadsForward)
                {
                    g = TGate.Delta(g, new Vector<float>(x[i..]), new Vector<float>(shift[i..]), new Vector<float>(yScale[i..]), new Vector<float>(yOffset[i..]));
                }

                (new Vector<float>(a[i..]) * g).CopyTo(dx[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            float g = TGate.ReadsForward ? TGate.Delta(dy[i], x[i], shift[i], yScale[i], yOffset[i]) : dy[i];
            dx[i] = a[i] * g;
        }
    }

    private static void CheckLengths(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        if (dy.Length < x.Length || dx.Length < x.Length)
        {
            ThrowHelper.Argument(nameof(dx), "δy and δx must be at least as long as x.");
        }
    }
}
