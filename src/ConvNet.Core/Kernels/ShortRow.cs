using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// The short rows a convolution lays out and gathers (a 7- to 32-wide map row into or out of its padded layout),
/// hundreds per sample and layer: a call into CopyTo or TensorPrimitives costs more than such a row, and an element
/// loop takes a cycle per float. One driver for every width: a row of n floats is done in vectors of the widest
/// accelerated width w ≤ n, the last one ending at n (it overlaps the one before when w does not divide n: the overlap
/// is computed twice from the same source values and written twice with the same result). Rows longer than
/// <see cref="MaxLength"/> go to the library. Source and destination must not overlap.
/// </summary>
internal static class ShortRow
{
    /// <summary>The longest row done here; longer rows go to CopyTo and TensorPrimitives.</summary>
    public const int MaxLength = 32;

    /// <summary>dst[i] = src[i] for i &lt; src.Length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length > MaxLength)
        {
            src.CopyTo(dst);
            return;
        }

        Run(src, dst, default(CopyOp));
    }

    /// <summary>dst[i] = src[i] + b for i &lt; src.Length (one rounding, as TensorPrimitives.Add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ReadOnlySpan<float> src, float b, Span<float> dst)
    {
        if (src.Length > MaxLength)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(src, b, dst);
            return;
        }

        Run(src, dst, new AddOp(b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run<TOp>(ReadOnlySpan<float> src, Span<float> dst, TOp op)
        where TOp : struct, IRowOp
    {
        int n = src.Length;
        if (dst.Length < n)
        {
            ThrowHelper.Argument(nameof(dst), "The destination is shorter than the row.");
        }

        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if ((Vector512.IsHardwareAccelerated && Vectors<Vector512<float>, Simd512, TOp>(ref s, ref d, n, op))
            || (Vector256.IsHardwareAccelerated && Vectors<Vector256<float>, Simd256, TOp>(ref s, ref d, n, op))
            || (Vector128.IsHardwareAccelerated && Vectors<Vector128<float>, Simd128, TOp>(ref s, ref d, n, op)))
        {
            return;
        }

        for (int i = 0; i < n; i++)
        {
            Unsafe.Add(ref d, i) = op.Apply(Unsafe.Add(ref s, i));
        }
    }

    /// <summary>The row in vectors of <typeparamref name="TOps"/>'s width, the last one ending at n; false (nothing
    /// done) when the row is shorter than one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Vectors<TV, TOps, TOp>(ref float s, ref float d, int n, TOp op)
        where TV : struct
        where TOps : struct, ISimdOps<TV>
        where TOp : struct, IRowOp
    {
        int w = TOps.Count, i = 0;
        if (n < w)
        {
            return false;
        }

        for (; i <= n - w; i += w)
        {
            TOps.Store(op.Apply<TV, TOps>(TOps.Load(ref s, (nuint)i)), ref d, (nuint)i);
        }

        if (i < n)
        {
            TOps.Store(op.Apply<TV, TOps>(TOps.Load(ref s, (nuint)(n - w))), ref d, (nuint)(n - w));
        }

        return true;
    }

    /// <summary>What is done to each element, at every width.</summary>
    private interface IRowOp
    {
        TV Apply<TV, TOps>(TV x)
            where TV : struct
            where TOps : struct, ISimdOps<TV>;

        float Apply(float x);
    }

    private readonly struct CopyOp : IRowOp
    {
        public TV Apply<TV, TOps>(TV x)
            where TV : struct
            where TOps : struct, ISimdOps<TV> => x;

        public float Apply(float x) => x;
    }

    private readonly struct AddOp(float b) : IRowOp
    {
        public TV Apply<TV, TOps>(TV x)
            where TV : struct
            where TOps : struct, ISimdOps<TV> => TOps.Add(x, TOps.Broadcast(b));

        public float Apply(float x) => x + b;
    }
}
