namespace ConvNet.Layers;

/// <summary>1-D max pooling over [N, C, W] maps; see <see cref="MaxPool"/> and <see cref="PoolingND"/>.</summary>
public sealed class MaxPool1D : MaxPool
{
    /// <summary>Creates the layer with the same window, stride and padding in every dimension.</summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride; 0 (default) means the window size.</param>
    /// <param name="padding">Symmetric zeros on each side (an int, or <see cref="Padding.Symmetric"/>; default none; at most
    /// half the window). Same and Full are convolution paddings and are refused.</param>
    public MaxPool1D(int kernelSize, int stride = 0, Padding? padding = null)
        : base(nameof(MaxPool1D), 1, [kernelSize], stride == 0 ? null : [stride], PoolPadding(padding, 1, nameof(MaxPool1D)))
    {
    }

    /// <summary>Creates the layer with per-dimension window, stride and padding.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    public MaxPool1D(int[] kernelSize, int[]? stride = null, int[]? padding = null)
        : base(nameof(MaxPool1D), 1, kernelSize, stride, padding)
    {
    }
}
