namespace ConvNet.Layers;

/// <summary>Global max pooling over 2 spatial axes: [C, …] → [C], y_c = max of map c (see <see cref="GlobalMaxPool"/>).</summary>
public sealed class GlobalMaxPool2D : GlobalMaxPool
{
    /// <summary>Creates the layer.</summary>
    public GlobalMaxPool2D()
        : base(2)
    {
    }
}
