namespace ConvNet.Layers;

/// <summary>Global average pooling over 1 spatial axes: [C, …] → [C], y_c = mean of map c (see <see cref="GlobalAveragePool"/>).</summary>
public sealed class GlobalAveragePool1D : GlobalAveragePool
{
    /// <summary>Creates the layer.</summary>
    public GlobalAveragePool1D()
        : base(1)
    {
    }
}
