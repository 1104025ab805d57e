using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// One output row of the 2×2, stride-2 max pool, written once for 256- and 128-bit vectors (<see cref="Pool256"/>,
/// <see cref="Pool128"/>; AVX-512 has its own two-source permute in <c>MaxPool</c>): 2·W inputs of each of the two
/// input rows are split into even and odd columns, then the four-way first-maximum selection of the scalar code runs
/// W outputs at a time, with the same tie and NaN rules. A row narrower than W outputs reads past its end and writes
/// the next outputs (recomputed later in order), so the caller allows it only where that stays inside both tensors; a
/// wider row ends with a block moved back to its end.
/// </summary>
internal static class MaxPoolRow
{
    /// <summary>Floats per vector of the generic path here: 8 (AVX2), 4 (SSE, NEON, WebAssembly) or 0 (none).</summary>
    public static readonly int Width = Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 0;

    /// <summary>The row with this machine's vector width; false when the scalar loop must do it.</summary>
    public static bool Run(ref float xp, int row0, int row1, bool canOverRead, ref float y, ref int arg, int ow, bool canOverWrite) =>
        Vector256.IsHardwareAccelerated
            ? Row2x2<Vector256<float>, Vector256<int>, Pool256>(ref xp, row0, row1, canOverRead, ref y, ref arg, ow, canOverWrite)
            : Row2x2<Vector128<float>, Vector128<int>, Pool128>(ref xp, row0, row1, canOverRead, ref y, ref arg, ow, canOverWrite);

    private static bool Row2x2<TV, TI, TOps>(ref float xp, int row0, int row1, bool canOverRead, ref float y, ref int arg, int ow, bool canOverWrite)
        where TV : struct
        where TI : struct
        where TOps : struct, IPoolOps<TV, TI>
    {
        int w = TOps.Count;
        if (ow < w && !(canOverRead && canOverWrite))
        {
            return false;
        }

        for (int j = 0; ;)
        {
            ref float a = ref Unsafe.Add(ref xp, row0 + (2 * j));
            ref float b = ref Unsafe.Add(ref xp, row1 + (2 * j));
            TOps.Deinterleave(TOps.Load(ref a, 0), TOps.Load(ref a, (nuint)w), out var best, out var aOdd);
            TOps.Deinterleave(TOps.Load(ref b, 0), TOps.Load(ref b, (nuint)w), out var bEven, out var bOdd);
            var index = TOps.Columns(row0 + (2 * j), odd: false);
            TOps.Take(ref best, ref index, aOdd, TOps.Columns(row0 + (2 * j), odd: true));
            TOps.Take(ref best, ref index, bEven, TOps.Columns(row1 + (2 * j), odd: false));
            TOps.Take(ref best, ref index, bOdd, TOps.Columns(row1 + (2 * j), odd: true));
            TOps.Store(best, ref y, (nuint)j);
            TOps.Store(index, ref arg, (nuint)j);
            if (j + w >= ow)
            {
                return true;
            }

            j = System.Math.Min(j + w, ow - w);
        }
    }
}

/// <summary>The operations of <see cref="MaxPoolRow"/> for one vector width.</summary>
/// <typeparam name="TV">Float vector.</typeparam>
/// <typeparam name="TI">Int vector of the same width.</typeparam>
internal interface IPoolOps<TV, TI>
    where TV : struct
    where TI : struct
{
    static abstract int Count { get; }

    static abstract TV Load(ref float source, nuint offset);

    static abstract void Store(TV value, ref float destination, nuint offset);

    static abstract void Store(TI value, ref int destination, nuint offset);

    /// <summary>The even and the odd elements of the 2·Count values in a then b.</summary>
    static abstract void Deinterleave(TV a, TV b, out TV evens, out TV odds);

    /// <summary>start + 2i (+ 1 for odd) per lane i.</summary>
    static abstract TI Columns(int start, bool odd);

    /// <summary>Where v &gt; best, or v is NaN and best is not, best = v and index = at (the first NaN sticks).</summary>
    static abstract void Take(ref TV best, ref TI index, TV v, TI at);

    /// <summary>((((0 + a) + b) + c) + d) · scale per lane: the scalar average pool's operations in its order.</summary>
    static abstract TV Mean(TV a, TV b, TV c, TV d, float scale);

    /// <summary>s = 0 + v · scale per lane, each repeated twice: lo = s0 s0 s1 s1 …, hi = the upper half's.</summary>
    static abstract void Spread(TV v, float scale, out TV lo, out TV hi);
}

/// <summary>256-bit pooling operations.</summary>
internal readonly struct Pool256 : IPoolOps<Vector256<float>, Vector256<int>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> value, ref int destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector256<float> a, Vector256<float> b, out Vector256<float> evens, out Vector256<float> odds)
    {
        var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var sa = Vector256.Shuffle(a, split);
        var sb = Vector256.Shuffle(b, split);
        evens = Vector256.Create(sa.GetLower(), sb.GetLower());
        odds = Vector256.Create(sa.GetUpper(), sb.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Columns(int start, bool odd) =>
        Vector256.Create(start + (odd ? 1 : 0)) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Take(ref Vector256<float> best, ref Vector256<int> index, Vector256<float> v, Vector256<int> at)
    {
        var mask = Vector256.AndNot(Vector256.Equals(best, best), Vector256.LessThanOrEqual(v, best));
        best = Vector256.ConditionalSelect(mask, v, best);
        index = Vector256.ConditionalSelect(mask.AsInt32(), at, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mean(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, float scale) =>
        (((Vector256<float>.Zero + a) + b) + c + d) * Vector256.Create(scale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Spread(Vector256<float> v, float scale, out Vector256<float> lo, out Vector256<float> hi)
    {
        var s = Vector256<float>.Zero + (v * Vector256.Create(scale));
        lo = Vector256.Shuffle(s, Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3));
        hi = Vector256.Shuffle(s, Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7));
    }
}

/// <summary>128-bit pooling operations.</summary>
internal readonly struct Pool128 : IPoolOps<Vector128<float>, Vector128<int>>
{
    public static int Count => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<int> value, ref int destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector128<float> a, Vector128<float> b, out Vector128<float> evens, out Vector128<float> odds)
    {
        var split = Vector128.Create(0, 2, 1, 3);
        var sa = Vector128.Shuffle(a, split);
        var sb = Vector128.Shuffle(b, split);
        evens = Vector128.Create(sa.GetLower(), sb.GetLower());
        odds = Vector128.Create(sa.GetUpper(), sb.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Columns(int start, bool odd) =>
        Vector128.Create(start + (odd ? 1 : 0)) + Vector128.Create(0, 2, 4, 6);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Take(ref Vector128<float> best, ref Vector128<int> index, Vector128<float> v, Vector128<int> at)
    {
        var mask = Vector128.AndNot(Vector128.Equals(best, best), Vector128.LessThanOrEqual(v, best));
        best = Vector128.ConditionalSelect(mask, v, best);
        index = Vector128.ConditionalSelect(mask.AsInt32(), at, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Mean(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d, float scale) =>
        (((Vector128<float>.Zero + a) + b) + c + d) * Vector128.Create(scale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Spread(Vector128<float> v, float scale, out Vector128<float> lo, out Vector128<float> hi)
    {
        var s = Vector128<float>.Zero + (v * Vector128.Create(scale));
        lo = Vector128.Shuffle(s, Vector128.Create(0, 0, 1, 1));
        hi = Vector128.Shuffle(s, Vector128.Create(2, 2, 3, 3));
    }
}
