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
        if (inputShape.IsEmpty)
        {
            Fail(nameof(inputShape), "expects a per-sample input of rank 1 or more; actual [].");
        }

        long n = 1;
        foreach (int d in inputShape)
        {
            if (d <= 0)
            {
                Fail(nameof(inputShape), $"every dimension must be positive; actual {ThrowHelper.Shape(inputShape)}.");
            }

            // Bounded after every factor, so the 64-bit product cannot wrap; the result must fit a tensor dimension.
            n *= d;
            if (n > Array.MaxLength)
            {
                Fail(nameof(inputShape), $"a per-sample input {ThrowHelper.Shape(inputShape)} has more elements than an array can hold.");
            }
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
