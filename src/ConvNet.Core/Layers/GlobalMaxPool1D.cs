namespace ConvNet.Layers;

/// <summary>Global max pooling over 1 spatial axes: [C, …] → [C], y_c = max of map c (see <see cref="GlobalMaxPool"/>).</summary>
public sealed class GlobalMaxPool1D : GlobalMaxPool
{
    /// <summary>Creates the layer.</summary>
    public GlobalMaxPool1D()
        : base(1)
    {
    }
}
