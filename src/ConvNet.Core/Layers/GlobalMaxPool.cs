using System;

namespace ConvNet.Layers;

/// <summary>
/// Global max pooling over the spatial axes: y_c = max_i x_c,i, one value per feature map ([C, …spatial] → [C]).
/// Backward: δ goes to the first maximum of each map in row-major order (as PyTorch), 0 elsewhere. A map holding NaN
/// gives NaN, and its δ goes to the first NaN.
/// </summary>
public abstract class GlobalMaxPool : GlobalPool
{
    private int[] _argmax = [];

    /// <summary>Creates the layer.</summary>
    /// <param name="spatialRank">1, 2 or 3.</param>
    protected GlobalMaxPool(int spatialRank)
        : base($"GlobalMaxPool{spatialRank}D", spatialRank)
    {
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        ReadOnlySpan<float> x = input.AsSpan();
        Span<float> y = output.AsSpan();
        int plane = x.Length / y.Length;
        if (_argmax.Length < y.Length)
        {
            _argmax = new int[y.Length];
        }

        for (int c = 0; c < y.Length; c++)
        {
            var p = x.Slice(c * plane, plane);
            int best = 0;
            for (int i = 1; i < p.Length && !float.IsNaN(p[best]); i++)
            {
                if (p[i] > p[best] || float.IsNaN(p[i]))
                {
                    best = i;
                }
            }

            _argmax[c] = best;
            y[c] = p[best];
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        ReadOnlySpan<float> dy = outputGradient.AsSpan();
        Span<float> dx = inputGradient.AsSpan();
        int plane = dx.Length / dy.Length;
        dx.Clear();
        for (int c = 0; c < dy.Length; c++)
        {
            dx[(c * plane) + _argmax[c]] = dy[c];
        }
    }
}
