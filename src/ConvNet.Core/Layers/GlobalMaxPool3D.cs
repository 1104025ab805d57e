namespace ConvNet.Layers;

/// <summary>Global max pooling over 3 spatial axes: [C, …] → [C], y_c = max of map c (see <see cref="GlobalMaxPool"/>).</summary>
public sealed class GlobalMaxPool3D : GlobalMaxPool
{
    /// <summary>Creates the layer.</summary>
    public GlobalMaxPool3D()
        : base(3)
    {
    }
}
