using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels;

/// <summary>The tile transforms of <see cref="WinogradPlan"/>: Bᵀ d B of 4×4 input windows and Aᵀ m A of 4×4 products,
/// a vector of tiles at a time and one tile at a time (the same operations in the same order).</summary>
internal sealed partial class WinogradPlan
{
    /// <summary>Vector lanes tx…: the 16 transformed values of the tiles whose windows start at even column 2·tx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTile(ref float r0, ref float r1, ref float r2, ref float r3, int tx, int half, ref float v, int plane)
    {
        // Row i of the window at column 2tx + j: j = 0 → E[tx], 1 → O[tx], 2 → E[tx + 1], 3 → O[tx + 1].
        Columns(ref r0, tx, half, out var w00, out var w01, out var w02, out var w03);
        Columns(ref r1, tx, half, out var w10, out var w11, out var w12, out var w13);
        Columns(ref r2, tx, half, out var w20, out var w21, out var w22, out var w23);
        Columns(ref r3, tx, half, out var w30, out var w31, out var w32, out var w33);
        Store(ref v, 0, plane, w00 - w20, w01 - w21, w02 - w22, w03 - w23);
        Store(ref v, 4, plane, w10 + w20, w11 + w21, w12 + w22, w13 + w23);
        Store(ref v, 8, plane, w20 - w10, w21 - w11, w22 - w12, w23 - w13);
        Store(ref v, 12, plane, w10 - w30, w11 - w31, w12 - w32, w13 - w33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(ref float r, int tx, int half, out Vector<float> c0, out Vector<float> c1, out Vector<float> c2, out Vector<float> c3)
    {
        var e0 = Vector.LoadUnsafe(ref r, (nuint)tx);
        var o0 = Vector.LoadUnsafe(ref r, (nuint)(half + tx));
        var e1 = Vector.LoadUnsafe(ref r, (nuint)(tx + 1));
        var o1 = Vector.LoadUnsafe(ref r, (nuint)(half + tx + 1));
        c0 = e0 - e1;
        c1 = o0 + e1;
        c2 = e1 - o0;
        c3 = o0 - o1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float v, int xi, int plane, Vector<float> a, Vector<float> b, Vector<float> c, Vector<float> d)
    {
        a.StoreUnsafe(ref Unsafe.Add(ref v, xi * plane));
        b.StoreUnsafe(ref Unsafe.Add(ref v, (xi + 1) * plane));
        c.StoreUnsafe(ref Unsafe.Add(ref v, (xi + 2) * plane));
        d.StoreUnsafe(ref Unsafe.Add(ref v, (xi + 3) * plane));
    }

    private static void InputTileScalar(ref float r0, ref float r1, ref float r2, ref float r3, int tx, int half, ref float v, int plane)
    {
        Span<float> w = stackalloc float[16];
        ColumnsScalar(ref r0, tx, half, w[..4]);
        ColumnsScalar(ref r1, tx, half, w[4..8]);
        ColumnsScalar(ref r2, tx, half, w[8..12]);
        ColumnsScalar(ref r3, tx, half, w[12..]);
        for (int j = 0; j < 4; j++)
        {
            Unsafe.Add(ref v, j * plane) = w[j] - w[8 + j];
            Unsafe.Add(ref v, (4 + j) * plane) = w[4 + j] + w[8 + j];
            Unsafe.Add(ref v, (8 + j) * plane) = w[8 + j] - w[4 + j];
            Unsafe.Add(ref v, (12 + j) * plane) = w[4 + j] - w[12 + j];
        }
    }

    private static void ColumnsScalar(ref float r, int tx, int half, Span<float> c)
    {
        float e0 = Unsafe.Add(ref r, tx), o0 = Unsafe.Add(ref r, half + tx), e1 = Unsafe.Add(ref r, tx + 1), o1 = Unsafe.Add(ref r, half + tx + 1);
        c[0] = e0 - e1;
        c[1] = o0 + e1;
        c[2] = e1 - o0;
        c[3] = o0 - o1;
    }

    /// <summary>Aᵀ m A for the tiles in the lanes (s_j = m_0j + m_1j + m_2j, d_j = m_1j − m_2j − m_3j), plus b, into t =
    /// [y00 lanes, y01 lanes, y10 lanes, y11 lanes].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile(ref float m, int plane, float bias, Span<float> t)
    {
        int vw = Vector<float>.Count;
        OutputColumn(ref m, 0, plane, out var s0, out var d0);
        OutputColumn(ref m, 1, plane, out var s1, out var d1);
        OutputColumn(ref m, 2, plane, out var s2, out var d2);
        OutputColumn(ref m, 3, plane, out var s3, out var d3);
        var b = new Vector<float>(bias);
        (s0 + s1 + s2 + b).CopyTo(t);
        (s1 - s2 - s3 + b).CopyTo(t[vw..]);
        (d0 + d1 + d2 + b).CopyTo(t[(2 * vw)..]);
        (d1 - d2 - d3 + b).CopyTo(t[(3 * vw)..]);
    }

    /// <summary>Column j of Aᵀ m: s_j = m_0j + m_1j + m_2j, d_j = m_1j − m_2j − m_3j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputColumn(ref float m, int j, int plane, out Vector<float> s, out Vector<float> d)
    {
        var m0 = Vector.LoadUnsafe(ref Unsafe.Add(ref m, j * plane));
        var m1 = Vector.LoadUnsafe(ref Unsafe.Add(ref m, (4 + j) * plane));
        var m2 = Vector.LoadUnsafe(ref Unsafe.Add(ref m, (8 + j) * plane));
        var m3 = Vector.LoadUnsafe(ref Unsafe.Add(ref m, (12 + j) * plane));
        s = m0 + m1 + m2;
        d = m1 - m2 - m3;
    }

    private static void OutputTileScalar(ref float m, int plane, float bias, out float y00, out float y01, out float y10, out float y11)
    {
        Span<float> s = stackalloc float[4];
        Span<float> d = stackalloc float[4];
        for (int j = 0; j < 4; j++)
        {
            float m0 = Unsafe.Add(ref m, j * plane), m1 = Unsafe.Add(ref m, (4 + j) * plane);
            float m2 = Unsafe.Add(ref m, (8 + j) * plane), m3 = Unsafe.Add(ref m, (12 + j) * plane);
            s[j] = m0 + m1 + m2;
            d[j] = m1 - m2 - m3;
        }

        y00 = s[0] + s[1] + s[2] + bias;
        y01 = s[1] - s[2] - s[3] + bias;
        y10 = d[0] + d[1] + d[2] + bias;
        y11 = d[1] - d[2] - d[3] + bias;
    }
}
