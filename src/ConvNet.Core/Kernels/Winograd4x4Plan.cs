using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray 2016, interpolation points 0, ±1, ±2, ∞) for one 2-D, 3×3,
/// stride-1 convolution geometry: every 4×4 block of outputs ("tile") of map q is Y = Aᵀ [Σ_c (G g_qc Gᵀ) ⊙ (Bᵀ d_c B)] A,
/// where d_c is the 6×6 window of input map c under the tile, with
/// <code>
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
/// </code>
/// The sum over c is, for each of the 36 positions ξ of the 6×6 transform, one product M_ξ = U_ξ·V_ξ of the
/// transformed weights U_ξ [Q × C] with the transformed input tiles V_ξ [C × tiles]: 36 multiplications per tile and
/// channel pair instead of the direct 144, i.e. 4× fewer (F(2×2, 3×3), <see cref="WinogradPlan"/>, saves 2.25×). The
/// price is rounding: the transforms scale by up to 8, so the error is larger than F(2×2)'s (see the Winograd tests).
/// </summary>
internal sealed partial class Winograd4x4Plan : IWinogradPlan
{
    /// <summary>Positions ξ of the 6×6 transform.</summary>
    public const int Positions = 36;

    /// <summary>Tiles × (C + Q) of one block of tile rows: 3640, i.e. V and M together (36 floats per tile and map)
    /// at most 512 KB, as for <see cref="WinogradPlan.BlockBudget"/>.</summary>
    public const int BlockBudget = 3640;

    private readonly int _c, _h, _w, _oh, _ow, _ph, _pw, _q;

    /// <param name="c">Input maps.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="oh">Output height.</param>
    /// <param name="ow">Output width.</param>
    /// <param name="ph">Zero rows before the input (0 to 2).</param>
    /// <param name="pw">Zero columns before the input (0 to 2).</param>
    /// <param name="q">Output maps.</param>
    public Winograd4x4Plan(int c, int h, int w, int oh, int ow, int ph, int pw, int q)
    {
        (_c, _h, _w, _oh, _ow, _ph, _pw, _q) = (c, h, w, oh, ow, ph, pw, q);
        TilesHigh = (oh + 3) / 4;
        TilesWide = (ow + 3) / 4;
        BlockRows = ChooseBlockRows(c + q, TilesWide, TilesHigh);
        TilesPadded = ((BlockRows * TilesWide) + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;
        Quarter = TilesWide + 1;
        PaddedRows = (4 * TilesHigh) + 2;
        Lanes = Vector512.IsHardwareAccelerated && TilesWide >= Vector512<float>.Count ? Vector512<float>.Count
            : Vector256.IsHardwareAccelerated && TilesWide >= Vector256<float>.Count ? Vector256<float>.Count
            : Vector128.IsHardwareAccelerated && TilesWide >= Vector128<float>.Count ? Vector128<float>.Count
            : 1;
        Offsets = new int[c];
        for (int i = 0; i < c; i++)
        {
            Offsets[i] = i * TilesPadded;
        }
    }

    public int TilesHigh { get; }

    public int TilesWide { get; }

    /// <summary>Rows of tiles transformed and multiplied together: as many as keep V and M within
    /// <see cref="BlockBudget"/>, or more where the block's tiles would otherwise be padded by more than an eighth
    /// (the products run over <see cref="TilesPadded"/> columns: 4 tiles a row, one row a block, would multiply 16).</summary>
    public int BlockRows { get; }

    /// <summary>The tiles of a block rounded up to <see cref="ImplicitGemm.Align"/>: the row length of V and M.</summary>
    public int TilesPadded { get; }

    /// <summary>Padded columns of one phase (column ≡ 0, 1, 2 or 3 mod 4) of a padded input row: TilesWide + 1.</summary>
    public int Quarter { get; }

    public int PaddedRows { get; }

    /// <summary>Tiles per vector in the transforms: the widest accelerated vector no wider than a row of tiles
    /// (1: scalar).</summary>
    public int Lanes { get; }

    /// <summary>Row c of V_ξ starts at c·TilesPadded.</summary>
    public int[] Offsets { get; }

    /// <summary>Floats of the padded input of one sample (rows split into four phases).</summary>
    private int PaddedLength => _c * PaddedRows * 4 * Quarter;

    /// <summary>The padded input, then the transforms' spill of one vector of tiles (up to 40 vectors of 16 floats:
    /// T, 4 × 6, and Y, 4 × 4, of the output transform).</summary>
    public int InputLength => PaddedLength + (40 * 16);

    /// <summary>Floats of V for one block of tile rows (36 × C × TilesPadded).</summary>
    public int TransformedInputLength => Positions * _c * TilesPadded;

    /// <summary>Floats of M for one block of tile rows (36 × Q × TilesPadded).</summary>
    public int ProductLength => Positions * _q * TilesPadded;

    /// <summary>Floats of U (36 × Q × C).</summary>
    public int WeightLength => Positions * _q * _c;

    private static int ChooseBlockRows(int maps, int tilesWide, int tilesHigh)
    {
        int rows = Math.Clamp(BlockBudget / (maps * tilesWide), 1, tilesHigh);
        while (rows < tilesHigh)
        {
            int tiles = rows * tilesWide, padded = (tiles + ImplicitGemm.Align - 1) / ImplicitGemm.Align * ImplicitGemm.Align;
            if (8 * (padded - tiles) <= padded)
            {
                break;
            }

            rows++;
        }

        return rows;
    }

    /// <summary>Whether F(4×4, 3×3) applies: a 2-D 3×3 stride-1 undilated dense convolution, padding 0 to 2, rows of
    /// at least 4 tiles (the transforms run along a row of tiles in vectors) and at least
    /// <paramref name="minimumChannels"/> maps in and out.</summary>
    public static bool Pays(in ConvGeometry g, int outChannels, bool dense, int minimumChannels) =>
        WinogradPlan.IsWideDense3x3(g, outChannels, dense, minimumChannels) && g.PH is >= 0 and <= 2 && g.PW is >= 0 and <= 2
        && (g.OW + 3) / 4 >= 4;

    private static readonly double[] G =
    [
        1 / 4.0, 0, 0,
        -1 / 6.0, -1 / 6.0, -1 / 6.0,
        -1 / 6.0, 1 / 6.0, -1 / 6.0,
        1 / 24.0, 1 / 12.0, 1 / 6.0,
        1 / 24.0, -1 / 12.0, 1 / 6.0,
        0, 0, 1,
    ];

    /// <summary>U_ξ[q, c] = (G g_qc Gᵀ)_ξ, ξ = 6i + k, computed in double and rounded once.</summary>
    public void TransformWeights(ReadOnlySpan<float> weights, Span<float> u)
    {
        int qc = _q * _c;
        Span<double> gg = stackalloc double[18];
        for (int q = 0; q < _q; q++)
        {
            for (int c = 0; c < _c; c++)
            {
                ReadOnlySpan<float> g = weights.Slice(((q * _c) + c) * 9, 9);
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        gg[(3 * i) + j] = (G[3 * i] * g[j]) + (G[(3 * i) + 1] * g[3 + j]) + (G[(3 * i) + 2] * g[6 + j]);
                    }
                }

                int at = (q * _c) + c;
                for (int i = 0; i < 6; i++)
                {
                    for (int k = 0; k < 6; k++)
                    {
                        double s = (gg[3 * i] * G[3 * k]) + (gg[(3 * i) + 1] * G[(3 * k) + 1]) + (gg[(3 * i) + 2] * G[(3 * k) + 2]);
                        u[(((6 * i) + k) * qc) + at] = (float)s;
                    }
                }
            }
        }
    }

    /// <summary>One sample, one block of tile rows at a time (pad, transform the block's input tiles, 36 products,
    /// transform back), with vectors of <see cref="Lanes"/> tiles.</summary>
    public void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> eo, Span<float> v, Span<float> m, Span<float> y)
    {
        switch (Lanes)
        {
            case 16:
                Run<Vector512<float>, Simd512>(x, u, bias, eo, v, m, y);
                break;
            case 8:
                Run<Vector256<float>, Simd256>(x, u, bias, eo, v, m, y);
                break;
            case 4:
                Run<Vector128<float>, Simd128>(x, u, bias, eo, v, m, y);
                break;
            default:
                Run<float, SimdScalar>(x, u, bias, eo, v, m, y);
                break;
        }
    }

    private void Run<TV, TOps>(ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> eo, Span<float> v, Span<float> m, Span<float> y)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        Pad<TV, TOps>(x, eo);
        for (int ty0 = 0; ty0 < TilesHigh; ty0 += BlockRows)
        {
            int rows = Math.Min(BlockRows, TilesHigh - ty0);
            TransformInput<TV, TOps>(eo, v, ty0, rows);
            Multiply(u, v, m);
            TransformOutput<TV, TOps>(m, bias, y, eo, ty0, rows);
        }
    }

    /// <summary>Pads one sample x [C][H][W] into rows split into four phases: padded column 4k + p at p·Quarter + k.</summary>
    private void Pad<TV, TOps>(ReadOnlySpan<float> x, Span<float> eo)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        int row = 4 * Quarter;
        eo[..PaddedLength].Clear();
        ref float er = ref MemoryMarshal.GetReference(eo);
        ref float xr = ref MemoryMarshal.GetReference(x);

        // Input (i, j) lands at padded (i + ph, j + pw); rows and columns past the last window are not read, so not
        // copied (x was checked to hold C·H·W values by the layer).
        int rowsIn = Math.Min(_h, PaddedRows - _ph), n = Math.Min(_w, row - _pw);
        for (int c = 0; c < _c; c++)
        {
            for (int i = 0; i < rowsIn; i++)
            {
                SplitPhases<TV, TOps>(ref Unsafe.Add(ref xr, ((c * _h) + i) * _w), n, ref Unsafe.Add(ref er, ((c * PaddedRows) + i + _ph) * row), _pw, Quarter);
            }
        }
    }

    /// <summary>src[j] to padded column j + pw of a row split into four phases: four vectors of the row at a time, two
    /// rounds of <see cref="ISimdOps{TV}.Deinterleave"/> (evens and odds, then the evens and odds of each), the last
    /// four moved back to end at n (a multiple of 4 before it, so the phases stay put).</summary>
    private static void SplitPhases<TV, TOps>(ref float src, int n, ref float dst, int pw, int quarter)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        // src[4k + r] → phase (r + pw) mod 4, place k + (r + pw) / 4.
        ref float p0 = ref Unsafe.Add(ref dst, ((pw & 3) * quarter) + (pw >> 2));
        ref float p1 = ref Unsafe.Add(ref dst, (((pw + 1) & 3) * quarter) + ((pw + 1) >> 2));
        ref float p2 = ref Unsafe.Add(ref dst, (((pw + 2) & 3) * quarter) + ((pw + 2) >> 2));
        ref float p3 = ref Unsafe.Add(ref dst, (((pw + 3) & 3) * quarter) + ((pw + 3) >> 2));
        int vw = TOps.Count, done = 0;
        if (n >= 4 * vw)
        {
            int last = (n - (4 * vw)) & ~3;
            for (int j = 0; ; j += 4 * vw)
            {
                j = Math.Min(j, last);
                TOps.Deinterleave(TOps.Load(ref src, (nuint)j), TOps.Load(ref src, (nuint)(j + vw)), out var e0, out var o0);
                TOps.Deinterleave(TOps.Load(ref src, (nuint)(j + (2 * vw))), TOps.Load(ref src, (nuint)(j + (3 * vw))), out var e1, out var o1);
                TOps.Deinterleave(e0, e1, out var q0, out var q2);
                TOps.Deinterleave(o0, o1, out var q1, out var q3);
                nuint k = (nuint)(j >> 2);
                TOps.Store(q0, ref p0, k);
                TOps.Store(q1, ref p1, k);
                TOps.Store(q2, ref p2, k);
                TOps.Store(q3, ref p3, k);
                if (j == last)
                {
                    break;
                }
            }

            done = last + (4 * vw);
        }

        for (int j = done; j < n; j++)
        {
            Unsafe.Add(ref dst, (((j + pw) & 3) * quarter) + ((j + pw) >> 2)) = Unsafe.Add(ref src, j);
        }
    }

    /// <summary>M_ξ = U_ξ · V_ξ for the 36 positions (each cell summed over c in order with FMA).</summary>
    private void Multiply(ReadOnlySpan<float> u, ReadOnlySpan<float> v, Span<float> m)
    {
        int qc = _q * _c, cv = _c * TilesPadded, qv = _q * TilesPadded;
        for (int xi = 0; xi < Positions; xi++)
        {
            ImplicitGemm.Forward(_q, TilesPadded, _c, u.Slice(xi * qc, qc), _c, Offsets, v.Slice(xi * cv, cv), m.Slice(xi * qv, qv), TilesPadded);
        }
    }
}
