using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

/// <summary>The tile transforms of <see cref="Winograd4x4Plan"/>: Bᵀ d B of 6×6 input windows and Aᵀ m A of 6×6
/// products, written once for every vector width (<see cref="ISimdOps{TV}"/>; one lane per tile of a row, the scalar
/// width included), each transform as two passes of its 1-D form through a spill of one vector of tiles.</summary>
internal sealed partial class Winograd4x4Plan
{
    /// <summary>V_ξ[c, t] = (Bᵀ d_c,t B)_ξ for the tiles of rows [ty0, ty0 + rows); the padding columns of V zero.</summary>
    private void TransformInput<TV, TOps>(Span<float> eo, Span<float> v, int ty0, int rows)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        int row = 4 * Quarter, tw = TilesWide, vw = TOps.Count, plane = _c * TilesPadded;
        ref float er = ref MemoryMarshal.GetReference(eo);
        ref float spill = ref Unsafe.Add(ref er, PaddedLength);
        ref float vr = ref MemoryMarshal.GetReference(v);
        for (int c = 0; c < _c; c++)
        {
            for (int ty = ty0; ty < ty0 + rows; ty++)
            {
                ref float r0 = ref Unsafe.Add(ref er, ((c * PaddedRows) + (4 * ty)) * row);
                ref float out0 = ref Unsafe.Add(ref vr, (c * TilesPadded) + ((ty - ty0) * tw));

                // The last vector is moved back to end at tw: a few tiles are transformed twice, to the same values.
                for (int tx = 0; ; tx += vw)
                {
                    int at = Math.Min(tx, tw - vw);
                    InputTiles<TV, TOps>(ref r0, row, Quarter, at, ref Unsafe.Add(ref out0, at), plane, ref spill);
                    if (at + vw >= tw)
                    {
                        break;
                    }
                }
            }
        }

        int used = rows * tw;
        for (int xi = 0; xi < Positions; xi++)
        {
            for (int c = 0; c < _c; c++)
            {
                v.Slice((xi * plane) + (c * TilesPadded) + used, TilesPadded - used).Clear();
            }
        }
    }

    /// <summary>The lanes' tiles whose windows start at padded column 4·at: E = rows of the window through Bᵀ into the
    /// spill, then V = columns of E through Bᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTiles<TV, TOps>(ref float r0, int row, int quarter, int at, ref float v, int plane, ref float spill)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        nuint vw = (nuint)TOps.Count;
        for (int i = 0; i < 6; i++)
        {
            // Column 4·tx + j of window row i: phase j mod 4, index tx + j / 4.
            ref float ri = ref Unsafe.Add(ref r0, i * row);
            var d0 = TOps.Load(ref ri, (nuint)at);
            var d1 = TOps.Load(ref ri, (nuint)(quarter + at));
            var d2 = TOps.Load(ref ri, (nuint)((2 * quarter) + at));
            var d3 = TOps.Load(ref ri, (nuint)((3 * quarter) + at));
            var d4 = TOps.Load(ref ri, (nuint)(at + 1));
            var d5 = TOps.Load(ref ri, (nuint)(quarter + at + 1));
            ref float e = ref Unsafe.Add(ref spill, 6 * i * (int)vw);
            InputLine<TV, TOps>(d0, d1, d2, d3, d4, d5, ref e, vw);
        }

        for (int k = 0; k < 6; k++)
        {
            ref float e = ref Unsafe.Add(ref spill, k * (int)vw);
            nuint step = 6 * vw;
            var e0 = TOps.Load(ref e, 0);
            var e1 = TOps.Load(ref e, step);
            var e2 = TOps.Load(ref e, 2 * step);
            var e3 = TOps.Load(ref e, 3 * step);
            var e4 = TOps.Load(ref e, 4 * step);
            var e5 = TOps.Load(ref e, 5 * step);
            InputLine<TV, TOps>(e0, e1, e2, e3, e4, e5, ref Unsafe.Add(ref v, k * plane), (nuint)(6 * plane));
        }
    }

    /// <summary>o = Bᵀ d for one line of six: o0 = 4d0 − 5d2 + d4, o1,2 = (d4 − 4d2) ± (d3 − 4d1),
    /// o3,4 = (d4 − d2) ± 2(d3 − d1), o5 = 4d1 − 5d3 + d5; stored at o + r·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine<TV, TOps>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, ref float o, nuint stride)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        TV four = TOps.Broadcast(4f), minusFour = TOps.Broadcast(-4f), minusFive = TOps.Broadcast(-5f), two = TOps.Broadcast(2f);
        var t1 = TOps.MultiplyAdd(minusFour, d2, d4);
        var t2 = TOps.MultiplyAdd(minusFour, d1, d3);
        var t3 = TOps.Subtract(d4, d2);
        var t4 = TOps.Subtract(d3, d1);
        TOps.Store(TOps.MultiplyAdd(four, d0, TOps.MultiplyAdd(minusFive, d2, d4)), ref o, 0);
        TOps.Store(TOps.Add(t1, t2), ref o, stride);
        TOps.Store(TOps.Subtract(t1, t2), ref o, 2 * stride);
        TOps.Store(TOps.MultiplyAdd(two, t4, t3), ref o, 3 * stride);
        TOps.Store(TOps.MultiplyAdd(TOps.Broadcast(-2f), t4, t3), ref o, 4 * stride);
        TOps.Store(TOps.MultiplyAdd(four, d1, TOps.MultiplyAdd(minusFive, d3, d5)), ref o, 5 * stride);
    }

    /// <summary>y[q] = Aᵀ M_q,t A + b_q for the tiles t of rows [ty0, ty0 + rows), the outputs past the map's edge dropped.</summary>
    private void TransformOutput<TV, TOps>(ReadOnlySpan<float> m, ReadOnlySpan<float> bias, Span<float> y, Span<float> eo, int ty0, int rows)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        int tw = TilesWide, vw = TOps.Count, plane = _q * TilesPadded;
        ref float spill = ref Unsafe.Add(ref MemoryMarshal.GetReference(eo), PaddedLength);
        ref float t = ref Unsafe.Add(ref spill, 24 * vw);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int q = 0; q < _q; q++)
        {
            TV b = TOps.Broadcast(bias.IsEmpty ? 0f : bias[q]);
            ref float yq = ref Unsafe.Add(ref yr, q * _oh * _ow);
            for (int ty = ty0; ty < ty0 + rows; ty++)
            {
                ref float m0 = ref Unsafe.Add(ref mr, (q * TilesPadded) + ((ty - ty0) * tw));
                int rowsOut = Math.Min(4, _oh - (4 * ty));

                // As the input: the last vector moved back to end at tw (its overlap written twice with the same values).
                for (int tx = 0; ; tx += vw)
                {
                    int at = Math.Min(tx, tw - vw);
                    ref float y0 = ref Unsafe.Add(ref yq, (4 * ty * _ow) + (4 * at));
                    bool whole = 4 * (at + vw) <= _ow;
                    OutputTiles<TV, TOps>(ref Unsafe.Add(ref m0, at), plane, b, ref spill, ref t, ref y0, _ow, rowsOut, whole);
                    if (!whole)
                    {
                        // The map's right edge: lane by lane from the spill, the columns past it dropped.
                        for (int r = 0; r < rowsOut; r++)
                        {
                            ref float yrow = ref Unsafe.Add(ref y0, r * _ow);
                            for (int l = 0; l < vw; l++)
                            {
                                for (int k = 0, col = 4 * (at + l); k < 4 && col < _ow; k++, col++)
                                {
                                    Unsafe.Add(ref yrow, (4 * l) + k) = Unsafe.Add(ref t, (((4 * r) + k) * vw) + l);
                                }
                            }
                        }
                    }

                    if (at + vw >= tw)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>The lanes' tiles: T = columns of M through Aᵀ into the spill, then, for each of the first rowsOut rows r,
    /// Y_r = row r of T through Aᵀ, plus b: interleaved into the output row at y0 + r·ow when the lanes' tiles lie
    /// whole inside it (two rounds of <see cref="ISimdOps{TV}.Interleave"/>), else into t = [Y_r0 lanes, … Y_r3 lanes].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTiles<TV, TOps>(ref float m, int plane, TV b, ref float spill, ref float t, ref float y0, int ow, int rowsOut, bool whole)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        nuint vw = (nuint)TOps.Count, p = (nuint)plane;
        for (int j = 0; j < 6; j++)
        {
            ref float mj = ref Unsafe.Add(ref m, j * plane);
            OutputLine<TV, TOps>(
                TOps.Load(ref mj, 0), TOps.Load(ref mj, 6 * p), TOps.Load(ref mj, 12 * p),
                TOps.Load(ref mj, 18 * p), TOps.Load(ref mj, 24 * p), TOps.Load(ref mj, 30 * p),
                out var o0, out var o1, out var o2, out var o3);
            ref float tj = ref Unsafe.Add(ref spill, j * (int)vw);
            TOps.Store(o0, ref tj, 0);
            TOps.Store(o1, ref tj, 6 * vw);
            TOps.Store(o2, ref tj, 12 * vw);
            TOps.Store(o3, ref tj, 18 * vw);
        }

        for (int r = 0; r < rowsOut; r++)
        {
            // Column 1 of Aᵀ is all ones: + b on T_r1 reaches every output once.
            ref float tr = ref Unsafe.Add(ref spill, 6 * r * (int)vw);
            OutputLine<TV, TOps>(
                TOps.Load(ref tr, 0), TOps.Add(TOps.Load(ref tr, vw), b), TOps.Load(ref tr, 2 * vw),
                TOps.Load(ref tr, 3 * vw), TOps.Load(ref tr, 4 * vw), TOps.Load(ref tr, 5 * vw),
                out var y_0, out var y_1, out var y_2, out var y_3);
            if (whole)
            {
                // y_k lane l belongs at 4l + k: interleave (y_0, y_2) and (y_1, y_3), then those.
                TOps.Interleave(y_0, y_2, out var l02, out var h02);
                TOps.Interleave(y_1, y_3, out var l13, out var h13);
                TOps.Interleave(l02, l13, out var a0, out var a1);
                TOps.Interleave(h02, h13, out var a2, out var a3);
                ref float yrow = ref Unsafe.Add(ref y0, r * ow);
                TOps.Store(a0, ref yrow, 0);
                TOps.Store(a1, ref yrow, vw);
                TOps.Store(a2, ref yrow, 2 * vw);
                TOps.Store(a3, ref yrow, 3 * vw);
            }
            else
            {
                ref float tr4 = ref Unsafe.Add(ref t, 4 * r * (int)vw);
                TOps.Store(y_0, ref tr4, 0);
                TOps.Store(y_1, ref tr4, vw);
                TOps.Store(y_2, ref tr4, 2 * vw);
                TOps.Store(y_3, ref tr4, 3 * vw);
            }
        }
    }

    /// <summary>o = Aᵀ m for one line of six: with a = m1 + m2, s = m1 − m2, c = m3 + m4, d = m3 − m4:
    /// o0 = m0 + a + c, o1 = s + 2d, o2 = a + 4c, o3 = s + 8d + m5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine<TV, TOps>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, out TV o0, out TV o1, out TV o2, out TV o3)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
    {
        var a = TOps.Add(m1, m2);
        var s = TOps.Subtract(m1, m2);
        var c = TOps.Add(m3, m4);
        var d = TOps.Subtract(m3, m4);
        o0 = TOps.Add(TOps.Add(m0, a), c);
        o1 = TOps.MultiplyAdd(TOps.Broadcast(2f), d, s);
        o2 = TOps.MultiplyAdd(TOps.Broadcast(4f), c, a);
        o3 = TOps.Add(TOps.MultiplyAdd(TOps.Broadcast(8f), d, s), m5);
    }
}
