namespace ConvNet.Layers;

/// <summary>2-D max pooling over [N, C, H, W] maps; see <see cref="MaxPool"/> and <see cref="PoolingND"/>.</summary>
public sealed class MaxPool2D : MaxPool
{
    /// <summary>Creates the layer with the same window, stride and padding in every dimension.</summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride; 0 (default) means the window size.</param>
    /// <param name="padding">Symmetric zeros on each side (an int, or <see cref="Padding.Symmetric"/>; default none; at most
    /// half the window). Same and Full are convolution paddings and are refused.</param>
    public MaxPool2D(int kernelSize, int stride = 0, Padding? padding = null)
        : base(nameof(MaxPool2D), 2, [kernelSize], stride == 0 ? null : [stride], PoolPadding(padding, 2, nameof(MaxPool2D)))
    {
    }

    /// <summary>Creates the layer with per-dimension window, stride and padding.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    public MaxPool2D(int[] kernelSize, int[]? stride = null, int[]? padding = null)
        : base(nameof(MaxPool2D), 2, kernelSize, stride, padding)
    {
    }

    /// <summary>Creates the layer from tuples, as PyTorch's <c>kernel_size=(h, w)</c>.</summary>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the window).</param>
    /// <param name="padding">Symmetric zeros per side (an int for all dimensions, or <see cref="Padding.Symmetric"/>).</param>
    public MaxPool2D((int Height, int Width) kernelSize, (int, int)? stride = null, Padding? padding = null)
        : base(nameof(MaxPool2D), 2, [kernelSize.Height, kernelSize.Width], stride is { } sv ? [sv.Item1, sv.Item2] : null, PoolPadding(padding, 2, nameof(MaxPool2D)))
    {
    }
}
