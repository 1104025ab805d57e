using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>
/// Winograd's minimal filtering F(2×2, 3×3) (Lavin &amp; Gray 2016) for one 2-D, 3×3, stride-1 convolution geometry:
/// every 2×2 block of outputs ("tile") of map q is Y = Aᵀ [Σ_c (G g_qc Gᵀ) ⊙ (Bᵀ d_c B)] A, where d_c is the 4×4
/// window of input map c under the tile, with
/// <code>
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1].
/// </code>
/// The sum over c is, for each of the 16 positions ξ of the 4×4 transform, one product M_ξ = U_ξ·V_ξ of the
/// transformed weights U_ξ [Q × C] with the transformed input tiles V_ξ [C × tiles]: 16 multiplications per tile and
/// channel pair instead of the direct 36, i.e. 2.25× fewer. The transforms only add, subtract and halve.
/// </summary>
internal sealed partial class WinogradPlan : IWinogradPlan
{
    private readonly int _c, _h, _w, _oh, _ow, _ph, _pw, _q;

    /// <param name="c">Input maps.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="oh">Output height.</param>
    /// <param name="ow">Output width.</param>
    /// <param name="ph">Zero rows before the input.</param>
    /// <param name="pw">Zero columns before the input.</param>
    /// <param name="q">Output maps.</param>
    public WinogradPlan(int c, int h, int w, int oh, int ow, int ph, int pw, int q)
    {
        (_c, _h, _w, _oh, _ow, _ph, _pw, _q) = (c, h, w, oh, ow, ph, pw, q);
        TilesHigh = (oh + 1) / 2;
        TilesWide = (ow + 1) / 2;
        Tiles = TilesHigh * TilesWide;
        BlockRows = Math.Clamp(BlockBudget / ((c + q) * TilesWide), 1, TilesHigh);
        TilesPadded = ((BlockRows * TilesWide) + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;
        Half = TilesWide + 1;
        PaddedRows = (2 * TilesHigh) + 2;
        Offsets = new int[c];
        for (int i = 0; i < c; i++)
        {
            Offsets[i] = i * TilesPadded;
        }
    }

    public int TilesHigh { get; }

    public int TilesWide { get; }

    /// <summary>Tiles × (C + Q) of one block of tile rows: 8192, i.e. V and M together 512 KB. At most 64 tiles for
    /// 64 → 64 maps, 32 for 128 → 128 (a fixed 96 tiles overflowed L2 there: see docs/performance.md).</summary>
    public const int BlockBudget = 8192;

    /// <summary>Tiles per sample.</summary>
    public int Tiles { get; }

    /// <summary>Rows of tiles transformed and multiplied together: as many as keep V and M (16 floats per tile and map,
    /// in and out) within <see cref="BlockBudget"/> · 16 floats (512 KB), so that they stay in a 1 MB L2 next to U.</summary>
    public int BlockRows { get; }

    /// <summary>The tiles of a block rounded up to <see cref="ImplicitGemm.Align"/>: the row length of V and M.</summary>
    public int TilesPadded { get; }

    /// <summary>Even (and odd) columns per padded input row: TilesWide + 1.</summary>
    public int Half { get; }

    public int PaddedRows { get; }

    /// <summary>Row c of V_ξ starts at c·TilesPadded.</summary>
    public int[] Offsets { get; }

    /// <summary>Floats of the deinterleaved padded input of one sample.</summary>
    public int InputLength => _c * PaddedRows * 2 * Half;

    /// <summary>Floats of V for one block of tile rows (16 × C × TilesPadded).</summary>
    public int TransformedInputLength => 16 * _c * TilesPadded;

    /// <summary>Floats of M for one block of tile rows (16 × Q × TilesPadded).</summary>
    public int ProductLength => 16 * _q * TilesPadded;

    /// <summary>Floats of U (16 × Q × C).</summary>
    public int WeightLength => 16 * _q * _c;

    /// <summary>The fewest maps in and out for which F(2×2, 3×3) beats the direct implicit GEMM (measured on a 2-core
    /// Zen 3 with AVX2, batches of 16–64: 64→64 at 56² forward 1.27×, forward + δx + ∂E/∂W 1.15×; 32→32 and 16→16 at 28²
    /// 0.73–0.77×, where the transforms cost more than the multiplications saved).</summary>
    public const int MinimumChannels = 64;

    /// <summary>Whether F(2×2, 3×3) applies: a 2-D 3×3 stride-1 undilated dense convolution with rows of at least 8
    /// tiles (the transforms run along a row of tiles in vectors) and at least <paramref name="minimumChannels"/> maps
    /// in and out.</summary>
    public static bool Pays(in ConvGeometry g, int outChannels, bool dense, int minimumChannels = MinimumChannels) =>
        IsWideDense3x3(g, outChannels, dense, minimumChannels) && (g.OW + 1) / 2 >= 8 && (g.W + 1) / 2 >= 8;

    /// <summary>What every Winograd tiling needs: a 2-D 3×3 stride-1 undilated dense convolution with at least
    /// <paramref name="minimumChannels"/> maps in and out.</summary>
    public static bool IsWideDense3x3(in ConvGeometry g, int outChannels, bool dense, int minimumChannels) =>
        dense && g.D == 1 && g.KD == 1 && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1
        && g.C >= minimumChannels && outChannels >= minimumChannels;

    /// <summary>U_ξ[q, c] = (G g_qc Gᵀ)_ξ for weights laid out [Q][C][3][3].</summary>
    public void TransformWeights(ReadOnlySpan<float> weights, Span<float> u)
    {
        int qc = _q * _c;
        Span<float> gg = stackalloc float[12];
        for (int q = 0; q < _q; q++)
        {
            for (int c = 0; c < _c; c++)
            {
                ReadOnlySpan<float> g = weights.Slice(((q * _c) + c) * 9, 9);

                // G g (4 × 3), then (G g) Gᵀ row by row.
                for (int j = 0; j < 3; j++)
                {
                    float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                    gg[j] = g0;
                    gg[3 + j] = 0.5f * (g0 + g1 + g2);
                    gg[6 + j] = 0.5f * (g0 - g1 + g2);
                    gg[9 + j] = g2;
                }

                for (int i = 0; i < 4; i++)
                {
                    float a = gg[3 * i], b = gg[(3 * i) + 1], d = gg[(3 * i) + 2];
                    int at = (q * _c) + c;
                    u[((4 * i) * qc) + at] = a;
                    u[(((4 * i) + 1) * qc) + at] = 0.5f * (a + b + d);
                    u[(((4 * i) + 2) * qc) + at] = 0.5f * (a - b + d);
                    u[(((4 * i) + 3) * qc) + at] = d;
                }
            }
        }
    }

    /// <summary>One sample: y = the convolution of x [C][H][W] with the weights transformed into u, plus the bias, one
    /// block of tile rows at a time (pad, transform the block's input tiles, 16 products, transform back).</summary>
    public void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> eo, Span<float> v, Span<float> m, Span<float> y)
    {
        Pad(x, eo);
        for (int ty0 = 0; ty0 < TilesHigh; ty0 += BlockRows)
        {
            int rows = Math.Min(BlockRows, TilesHigh - ty0);
            TransformInput(eo, v, ty0, rows);
            Multiply(u, v, m);
            TransformOutput(m, bias, y, ty0, rows);
        }
    }

    /// <summary>Pads one sample x [C][H][W] into rows split into even and odd padded columns.</summary>
    private void Pad(ReadOnlySpan<float> x, Span<float> eo)
    {
        int row = 2 * Half;
        eo[..InputLength].Clear();
        ref float er = ref MemoryMarshal.GetReference(eo);
        ref float xr0 = ref MemoryMarshal.GetReference(x);

        // Input column j lands at padded column j + pw: the even padded columns in the row's first half, the odd ones
        // in its second half. Two strided copies per row (x was checked to hold C·H·W values by the layer).
        int firstEven = _pw & 1, evenAt = (firstEven + _pw) >> 1, oddAt = Half + ((1 - firstEven + _pw) >> 1);
        for (int c = 0; c < _c; c++)
        {
            for (int i = 0; i < _h; i++)
            {
                ref float dst = ref Unsafe.Add(ref er, ((c * PaddedRows) + i + _ph) * row);
                ref float src = ref Unsafe.Add(ref xr0, ((c * _h) + i) * _w);
                ref float even = ref Unsafe.Add(ref dst, evenAt);
                for (int j = firstEven, k = 0; j < _w; j += 2, k++)
                {
                    Unsafe.Add(ref even, k) = Unsafe.Add(ref src, j);
                }

                ref float odd = ref Unsafe.Add(ref dst, oddAt);
                for (int j = 1 - firstEven, k = 0; j < _w; j += 2, k++)
                {
                    Unsafe.Add(ref odd, k) = Unsafe.Add(ref src, j);
                }
            }
        }

    }

    /// <summary>V_ξ[c, t] = (Bᵀ d_c,t B)_ξ for the tiles of rows [ty0, ty0 + rows); the padding columns of V zero.</summary>
    private void TransformInput(Span<float> eo, Span<float> v, int ty0, int rows)
    {
        int row = 2 * Half;
        int tw = TilesWide, vw = Vector<float>.Count, plane = _c * TilesPadded;
        ref float vr = ref MemoryMarshal.GetReference(v);
        for (int c = 0; c < _c; c++)
        {
            for (int ty = ty0; ty < ty0 + rows; ty++)
            {
                ref float r0 = ref MemoryMarshal.GetReference(eo.Slice(((c * PaddedRows) + (2 * ty)) * row));
                ref float r1 = ref Unsafe.Add(ref r0, row);
                ref float r2 = ref Unsafe.Add(ref r1, row);
                ref float r3 = ref Unsafe.Add(ref r2, row);
                ref float out0 = ref Unsafe.Add(ref vr, (c * TilesPadded) + ((ty - ty0) * tw));
                if (tw < vw)
                {
                    for (int tx = 0; tx < tw; tx++)
                    {
                        InputTileScalar(ref r0, ref r1, ref r2, ref r3, tx, Half, ref Unsafe.Add(ref out0, tx), plane);
                    }

                    continue;
                }

                // The last vector is moved back to end at tw: a few tiles are transformed twice, to the same values.
                for (int tx = 0; ; tx += vw)
                {
                    int at = Math.Min(tx, tw - vw);
                    InputTile(ref r0, ref r1, ref r2, ref r3, at, Half, ref Unsafe.Add(ref out0, at), plane);
                    if (at + vw >= tw)
                    {
                        break;
                    }
                }
            }
        }

        int used = rows * tw;
        for (int xi = 0; xi < 16; xi++)
        {
            for (int c = 0; c < _c; c++)
            {
                v.Slice((xi * plane) + (c * TilesPadded) + used, TilesPadded - used).Clear();
            }
        }
    }

    /// <summary>M_ξ = U_ξ · V_ξ for the 16 positions (each cell summed over c in order with FMA).</summary>
    private void Multiply(ReadOnlySpan<float> u, ReadOnlySpan<float> v, Span<float> m)
    {
        int qc = _q * _c, cv = _c * TilesPadded, qv = _q * TilesPadded;
        for (int xi = 0; xi < 16; xi++)
        {
            ImplicitGemm.Forward(_q, TilesPadded, _c, u.Slice(xi * qc, qc), _c, Offsets, v.Slice(xi * cv, cv), m.Slice(xi * qv, qv), TilesPadded);
        }
    }

    /// <summary>y[q] = Aᵀ M_q,t A + b_q for the tiles t of rows [ty0, ty0 + rows), the outputs past the map's edge dropped.</summary>
    private void TransformOutput(ReadOnlySpan<float> m, ReadOnlySpan<float> bias, Span<float> y, int ty0, int rows)
    {
        int tw = TilesWide, vw = Vector<float>.Count, plane = _q * TilesPadded;
        Span<float> t = stackalloc float[4 * Vector<float>.Count];
        ref float tr = ref MemoryMarshal.GetReference(t);
        ref float mr = ref MemoryMarshal.GetReference(m);
        for (int q = 0; q < _q; q++)
        {
            float b = bias.IsEmpty ? 0f : bias[q];
            Span<float> yq = y.Slice(q * _oh * _ow, _oh * _ow);
            for (int ty = ty0; ty < ty0 + rows; ty++)
            {
                ref float m0 = ref Unsafe.Add(ref mr, (q * TilesPadded) + ((ty - ty0) * tw));
                int oh = 2 * ty;
                bool second = oh + 1 < _oh;
                if (tw < vw)
                {
                    for (int tx = 0; tx < tw; tx++)
                    {
                        OutputTileScalar(ref Unsafe.Add(ref m0, tx), plane, b, out float y00, out float y01, out float y10, out float y11);
                        Write(yq, oh, 2 * tx, second, y00, y01, y10, y11);
                    }

                    continue;
                }

                // As the input: the last vector moved back to end at tw (its overlap written twice with the same values).
                for (int tx = 0; ; tx += vw)
                {
                    int at = Math.Min(tx, tw - vw);
                    OutputTile(ref Unsafe.Add(ref m0, at), plane, b, t);
                    int l = 0;
                    if (second)
                    {
                        // Whole tiles: four stores each, no edge tests.
                        ref float y0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(yq), (oh * _ow) + (2 * at));
                        ref float y1 = ref Unsafe.Add(ref y0, _ow);
                        int whole = Math.Min(vw, (_ow / 2) - at);
                        for (; l < whole; l++)
                        {
                            Unsafe.Add(ref y0, 2 * l) = Unsafe.Add(ref tr, l);
                            Unsafe.Add(ref y0, (2 * l) + 1) = Unsafe.Add(ref tr, vw + l);
                            Unsafe.Add(ref y1, 2 * l) = Unsafe.Add(ref tr, (2 * vw) + l);
                            Unsafe.Add(ref y1, (2 * l) + 1) = Unsafe.Add(ref tr, (3 * vw) + l);
                        }
                    }

                    for (; l < vw; l++)
                    {
                        Write(yq, oh, 2 * (at + l), second, t[l], t[vw + l], t[(2 * vw) + l], t[(3 * vw) + l]);
                    }

                    if (at + vw >= tw)
                    {
                        break;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Write(Span<float> yq, int oh, int ow, bool second, float y00, float y01, float y10, float y11)
    {
        int o = (oh * _ow) + ow;
        bool right = ow + 1 < _ow;
        yq[o] = y00;
        if (right)
        {
            yq[o + 1] = y01;
        }

        if (second)
        {
            yq[o + _ow] = y10;
            if (right)
            {
                yq[o + _ow + 1] = y11;
            }
        }
    }
}
