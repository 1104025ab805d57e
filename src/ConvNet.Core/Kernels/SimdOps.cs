using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

/// <summary>
/// The vector operations a width-generic kernel needs, as static members of a struct (TensorPrimitives' operator
/// pattern): a kernel written once as <c>Kernel&lt;TV, TOps&gt;</c> is compiled by the JIT separately for each width,
/// with every call inlined, so <see cref="Simd512"/>, <see cref="Simd256"/> and <see cref="Simd128"/> run the same source.
/// </summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal interface ISimdOps<TV>
    where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    static abstract TV Load(ref float source, nuint offset);

    static abstract void Store(TV value, ref float destination, nuint offset);

    static abstract TV Broadcast(float value);

    /// <summary>a + b per lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a − b per lane.</summary>
    static abstract TV Subtract(TV a, TV b);

    /// <summary>a·b + c with one rounding (the same bits as <see cref="System.MathF.FusedMultiplyAdd"/> per lane).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>The even and the odd floats of the sequence a‖b (each pair one 64-bit lane, narrowed to its low and its
    /// high 32 bits).</summary>
    static abstract void Deinterleave(TV a, TV b, out TV even, out TV odd);

    /// <summary>The sequence a0 b0 a1 b1 …, as its first and second vector (the inverse of
    /// <see cref="Deinterleave"/>: each lane widened to 64 bits, b's shifted into the high half).</summary>
    static abstract void Interleave(TV a, TV b, out TV low, out TV high);
}

/// <summary>512-bit vectors (AVX-512).</summary>
internal readonly struct Simd512 : ISimdOps<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector512<float> a, Vector512<float> b, out Vector512<float> even, out Vector512<float> odd)
    {
        Vector512<ulong> pa = a.AsUInt64(), pb = b.AsUInt64();
        even = Vector512.Narrow(pa, pb).AsSingle();
        odd = Vector512.Narrow(Vector512.ShiftRightLogical(pa, 32), Vector512.ShiftRightLogical(pb, 32)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector512<float> a, Vector512<float> b, out Vector512<float> low, out Vector512<float> high)
    {
        var (a0, a1) = Vector512.Widen(a.AsUInt32());
        var (b0, b1) = Vector512.Widen(b.AsUInt32());
        low = (a0 | Vector512.ShiftLeft(b0, 32)).AsSingle();
        high = (a1 | Vector512.ShiftLeft(b1, 32)).AsSingle();
    }
}

/// <summary>256-bit vectors (AVX2 with FMA).</summary>
internal readonly struct Simd256 : ISimdOps<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd)
    {
        Vector256<ulong> pa = a.AsUInt64(), pb = b.AsUInt64();
        even = Vector256.Narrow(pa, pb).AsSingle();
        odd = Vector256.Narrow(Vector256.ShiftRightLogical(pa, 32), Vector256.ShiftRightLogical(pb, 32)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector256<float> a, Vector256<float> b, out Vector256<float> low, out Vector256<float> high)
    {
        var (a0, a1) = Vector256.Widen(a.AsUInt32());
        var (b0, b1) = Vector256.Widen(b.AsUInt32());
        low = (a0 | Vector256.ShiftLeft(b0, 32)).AsSingle();
        high = (a1 | Vector256.ShiftLeft(b1, 32)).AsSingle();
    }
}

/// <summary>128-bit vectors (SSE, NEON, WebAssembly SIMD).</summary>
internal readonly struct Simd128 : ISimdOps<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector128<float> a, Vector128<float> b, out Vector128<float> even, out Vector128<float> odd)
    {
        Vector128<ulong> pa = a.AsUInt64(), pb = b.AsUInt64();
        even = Vector128.Narrow(pa, pb).AsSingle();
        odd = Vector128.Narrow(Vector128.ShiftRightLogical(pa, 32), Vector128.ShiftRightLogical(pb, 32)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector128<float> a, Vector128<float> b, out Vector128<float> low, out Vector128<float> high)
    {
        var (a0, a1) = Vector128.Widen(a.AsUInt32());
        var (b0, b1) = Vector128.Widen(b.AsUInt32());
        low = (a0 | Vector128.ShiftLeft(b0, 32)).AsSingle();
        high = (a1 | Vector128.ShiftLeft(b1, 32)).AsSingle();
    }
}

/// <summary>One float as a one-lane vector: the scalar tail of a width-generic kernel, the same operations (FMA
/// included) in the same order as the vector widths, so a value does not depend on which width computed it.</summary>
internal readonly struct SimdScalar : ISimdOps<float>
{
    public static int Count => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float source, nuint offset) => Unsafe.Add(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float value, ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float a, float b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float a, float b, out float even, out float odd) => (even, odd) = (a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(float a, float b, out float low, out float high) => (low, high) = (a, b);
}
