using System;
using System.Numerics;
using System.Numerics.Tensors;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// Sigmoid activation, y = f(x) = 1 / (1 + e^(−x)). Backward reuses the forward output:
/// δ^(l−1) = δ^(l) ⊙ f′, f′ = f(1 − f).
/// </summary>
public sealed class Sigmoid : Layer, IElementwiseKernel
{
    private readonly ElementwiseWork _work;

    /// <summary>Creates the layer.</summary>
    public Sigmoid()
        : base(nameof(Sigmoid))
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
            TensorPrimitives.Sigmoid(input.AsSpan()[start..end], output.AsSpan()[start..end]);
            return;
        }

        ReadOnlySpan<float> y = output.AsSpan()[start..end], dy = dyT!.AsSpan()[start..end];
        Span<float> dx = dxT.AsSpan()[start..end];

        // dx = dy · y · (1 − y)
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var f = new Vector<float>(y[i..]);
                (new Vector<float>(dy[i..]) * f * (Vector<float>.One - f)).CopyTo(dx[i..]);
            }
        }

        for (; i < dx.Length; i++)
        {
            dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }
}
