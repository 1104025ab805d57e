using System;

namespace ConvNet.Layers;

/// <summary>
/// Flattens each sample's feature maps [C, …] into a vector [C·…] in row-major order (C, then H, then W), the bridge
/// from convolution layers to fully connected ones. Backward reshapes δ back.
/// </summary>
public sealed class Flatten : Layer
{
    /// <summary>Creates the layer.</summary>
    public Flatten()
        : base(nameof(Flatten))
    {
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        long n = 1;
        foreach (int d in inputShape)
        {
            n *= d;
        }

        return [(int)n];
    }

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
