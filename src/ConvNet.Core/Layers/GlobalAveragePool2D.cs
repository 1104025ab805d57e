namespace ConvNet.Layers;

/// <summary>Global average pooling over 2 spatial axes: [C, …] → [C], y_c = mean of map c (see <see cref="GlobalAveragePool"/>).</summary>
public sealed class GlobalAveragePool2D : GlobalAveragePool
{
    /// <summary>Creates the layer.</summary>
    public GlobalAveragePool2D()
        : base(2)
    {
    }
}
