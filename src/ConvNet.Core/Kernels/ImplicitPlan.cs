using System;

namespace ConvNet.Kernels;

/// <summary>
/// The layout of a stride-1 convolution for <see cref="ImplicitGemm"/>. Forward and ∂E/∂W work on the input
/// zero-padded to D′×H′ rows of pitch W′, D′×H′ = (OD + (KD−1)·dd) × (OH + (KH−1)·dh); the output position
/// (od, oh, ow) is flat index od·H′W′ + oh·W′ + ow, and row (c, kd, kh, kw) of the virtual column matrix starts at
/// c·D′H′W′ + kd·dd·H′W′ + kh·dh·W′ + kw·dw. The local sensitivity δ_p = Σ_q δ_q *full w_qp is the same product over
/// δ padded by (K−1)·d − P_before before and (K−1)·d − P_after after each dimension, with the kernel rotated and the
/// channel roles swapped. A row's padding after its values is shared with the next row's padding before them: the
/// pitch is W + P_before + max(0, P_after − P_before) rather than W + P_before + P_after, because a read that runs
/// past the end of a row lands in the next row's leading zeros. Fewer padding positions are computed and dropped: a
/// valid 5×5 over a 10×10 δ (LeNet's C3 δx) computes 14 × 14 positions instead of 14 × 18.
/// </summary>
internal sealed class ImplicitPlan
{
    private readonly ConvGeometry _g;
    private readonly int _q;

    public ImplicitPlan(in ConvGeometry g, int outChannels)
    {
        _g = g;
        _q = outChannels;
        Wp = g.OW + ((g.KW - 1) * g.DW) - SharedColumns(g.PW, g.OW + ((g.KW - 1) * g.DW) - g.W - g.PW);
        int hp = g.OH + ((g.KH - 1) * g.DH);
        int dp = g.OD + ((g.KD - 1) * g.DD);
        HpWp = hp * Wp;
        Plane = dp * HpWp;
        N = RoundUp(((g.OD - 1) * HpWp) + ((g.OH - 1) * Wp) + g.OW);
        InputStride = g.C * Plane;
        DeltaStride = outChannels * N;

        int ebW = ((g.KW - 1) * g.DW) - g.PW;
        We = g.W + ((g.KW - 1) * g.DW) - SharedColumns(ebW, g.W - g.OW + g.PW);
        HeWe = (g.H + ((g.KH - 1) * g.DH)) * We;
        PlaneE = (g.D + ((g.KD - 1) * g.DD)) * HeWe;
        EbD = ((g.KD - 1) * g.DD) - g.PD;
        EbH = ((g.KH - 1) * g.DH) - g.PH;
        EbW = ebW;
        N2 = RoundUp(((g.D - 1) * HeWe) + ((g.H - 1) * We) + g.W);

        Offsets = KernelOffsets(g.C, Plane, HpWp, Wp, g);
        DeltaOffsets = KernelOffsets(outChannels, PlaneE, HeWe, We, g);
    }

    /// <summary>Row pitch W′ of the padded input.</summary>
    public int Wp { get; }

    /// <summary>H′·W′.</summary>
    public int HpWp { get; }

    /// <summary>D′·H′·W′: one padded input plane.</summary>
    public int Plane { get; }

    /// <summary>Flat output positions computed per sample (a multiple of <see cref="ImplicitGemm.Align"/>).</summary>
    public int N { get; }

    /// <summary>Floats per padded input sample: C·D′H′W′.</summary>
    public int InputStride { get; }

    /// <summary>Floats per sample of δ in the padded-pitch layout: Q·N.</summary>
    public int DeltaStride { get; }

    /// <summary>Row pitch of the padded δ.</summary>
    public int We { get; }

    /// <summary>Rows × pitch of one padded δ plane (2-D part).</summary>
    public int HeWe { get; }

    /// <summary>One padded δ plane.</summary>
    public int PlaneE { get; }

    /// <summary>Flat input positions computed per sample in the backward product (multiple of the alignment).</summary>
    public int N2 { get; }

    /// <summary>Floats of one sample's padded δ: Q·PlaneE.</summary>
    public int PaddedDeltaLength => _q * PlaneE;

    /// <summary>Start of row (c, kd, kh, kw) of the virtual column matrix of the padded input.</summary>
    public int[] Offsets { get; }

    /// <summary>Start of row (q, kd, kh, kw) of the virtual column matrix of the padded δ.</summary>
    public int[] DeltaOffsets { get; }

    private int EbD { get; }

    private int EbH { get; }

    private int EbW { get; }

    /// <summary>
    /// Stride 1 everywhere, no padding wider than the dilated kernel (which the full correlation would crop), and at
    /// least half of the computed positions are real outputs (a 5×5 kernel over a 5×5 map has 1 output in 16 computed
    /// positions: im2col is the better plan there).
    /// </summary>
    public static bool Supports(in ConvGeometry g, int outChannels)
    {
        if (g.SD != 1 || g.SH != 1 || g.SW != 1)
        {
            return false;
        }

        // Padding after = padded length − input − padding before; both must fit inside (K − 1)·d.
        int pdA = g.OD + ((g.KD - 1) * g.DD) - g.D - g.PD;
        int phA = g.OH + ((g.KH - 1) * g.DH) - g.H - g.PH;
        int pwA = g.OW + ((g.KW - 1) * g.DW) - g.W - g.PW;
        return g.PD <= (g.KD - 1) * g.DD && g.PH <= (g.KH - 1) * g.DH && g.PW <= (g.KW - 1) * g.DW
            && pdA <= (g.KD - 1) * g.DD && phA <= (g.KH - 1) * g.DH && pwA <= (g.KW - 1) * g.DW
            && outChannels > 0
            && 2L * g.OutputVolume >= Positions(g)
            && FitsInt(g, outChannels);
    }

    /// <summary>Every padded buffer and offset of the plan must be addressable with int (else im2col takes the layer).</summary>
    private static bool FitsInt(in ConvGeometry g, int outChannels)
    {
        long plane = (long)(g.OD + ((g.KD - 1) * (long)g.DD)) * (g.OH + ((g.KH - 1) * (long)g.DH)) * (g.OW + ((g.KW - 1) * (long)g.DW));
        long planeE = (long)(g.D + ((g.KD - 1) * (long)g.DD)) * (g.H + ((g.KH - 1) * (long)g.DH)) * (g.W + ((g.KW - 1) * (long)g.DW));
        long limit = int.MaxValue - (4L * ImplicitGemm.Align);
        long channels = Math.Max(g.C, outChannels);
        // One plane more than the channels: the buffers' tail (a pitch past the planes) fits too.
        return (channels + 1) * plane < limit && (channels + 1) * planeE < limit && channels * Positions(g) < limit;
    }

    private static long Positions(in ConvGeometry g)
    {
        long wp = g.OW + ((g.KW - 1) * g.DW) - SharedColumns(g.PW, g.OW + ((g.KW - 1) * g.DW) - g.W - g.PW), hp = g.OH + ((g.KH - 1) * g.DH);
        long last = ((g.OD - 1) * hp * wp) + ((g.OH - 1) * wp) + g.OW;
        return (last + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;
    }

    /// <summary>Samples per ∂E/∂W pass: as many as fit in about 64 K floats (256 KB, half a 512 KB L2) of padded input and δ, at most a chunk.</summary>
    public int GroupSize(int batch, int chunks)
    {
        int chunkSize = (batch + chunks - 1) / chunks;
        return Math.Clamp((1 << 16) / Math.Max(1, InputStride + DeltaStride), 1, chunkSize);
    }

    /// <summary>W_rot[p, q, k′] = W[q, p, K−1−k′]: every spatial axis flipped, input and output channels swapped.</summary>
    public void RotateWeights(ReadOnlySpan<float> w, Span<float> rotated)
    {
        int kv = _g.KernelVolume, c = _g.C;
        for (int q = 0; q < _q; q++)
        {
            for (int p = 0; p < c; p++)
            {
                ReadOnlySpan<float> src = w.Slice(((q * c) + p) * kv, kv);
                Span<float> dst = rotated.Slice(((p * _q) + q) * kv, kv);
                for (int i = 0; i < kv; i++)
                {
                    dst[i] = src[kv - 1 - i];
                }
            }
        }
    }

    /// <summary>Copies one sample x[C, D, H, W] into the interior of its padded planes (the border stays zero).</summary>
    public void PadInput(ReadOnlySpan<float> x, Span<float> dst)
    {
        var g = _g;
        int iv = g.InputVolume;
        for (int c = 0; c < g.C; c++)
        {
            for (int d = 0; d < g.D; d++)
            {
                for (int h = 0; h < g.H; h++)
                {
                    ShortRow.Copy(x.Slice((c * iv) + (((d * g.H) + h) * g.W), g.W),
                        dst.Slice((c * Plane) + ((d + g.PD) * HpWp) + ((h + g.PH) * Wp) + g.PW, g.W));
                }
            }
        }
    }

    /// <summary>y[q, od, oh, ow] = tmp[q·ld + od·H′W′ + oh·W′ + ow] + b_q for maps [q0, q1) (the padding columns dropped).</summary>
    public void GatherOutput(ReadOnlySpan<float> tmp, int ld, int q0, int q1, ReadOnlySpan<float> bias, Span<float> y)
    {
        var g = _g;
        int ov = g.OutputVolume;
        for (int j = q0; j < q1; j++)
        {
            float b = bias.IsEmpty ? 0f : bias[j];
            for (int od = 0; od < g.OD; od++)
            {
                for (int oh = 0; oh < g.OH; oh++)
                {
                    ShortRow.Add(tmp.Slice((j * ld) + (od * HpWp) + (oh * Wp), g.OW), b, y.Slice((j * ov) + (((od * g.OH) + oh) * g.OW), g.OW));
                }
            }
        }
    }

    /// <summary>δ[q, od, oh, ow] → dst[q·N + od·H′W′ + oh·W′ + ow] (the padding columns stay zero).</summary>
    public void ScatterDelta(ReadOnlySpan<float> dy, int q, Span<float> dst)
    {
        var g = _g;
        int ov = g.OutputVolume;
        for (int j = 0; j < q; j++)
        {
            for (int od = 0; od < g.OD; od++)
            {
                for (int oh = 0; oh < g.OH; oh++)
                {
                    ShortRow.Copy(dy.Slice((j * ov) + (((od * g.OH) + oh) * g.OW), g.OW), dst.Slice((j * N) + (od * HpWp) + (oh * Wp), g.OW));
                }
            }
        }
    }

    /// <summary>δ[q, od, oh, ow] → the interior of its plane padded by (K−1)·d − P_before (the border stays zero).</summary>
    public void PadDelta(ReadOnlySpan<float> dy, int q, Span<float> dst)
    {
        var g = _g;
        int ov = g.OutputVolume;
        for (int j = 0; j < q; j++)
        {
            for (int od = 0; od < g.OD; od++)
            {
                for (int oh = 0; oh < g.OH; oh++)
                {
                    ShortRow.Copy(dy.Slice((j * ov) + (((od * g.OH) + oh) * g.OW), g.OW),
                        dst.Slice((j * PlaneE) + ((od + EbD) * HeWe) + ((oh + EbH) * We) + EbW, g.OW));
                }
            }
        }
    }

    /// <summary>dx[p, d, h, w] = tmp[p·N2 + d·H″W″ + h·W″ + w].</summary>
    public void GatherInputGradient(ReadOnlySpan<float> tmp, Span<float> dx)
    {
        var g = _g;
        int iv = g.InputVolume;
        for (int p = 0; p < g.C; p++)
        {
            for (int d = 0; d < g.D; d++)
            {
                for (int h = 0; h < g.H; h++)
                {
                    ShortRow.Copy(tmp.Slice((p * N2) + (d * HeWe) + (h * We), g.W), dx.Slice((p * iv) + (((d * g.H) + h) * g.W), g.W));
                }
            }
        }
    }

    /// <summary>
    /// The padding columns a row can leave to the next row: min(before, after). A read past a row's end reaches at most
    /// P_after columns beyond its values; the first min(P_before, P_after) of them are the next row's leading zeros.
    /// </summary>
    private static int SharedColumns(int before, int after) => Math.Max(0, Math.Min(before, after));

    private static int[] KernelOffsets(int channels, int plane, int hw, int pitch, in ConvGeometry g)
    {
        var offsets = new int[channels * g.KernelVolume];
        int i = 0;
        for (int c = 0; c < channels; c++)
        {
            for (int kd = 0; kd < g.KD; kd++)
            {
                for (int kh = 0; kh < g.KH; kh++)
                {
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        offsets[i++] = (c * plane) + (kd * g.DD * hw) + (kh * g.DH * pitch) + (kw * g.DW);
                    }
                }
            }
        }

        return offsets;
    }

    private static int RoundUp(int n) => (n + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;
}
