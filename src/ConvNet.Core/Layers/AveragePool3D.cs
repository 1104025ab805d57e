namespace ConvNet.Layers;

/// <summary>3-D average pooling over [N, C, D, H, W] maps; see <see cref="AveragePool"/> and <see cref="PoolingND"/>.</summary>
public sealed class AveragePool3D : AveragePool
{
    /// <summary>Creates the layer with the same window, stride and padding in every dimension.</summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride; 0 (default) means the window size.</param>
    /// <param name="padding">Symmetric zeros on each side (an int, or <see cref="Padding.Symmetric"/>; default none; at most
    /// half the window). Same and Full are convolution paddings and are refused.</param>
    public AveragePool3D(int kernelSize, int stride = 0, Padding? padding = null)
        : base(nameof(AveragePool3D), 3, [kernelSize], stride == 0 ? null : [stride], PoolPadding(padding, 3, nameof(AveragePool3D)))
    {
    }

    /// <summary>Creates the layer with per-dimension window, stride and padding.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    public AveragePool3D(int[] kernelSize, int[]? stride = null, int[]? padding = null)
        : base(nameof(AveragePool3D), 3, kernelSize, stride, padding)
    {
    }

    /// <summary>Creates the layer from tuples, as PyTorch's <c>kernel_size=(d, h, w)</c>.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric zeros per side (an int for all dimensions, or <see cref="Padding.Symmetric"/>).</param>
    public AveragePool3D((int Depth, int Height, int Width) kernelSize, (int, int, int)? stride = null, Padding? padding = null)
        : base(nameof(AveragePool3D), 3, [kernelSize.Depth, kernelSize.Height, kernelSize.Width], stride is { } sv ? [sv.Item1, sv.Item2, sv.Item3] : null, PoolPadding(padding, 3, nameof(AveragePool3D)))
    {
    }
}
