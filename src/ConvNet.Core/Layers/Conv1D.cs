using ConvNet.Initialization;

namespace ConvNet.Layers;

/// <summary>
/// 1-D convolution over [N, C, W] maps: y_q = Σ_{p∈M_q} y_p *valid rot180(w_qp) + b_q (lecture "Summary for 1D
/// convolutional layer"); weights [out][in][k]. See <see cref="ConvolutionND"/>.
/// </summary>
public sealed class Conv1D : ConvolutionND
{
    /// <summary>Creates a 1-D convolution layer.</summary>
    /// <param name="inChannels">Input feature maps.</param>
    /// <param name="outChannels">Output feature maps.</param>
    /// <param name="kernelSize">Kernel length k.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Valid (default), Same, Full or explicit (at most k_e − 1 = d(k − 1) per side, see <see cref="Layers.Padding"/>).</param>
    /// <param name="dilation">Dilation (default 1).</param>
    /// <param name="connections">M_q (default: every input feeds every output).</param>
    /// <param name="useBias">Whether b_q is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Conv1D(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding? padding = null, int dilation = 1,
        ConnectionTable? connections = null, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(1, inChannels, outChannels, [kernelSize], [stride], [dilation], padding, connections, useBias, weightInitializer, seed)
    {
    }
}
