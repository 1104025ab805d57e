namespace ConvNet.Layers;

/// <summary>Global average pooling over 3 spatial axes: [C, …] → [C], y_c = mean of map c (see <see cref="GlobalAveragePool"/>).</summary>
public sealed class GlobalAveragePool3D : GlobalAveragePool
{
    /// <summary>Creates the layer.</summary>
    public GlobalAveragePool3D()
        : base(3)
    {
    }
}
