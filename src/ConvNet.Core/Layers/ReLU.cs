using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// Rectified linear unit, y = max(x, 0). Backward follows the lecture: δ^(l−1) = δ^(l) ⊙ f′(x) with f′(x) = 1 for
/// x ≥ 0 and 0 otherwise — so f′(0) = 1. PyTorch uses f′(0) = 0; the two differ only where an input is exactly zero.
/// </summary>
public sealed class ReLU : Layer, IElementwiseKernel
{
    private readonly ElementwiseWork _work;

    /// <summary>Creates the layer.</summary>
    public ReLU()
        : base(nameof(ReLU))
    {
        _work = new ElementwiseWork(this);
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => _work.Run(input, output, null, null, DegreeOfParallelism);

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        _work.Run(input, output, outputGradient, inputGradient, DegreeOfParallelism);
    }

    void IElementwiseKernel.Range(Tensor input, Tensor output, Tensor? dyT, Tensor? dxT, int start, int end)
    {
        if (dxT is null)
        {
            TensorPrimitives.Max(input.AsSpan()[start..end], 0f, output.AsSpan()[start..end]);
            return;
        }

        ReadOnlySpan<float> x = input.AsSpan()[start..end], dy = dyT!.AsSpan()[start..end];
        Span<float> dx = dxT.AsSpan()[start..end];
        Backward(x, dy, dx);
    }

    /// <summary>δ^(l−1) = δ^(l) ⊙ [x ≥ 0] over equal-length spans (NaN inputs compare false and pass no gradient).</summary>
    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (x.Length != dx.Length || dy.Length != dx.Length)
        {
            ThrowHelper.Argument(nameof(dx), "x, δy and δx must have the same length.");
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        nuint n = (nuint)dx.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            nuint w = (nuint)Vector<float>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Select(ref xr, ref dyr, ref dxr, i);
                Select(ref xr, ref dyr, ref dxr, i + w);
                Select(ref xr, ref dyr, ref dxr, i + (2 * w));
                Select(ref xr, ref dyr, ref dxr, i + (3 * w));
            }

            for (; i + w <= n; i += w)
            {
                Select(ref xr, ref dyr, ref dxr, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dxr, i) = Unsafe.Add(ref xr, i) >= 0f ? Unsafe.Add(ref dyr, i) : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Select(ref float x, ref float dy, ref float dx, nuint i)
    {
        var mask = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref x, i), Vector<float>.Zero);
        Vector.ConditionalSelect(mask, Vector.LoadUnsafe(ref dy, i), Vector<float>.Zero).StoreUnsafe(ref dx, i);
    }
}
