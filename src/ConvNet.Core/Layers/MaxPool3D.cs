namespace ConvNet.Layers;

/// <summary>3-D max pooling over [N, C, D, H, W] maps; see <see cref="MaxPool"/> and <see cref="PoolingND"/>.</summary>
public sealed class MaxPool3D : MaxPool
{
    /// <summary>Creates the layer with the same window, stride and padding in every dimension.</summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride; 0 (default) means the window size.</param>
    /// <param name="padding">Symmetric padding (default 0, at most half the window).</param>
    public MaxPool3D(int kernelSize, int stride = 0, int padding = 0)
        : base(nameof(MaxPool3D), 3, [kernelSize], stride == 0 ? null : [stride], [padding])
    {
    }

    /// <summary>Creates the layer with per-dimension window, stride and padding.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    public MaxPool3D(int[] kernelSize, int[]? stride = null, int[]? padding = null)
        : base(nameof(MaxPool3D), 3, kernelSize, stride, padding)
    {
    }
}
