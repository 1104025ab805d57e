using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ConvNet.Layers;

/// <summary>
/// Sigmoid activation, y = f(x) = 1 / (1 + e^(−x)). Backward reuses the forward output:
/// δ^(l−1) = δ^(l) ⊙ f′, f′ = f(1 − f).
/// </summary>
public sealed class Sigmoid : Layer
{
    /// <summary>Creates the layer.</summary>
    public Sigmoid()
        : base(nameof(Sigmoid))
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => TensorPrimitives.Sigmoid(input.AsSpan(), output.AsSpan());

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        ReadOnlySpan<float> y = output.AsSpan(), dy = outputGradient.AsSpan();
        Span<float> dx = inputGradient.AsSpan();

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
