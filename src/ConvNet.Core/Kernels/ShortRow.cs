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
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            int w = Vector512<float>.Count, i = 0;
            for (; i <= n - w; i += w)
            {
                op.Apply(Vector512.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }

            if (i < n)
            {
                op.Apply(Vector512.LoadUnsafe(ref s, (nuint)(n - w))).StoreUnsafe(ref d, (nuint)(n - w));
            }

            return;
        }

        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            int w = Vector256<float>.Count, i = 0;
            for (; i <= n - w; i += w)
            {
                op.Apply(Vector256.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }

            if (i < n)
            {
                op.Apply(Vector256.LoadUnsafe(ref s, (nuint)(n - w))).StoreUnsafe(ref d, (nuint)(n - w));
            }

            return;
        }

        if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            int w = Vector128<float>.Count, i = 0;
            for (; i <= n - w; i += w)
            {
                op.Apply(Vector128.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }

            if (i < n)
            {
                op.Apply(Vector128.LoadUnsafe(ref s, (nuint)(n - w))).StoreUnsafe(ref d, (nuint)(n - w));
            }

            return;
        }

        for (int i = 0; i < n; i++)
        {
            Unsafe.Add(ref d, i) = op.Apply(Unsafe.Add(ref s, i));
        }
    }

    /// <summary>What is done to each element, at every width.</summary>
    private interface IRowOp
    {
        Vector512<float> Apply(Vector512<float> x);

        Vector256<float> Apply(Vector256<float> x);

        Vector128<float> Apply(Vector128<float> x);

        float Apply(float x);
    }

    private readonly struct CopyOp : IRowOp
    {
        public Vector512<float> Apply(Vector512<float> x) => x;

        public Vector256<float> Apply(Vector256<float> x) => x;

        public Vector128<float> Apply(Vector128<float> x) => x;

        public float Apply(float x) => x;
    }

    private readonly struct AddOp(float b) : IRowOp
    {
        public Vector512<float> Apply(Vector512<float> x) => x + Vector512.Create(b);

        public Vector256<float> Apply(Vector256<float> x) => x + Vector256.Create(b);

        public Vector128<float> Apply(Vector128<float> x) => x + Vector128.Create(b);

        public float Apply(float x) => x + b;
    }
}
