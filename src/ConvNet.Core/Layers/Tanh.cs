using System;
using System.Numerics.Tensors;

namespace ConvNet.Layers;

/// <summary>
/// Hyperbolic tangent activation, y = tanh(x). Backward reuses the forward output: δ^(l−1) = δ^(l) ⊙ (1 − y²).
/// </summary>
public sealed class Tanh : Layer
{
    /// <summary>Creates the layer.</summary>
    public Tanh()
        : base(nameof(Tanh))
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => TensorPrimitives.Tanh(input.AsSpan(), output.AsSpan());

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        ReadOnlySpan<float> y = output.AsSpan(), dy = outputGradient.AsSpan();
        Span<float> dx = inputGradient.AsSpan();
        // dx = dy − dy·y²
        TensorPrimitives.Multiply(y, y, dx);
        TensorPrimitives.Multiply(dx, dy, dx);
        TensorPrimitives.Subtract(dy, dx, dx);
    }
}
