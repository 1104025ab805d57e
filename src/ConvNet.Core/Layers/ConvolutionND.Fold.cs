using ConvNet.Kernels;

namespace ConvNet.Layers;

// An inference BatchNorm (and ReLU) applied in the convolution's own output pass during a prediction.
public abstract partial class ConvolutionND
{
    private OutputAffine? _affine;
    private OutputAffine? _post;

    /// <summary>
    /// The prediction-only run convolution → inference BatchNorm (→ ReLU): <paramref name="output"/> = the normalization's
    /// output (z after the ReLU), each sample normalized as soon as the engine has written it, by the same kernel and
    /// coefficients as the BatchNorm layer's own pass (the same bits); the convolution's own output is never stored.
    /// </summary>
    internal void ForwardNormalized(Tensor input, Tensor output, BatchNorm norm, bool relu)
    {
        var post = _affine ??= new OutputAffine(OutChannels);
        norm.FixedAffine(post);
        post.ReLU = relu;
        _post = post;
        try
        {
            Forward(input, output);
        }
        finally
        {
            _post = null;
        }
    }

    /// <summary>Whether the last forward also applied a following BatchNorm (tests).</summary>
    internal bool LastForwardNormalized { get; private set; }

    /// <summary>Whether a BatchNorm can be applied in this convolution's output pass: a fixed affine map over as many
    /// channels (the chain's shapes already made its rank fit; the count guards the coefficient arrays).</summary>
    internal bool CanApply(BatchNorm norm) => norm.IsFixedAffine && norm.Channels == OutChannels;
}
