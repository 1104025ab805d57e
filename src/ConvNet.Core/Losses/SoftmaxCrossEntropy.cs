using System;
using System.Numerics.Tensors;

namespace ConvNet.Losses;

/// <summary>
/// Fused softmax + cross-entropy on logits z = y^(L): E⁽ⁿ⁾ = −Σ_k t_k ln softmax(z)_k, computed stably as
/// E⁽ⁿ⁾ = Σ_k t_k (logsumexp(z) − z_k); δ = softmax(z) − t (lecture "Exercise", answer 2; targets summing to 1),
/// times 1/N under <see cref="LossReduction.Mean"/>. Targets are class indices or dense one-hot/soft rows.
/// </summary>
public sealed class SoftmaxCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    public SoftmaxCrossEntropy(LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
    }

    /// <summary>
    /// Writes softmax(z) row by row as exp(z_k − max z) / Σ_j exp(z_j − max z), finite for any finite logits
    /// (e.g. ±1000). The destination may be the logits tensor itself.
    /// </summary>
    /// <param name="logits">z, [N, K].</param>
    /// <param name="probabilities">Destination, [N, K].</param>
    public static void Softmax(Tensor logits, Tensor probabilities)
    {
        ThrowHelper.NotNull(logits, nameof(logits));
        ThrowHelper.NotNull(probabilities, nameof(probabilities));
        if (logits.Rank != 2 || !probabilities.HasShape(logits.Shape))
        {
            ThrowHelper.Argument(nameof(probabilities), $"Softmax needs [N, K] logits and a destination of the same shape; actual {ThrowHelper.Shape(logits.Shape)} and {ThrowHelper.Shape(probabilities.Shape)}.");
        }

        int n = logits.Shape[0], k = logits.Shape[1];
        for (int s = 0; s < n; s++)
        {
            // TensorPrimitives.SoftMax does not subtract the maximum: exp overflows above ~88 and all-underflows below ~-103.
            ReadOnlySpan<float> z = logits.AsSpan().Slice(s * k, k);
            Span<float> p = probabilities.AsSpan().Slice(s * k, k);
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
        }
    }

    /// <inheritdoc />
    protected override double ForwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k)
    {
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> z = y.Slice(s * k, k);
            double lse = LogSumExp(z);
            if (labels.IsEmpty)
            {
                for (int j = 0; j < k; j++)
                {
                    float tj = t[(s * k) + j];
                    if (tj != 0f)
                    {
                        sum += tj * (lse - z[j]);
                    }
                }
            }
            else
            {
                sum += lse - z[labels[s]];
            }
        }

        return sum;
    }

    /// <inheritdoc />
    protected override void BackwardCore(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k, Span<float> gradient, float scale)
    {
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> z = y.Slice(s * k, k);
            Span<float> g = gradient.Slice(s * k, k);
            double lse = LogSumExp(z);
            for (int j = 0; j < k; j++)
            {
                float p = (float)Math.Exp(z[j] - lse);
                float target = labels.IsEmpty ? t[(s * k) + j] : (labels[s] == j ? 1f : 0f);
                g[j] = (p - target) * scale;
            }
        }
    }

    private static double LogSumExp(ReadOnlySpan<float> z)
    {
        float max = TensorPrimitives.Max(z);
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            sum += Math.Exp(z[j] - (double)max);
        }

        return max + Math.Log(sum);
    }
}
