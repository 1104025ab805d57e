using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// Geometry of an N-d (1..3) convolution, padded to 3-D with leading size-1 dimensions:
/// input C×D×H×W, kernel KD×KH×KW, output OD×OH×OW, stride, dilation and the zero padding before each dimension.
/// </summary>
internal readonly record struct ConvGeometry(
    int C, int D, int H, int W,
    int KD, int KH, int KW,
    int OD, int OH, int OW,
    int SD, int SH, int SW,
    int DD, int DH, int DW,
    int PD, int PH, int PW)
{
    public int KernelVolume => KD * KH * KW;

    public int InputVolume => D * H * W;

    public int OutputVolume => OD * OH * OW;

    /// <summary>Rows of the column matrix: C·KD·KH·KW.</summary>
    public int ColumnRows => C * KernelVolume;
}

/// <summary>
/// im2col / col2im: lay every receptive field out as a column so that the lecture's
/// y_q = Σ_p y_p *valid rot180(w_qp) + b_q becomes one matrix product Y = W·col + b.
/// col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw] (0 outside).
/// </summary>
internal static class Im2Col
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> col, in ConvGeometry g) => Forward(x, col, g, g.OutputVolume);

    /// <summary>As <see cref="Forward(ReadOnlySpan{float}, Span{float}, in ConvGeometry)"/>, with the rows of col
    /// <paramref name="ld"/> apart (several samples side by side: col[:, s·OV .. (s+1)·OV]).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> col, in ConvGeometry g, int ld)
    {
        Debug.Assert(x.Length >= g.C * g.InputVolume);
        int ov = g.OutputVolume;
        Debug.Assert(col.Length >= ((g.ColumnRows - 1) * ld) + ov);
        int row = 0;
        for (int c = 0; c < g.C; c++)
        {
            ReadOnlySpan<float> xc = x.Slice(c * g.InputVolume, g.InputVolume);
            for (int kd = 0; kd < g.KD; kd++)
            {
                for (int kh = 0; kh < g.KH; kh++)
                {
                    for (int kw = 0; kw < g.KW; kw++, row++)
                    {
                        Span<float> dst = col.Slice(row * ld, ov);
                        int w0 = (kw * g.DW) - g.PW;
                        var (lo, hi) = ColumnRange(w0, g.SW, g.W, g.OW); // the same for every output row
                        int o = 0;
                        for (int od = 0; od < g.OD; od++)
                        {
                            int d = (od * g.SD) - g.PD + (kd * g.DD);
                            bool dIn = (uint)d < (uint)g.D;
                            for (int oh = 0; oh < g.OH; oh++)
                            {
                                int h = (oh * g.SH) - g.PH + (kh * g.DH);
                                if (!dIn || (uint)h >= (uint)g.H)
                                {
                                    dst.Slice(o, g.OW).Clear();
                                    o += g.OW;
                                    continue;
                                }

                                ReadOnlySpan<float> src = xc.Slice(((d * g.H) + h) * g.W, g.W);
                                if (g.SW == 1)
                                {
                                    // Contiguous run (zeros where w0 + ow is outside [0, W)); short runs (small maps) are copied element by element, which
                                    // beats the call overhead of Span.CopyTo/Clear.
                                    if (g.OW <= 16)
                                    {
                                        ref float d0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(dst), o);
                                        ref float s0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), w0);
                                        for (int ow = 0; ow < lo; ow++)
                                        {
                                            Unsafe.Add(ref d0, ow) = 0f;
                                        }

                                        for (int ow = lo; ow < hi; ow++)
                                        {
                                            Unsafe.Add(ref d0, ow) = Unsafe.Add(ref s0, ow);
                                        }

                                        for (int ow = hi; ow < g.OW; ow++)
                                        {
                                            Unsafe.Add(ref d0, ow) = 0f;
                                        }
                                    }
                                    else
                                    {
                                        dst.Slice(o, lo).Clear();
                                        if (hi > lo)
                                        {
                                            src.Slice(w0 + lo, hi - lo).CopyTo(dst.Slice(o + lo));
                                        }

                                        dst.Slice(o + hi, g.OW - hi).Clear();
                                    }

                                    o += g.OW;
                                }
                                else
                                {
                                    // Strided: zeros outside [lo, hi), then a gather without per-element tests.
                                    ref float d0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(dst), o);
                                    ref float s0 = ref MemoryMarshal.GetReference(src);
                                    for (int ow = 0; ow < lo; ow++)
                                    {
                                        Unsafe.Add(ref d0, ow) = 0f;
                                    }

                                    for (int ow = lo, w = (lo * g.SW) + w0; ow < hi; ow++, w += g.SW)
                                    {
                                        Unsafe.Add(ref d0, ow) = Unsafe.Add(ref s0, w);
                                    }

                                    for (int ow = hi; ow < g.OW; ow++)
                                    {
                                        Unsafe.Add(ref d0, ow) = 0f;
                                    }

                                    o += g.OW;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of im2col: dx[...] += dcol[...] over every receptive field (dx is cleared first).</summary>
    public static void Backward(ReadOnlySpan<float> col, Span<float> dx, in ConvGeometry g) => Backward(col, dx, g, g.OutputVolume);

    /// <summary>As <see cref="Backward(ReadOnlySpan{float}, Span{float}, in ConvGeometry)"/>, with the rows of col
    /// <paramref name="ld"/> apart.</summary>
    public static void Backward(ReadOnlySpan<float> col, Span<float> dx, in ConvGeometry g, int ld)
    {
        Debug.Assert(dx.Length >= g.C * g.InputVolume);
        int ov = g.OutputVolume;
        dx.Slice(0, g.C * g.InputVolume).Clear();
        int row = 0;
        for (int c = 0; c < g.C; c++)
        {
            Span<float> xc = dx.Slice(c * g.InputVolume, g.InputVolume);
            for (int kd = 0; kd < g.KD; kd++)
            {
                for (int kh = 0; kh < g.KH; kh++)
                {
                    for (int kw = 0; kw < g.KW; kw++, row++)
                    {
                        ReadOnlySpan<float> src = col.Slice(row * ld, ov);
                        int w0 = (kw * g.DW) - g.PW;
                        var (lo, hi) = ColumnRange(w0, g.SW, g.W, g.OW); // the same for every output row
                        int o = 0;
                        for (int od = 0; od < g.OD; od++)
                        {
                            int d = (od * g.SD) - g.PD + (kd * g.DD);
                            bool dIn = (uint)d < (uint)g.D;
                            for (int oh = 0; oh < g.OH; oh++)
                            {
                                int h = (oh * g.SH) - g.PH + (kh * g.DH);
                                if (!dIn || (uint)h >= (uint)g.H)
                                {
                                    o += g.OW;
                                    continue;
                                }

                                Span<float> dst = xc.Slice(((d * g.H) + h) * g.W, g.W);
                                if (g.SW == 1)
                                {
                                    if (hi > lo)
                                    {
                                        Span<float> run = dst.Slice(w0 + lo, hi - lo);
                                        TensorPrimitives.Add(run, src.Slice(o + lo, hi - lo), run);
                                    }

                                    o += g.OW;
                                }
                                else
                                {
                                    ref float d0 = ref MemoryMarshal.GetReference(dst);
                                    ref float s0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), o);
                                    for (int ow = lo, w = (lo * g.SW) + w0; ow < hi; ow++, w += g.SW)
                                    {
                                        Unsafe.Add(ref d0, w) += Unsafe.Add(ref s0, ow);
                                    }

                                    o += g.OW;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [lo, hi) whose input column w = ow · stride + w0 lies in [0, width), clamped to
    /// [0, outWidth): lo = ⌈−w0 / stride⌉, hi = ⌊(width − 1 − w0) / stride⌋ + 1.</summary>
    internal static (int Lo, int Hi) ColumnRange(int w0, int stride, int width, int outWidth)
    {
        // In long: −w0 + stride − 1 and width − 1 − w0 exceed int for huge strides or paddings.
        int lo = w0 >= 0 ? 0 : (int)Math.Min(outWidth, (-(long)w0 + stride - 1) / stride);
        int hi = w0 > width - 1 ? lo : (int)Math.Clamp((((long)width - 1 - w0) / stride) + 1, lo, outWidth);
        return (lo, hi);
    }
}
