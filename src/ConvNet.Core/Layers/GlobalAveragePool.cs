using System.Numerics.Tensors;

namespace ConvNet.Layers;

/// <summary>
/// Global average pooling over the spatial axes: one value per feature map, y_c = (1/|plane|) Σ_i x_c,i, so a
/// per-sample [C, …spatial] becomes [C] and a fully connected layer can follow directly (Keras' GlobalAveragePooling;
/// PyTorch's AdaptiveAvgPool(1) followed by flatten). Backward: δx_c,i = δy_c / |plane| at every position.
/// </summary>
public abstract class GlobalAveragePool : GlobalPool
{
    /// <summary>Creates the layer.</summary>
    /// <param name="spatialRank">1, 2 or 3.</param>
    protected GlobalAveragePool(int spatialRank)
        : base($"GlobalAveragePool{spatialRank}D", spatialRank)
    {
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        var x = input.AsSpan();
        var y = output.AsSpan();
        int plane = x.Length / y.Length;
        float scale = 1f / plane;
        for (int c = 0; c < y.Length; c++)
        {
            y[c] = TensorPrimitives.Sum(x.Slice(c * plane, plane)) * scale;
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        var dy = outputGradient.AsSpan();
        var dx = inputGradient.AsSpan();
        int plane = dx.Length / dy.Length;
        float scale = 1f / plane;
        for (int c = 0; c < dy.Length; c++)
        {
            dx.Slice(c * plane, plane).Fill(dy[c] * scale);
        }
    }
}
