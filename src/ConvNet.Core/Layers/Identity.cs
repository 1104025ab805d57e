using System;

namespace ConvNet.Layers;

/// <summary>y = x; δ^(l−1) = δ^(l). The identity shortcut of a residual block, and ONNX's Identity.</summary>
public sealed class Identity : Layer
{
    /// <summary>Creates the layer.</summary>
    public Identity()
        : base(nameof(Identity))
    {
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => input.AsSpan().CopyTo(output.AsSpan());

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is not null)
        {
            outputGradient.AsSpan().CopyTo(inputGradient.AsSpan());
        }
    }
}
