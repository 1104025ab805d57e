using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// One output row of the 2×2, stride-2 average pool without padding, for 256- and 128-bit vectors (the operations of
/// <see cref="IPoolOps{TV, TI}"/>): forward, the two input rows are split into even and odd columns and
/// y = ((((0 + x00) + x01) + x10) + x11) · ¼ runs <see cref="MaxPoolRow.Width"/> outputs at a time — the scalar loop's
/// operations in its order, so the same bits. Backward writes 0 + δ · ¼ to the four inputs of each window (the windows
/// do not overlap). As in <see cref="MaxPoolRow"/>, a forward row narrower than a vector reads past its end and writes
/// the next outputs (recomputed later in order) only where the caller says that stays inside both tensors; a wider row
/// ends with a block moved back to its end. The backward takes only rows at least a vector wide.
/// </summary>
internal static class AveragePoolRow
{
    /// <summary>The forward row with this machine's vector width; false when the scalar loop must do it.</summary>
    public static bool Forward(ref float xp, int row0, int row1, bool canOverRead, ref float y, int ow, bool canOverWrite, float scale) =>
        Vector256.IsHardwareAccelerated
            ? Forward<Vector256<float>, Vector256<int>, Pool256>(ref xp, row0, row1, canOverRead, ref y, ow, canOverWrite, scale)
            : Forward<Vector128<float>, Vector128<int>, Pool128>(ref xp, row0, row1, canOverRead, ref y, ow, canOverWrite, scale);

    /// <summary>The backward row (input rows row0 and row1 of dx from ow values of δ); false when the scalar loop must do it.</summary>
    public static bool Backward(ref float dy, ref float dx, int row0, int row1, int ow, float scale) =>
        Vector256.IsHardwareAccelerated
            ? Backward<Vector256<float>, Vector256<int>, Pool256>(ref dy, ref dx, row0, row1, ow, scale)
            : Backward<Vector128<float>, Vector128<int>, Pool128>(ref dy, ref dx, row0, row1, ow, scale);

    private static bool Forward<TV, TI, TOps>(ref float xp, int row0, int row1, bool canOverRead, ref float y, int ow, bool canOverWrite, float scale)
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
            TOps.Deinterleave(TOps.Load(ref a, 0), TOps.Load(ref a, (nuint)w), out var aEven, out var aOdd);
            TOps.Deinterleave(TOps.Load(ref b, 0), TOps.Load(ref b, (nuint)w), out var bEven, out var bOdd);
            TOps.Store(TOps.Mean(aEven, aOdd, bEven, bOdd, scale), ref y, (nuint)j);
            if (j + w >= ow)
            {
                return true;
            }

            j = System.Math.Min(j + w, ow - w);
        }
    }

    private static bool Backward<TV, TI, TOps>(ref float dy, ref float dx, int row0, int row1, int ow, float scale)
        where TV : struct
        where TI : struct
        where TOps : struct, IPoolOps<TV, TI>
    {
        int w = TOps.Count;
        if (ow < w)
        {
            return false;
        }

        for (int j = 0; ;)
        {
            TOps.Spread(TOps.Load(ref dy, (nuint)j), scale, out var lo, out var hi);
            TOps.Store(lo, ref dx, (nuint)(row0 + (2 * j)));
            TOps.Store(hi, ref dx, (nuint)(row0 + (2 * j) + w));
            TOps.Store(lo, ref dx, (nuint)(row1 + (2 * j)));
            TOps.Store(hi, ref dx, (nuint)(row1 + (2 * j) + w));
            if (j + w >= ow)
            {
                return true;
            }

            j = System.Math.Min(j + w, ow - w);
        }
    }
}
