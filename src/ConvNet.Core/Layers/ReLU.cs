using System;
using System.Numerics;
using System.Numerics.Tensors;
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
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // dx = x ≥ 0 ? dy : 0, a vector at a time (NaN inputs compare false and pass no gradient).
            for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var mask = Vector.GreaterThanOrEqual(new Vector<float>(x[i..]), Vector<float>.Zero);
                Vector.ConditionalSelect(mask, new Vector<float>(dy[i..]), Vector<float>.Zero).CopyTo(dx[i..]);
            }
        }

        for (; i < dx.Length; i++)
        {
            dx[i] = x[i] >= 0f ? dy[i] : 0f;
        }
    }
}
