namespace ConvNet.Layers;

/// <summary>
/// Log-softmax over the channel axis: y_k = x_k − m − ln Σ_j e^(x_j − m) (m the maximum, so large logits stay finite);
/// δx_k = δy_k − softmax(x)_k Σ_j δy_j. See <see cref="Softmax"/>.
/// </summary>
public sealed class LogSoftmax : Softmax
{
    /// <summary>Creates the layer.</summary>
    public LogSoftmax()
        : base(true)
    {
    }
}
