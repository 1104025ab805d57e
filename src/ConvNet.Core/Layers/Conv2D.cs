using ConvNet.Initialization;

namespace ConvNet.Layers;

/// <summary>
/// 2-D convolution over [N, C, H, W] maps: y_q = Σ_{p∈M_q} y_p *valid rot180(w_qp) + b_q (lecture "Summary for 2D
/// convolution with feature combination"); weights [out][in][kh][kw]. See <see cref="ConvolutionND"/>.
/// </summary>
public sealed class Conv2D : ConvolutionND
{
    /// <summary>Creates a 2-D convolution layer with a square kernel.</summary>
    /// <param name="inChannels">Input feature maps.</param>
    /// <param name="outChannels">Output feature maps.</param>
    /// <param name="kernelSize">Kernel size k (k × k).</param>
    /// <param name="stride">Stride in both dimensions (default 1).</param>
    /// <param name="padding">Valid (default), Same, Full or explicit (at most k_e − 1 = d(k − 1) per side, see <see cref="Layers.Padding"/>).</param>
    /// <param name="dilation">Dilation in both dimensions (default 1).</param>
    /// <param name="connections">M_q, e.g. <see cref="ConnectionTable.LeNet5C3"/> (default: full).</param>
    /// <param name="useBias">Whether b_q is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Conv2D(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding? padding = null, int dilation = 1,
        ConnectionTable? connections = null, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(2, inChannels, outChannels, [kernelSize], [stride], [dilation], padding, connections, useBias, weightInitializer, seed)
    {
    }

    /// <summary>Creates a 2-D convolution layer with per-dimension kernel, stride, padding and dilation (PyTorch's
    /// argument order).</summary>
    /// <param name="inChannels">Input feature maps.</param>
    /// <param name="outChannels">Output feature maps.</param>
    /// <param name="kernelSize">(kh, kw).</param>
    /// <param name="stride">Per dimension, default 1.</param>
    /// <param name="padding">Valid (default), Same, Full or explicit (at most k_e − 1 = d(k − 1) per side, see <see cref="Layers.Padding"/>).</param>
    /// <param name="dilation">Per dimension, default 1.</param>
    /// <param name="connections">M_q (default: full).</param>
    /// <param name="useBias">Whether b_q is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Conv2D(int inChannels, int outChannels, int[] kernelSize, int[]? stride = null, Padding? padding = null, int[]? dilation = null,
        ConnectionTable? connections = null, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(2, inChannels, outChannels, kernelSize, stride, dilation, padding, connections, useBias, weightInitializer, seed)
    {
    }

    /// <summary>Creates a 2-D convolution layer from tuples, as PyTorch's <c>kernel_size=(kh, kw)</c>.</summary>
    /// <param name="inChannels">Input feature maps.</param>
    /// <param name="outChannels">Output feature maps.</param>
    /// <param name="kernelSize">(kh, kw).</param>
    /// <param name="stride">Per dimension, default 1.</param>
    /// <param name="padding">Valid (default), Same, Full or explicit (see <see cref="Layers.Padding"/>).</param>
    /// <param name="dilation">Per dimension, default 1.</param>
    /// <param name="connections">M_q (default: full).</param>
    /// <param name="useBias">Whether b_q is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Conv2D(int inChannels, int outChannels, (int Height, int Width) kernelSize, (int, int)? stride = null, Padding? padding = null, (int, int)? dilation = null,
        ConnectionTable? connections = null, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(2, inChannels, outChannels, [kernelSize.Height, kernelSize.Width], stride is { } sv ? [sv.Item1, sv.Item2] : null, dilation is { } dv ? [dv.Item1, dv.Item2] : null, padding, connections, useBias, weightInitializer, seed)
    {
    }
}
