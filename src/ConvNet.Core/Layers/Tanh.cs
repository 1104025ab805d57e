using System;
using System.Numerics.Tensors;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// Hyperbolic tangent activation, y = tanh(x). Backward reuses the forward output: δ^(l−1) = δ^(l) ⊙ (1 − y²).
/// </summary>
public sealed class Tanh : Layer, IElementwiseKernel
{
    private readonly ElementwiseWork _work;

    /// <summary>Creates the layer.</summary>
    public Tanh()
        : base(nameof(Tanh))
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
            TensorPrimitives.Tanh(input.AsSpan()[start..end], output.AsSpan()[start..end]);
            return;
        }

        ReadOnlySpan<float> y = output.AsSpan()[start..end], dy = dyT!.AsSpan()[start..end];
        Span<float> dx = dxT.AsSpan()[start..end];
        // dx = dy − dy·y²
        TensorPrimitives.Multiply(y, y, dx);
        TensorPrimitives.Multiply(dx, dy, dx);
        TensorPrimitives.Subtract(dy, dx, dx);
    }
}
