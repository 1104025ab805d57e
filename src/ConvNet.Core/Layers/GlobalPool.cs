using System;

namespace ConvNet.Layers;

/// <summary>
/// The shared plumbing of global pooling: one value per feature map, a per-sample [C, …spatial] becomes [C] so a fully
/// connected layer can follow directly (Keras' GlobalPooling; PyTorch's AdaptiveAvg/MaxPool(1) followed by flatten).
/// </summary>
public abstract class GlobalPool : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">The display name.</param>
    /// <param name="spatialRank">1, 2 or 3.</param>
    protected GlobalPool(string name, int spatialRank)
        : base(name)
    {
        SpatialRank = spatialRank;
    }

    /// <summary>The number of spatial axes.</summary>
    public int SpatialRank { get; }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != SpatialRank + 1)
        {
            Fail(nameof(inputShape), $"expects [C, …] with {SpatialRank} spatial axes; actual {ThrowHelper.Shape(inputShape)}.");
        }

        return [inputShape[0]];
    }
}
