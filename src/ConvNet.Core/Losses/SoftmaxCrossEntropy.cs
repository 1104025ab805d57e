using System;
using System.Numerics.Tensors;

namespace ConvNet.Losses;

/// <summary>
/// Fused softmax + cross-entropy on logits z = y^(L): E⁽ⁿ⁾ = −Σ_k t_k ln softmax(z)_k, computed stably as
/// E⁽ⁿ⁾ = Σ_k t_k (logsumexp(z) − z_k); δ = softmax(z) − t (lecture "Exercise", answer 2; targets summing to 1),
/// times 1/N under <see cref="LossReduction.Mean"/>. Targets are class indices or dense one-hot/soft rows.
/// As PyTorch's <c>CrossEntropyLoss</c>, two options reshape the target: label smoothing ε mixes it with the uniform
/// distribution, q = (1 − ε) t + ε/K, and class weights w scale class k's term, E⁽ⁿ⁾ = −Σ_k w_k q_k ln softmax(z)_k,
/// δ = (Σ_k w_k q_k) softmax(z) − w ⊙ q. With weights and class labels the mean divides by Σ_n w[y_n], not by N.
/// </summary>
public sealed class SoftmaxCrossEntropy : Loss
{
    private readonly float[]? _classWeights;

    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    public SoftmaxCrossEntropy(LossReduction reduction = LossReduction.Mean)
        : this(0.0, null, reduction)
    {
    }

    /// <summary>Creates the loss with label smoothing and/or class weights.</summary>
    /// <param name="labelSmoothing">ε in [0, 1): the share of the target spread evenly over the K classes.</param>
    /// <param name="classWeights">w_k per class, each ≥ 0 and finite (null: all 1).</param>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    public SoftmaxCrossEntropy(double labelSmoothing, float[]? classWeights = null, LossReduction reduction = LossReduction.Mean)
        : base(reduction)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
        {
            ThrowHelper.OutOfRange(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        }

        if (classWeights is not null)
        {
            if (classWeights.Length == 0)
            {
                ThrowHelper.Argument(nameof(classWeights), "Class weights need one entry per class; actual none.");
            }

            foreach (float w in classWeights)
            {
                if (!(w >= 0 && float.IsFinite(w)))
                {
                    ThrowHelper.OutOfRange(nameof(classWeights), w, "Every class weight must be non-negative and finite.");
                }
            }

            _classWeights = (float[])classWeights.Clone();
        }

        LabelSmoothing = labelSmoothing;
    }

    /// <summary>ε, the label smoothing (0: none).</summary>
    public double LabelSmoothing { get; }

    /// <summary>w_k per class, or empty for all 1.</summary>
    public ReadOnlySpan<float> ClassWeights => _classWeights;

    private bool Plain => LabelSmoothing == 0 && _classWeights is null;

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
        if (!Plain)
        {
            return ForwardShaped(y, t, labels, n, k);
        }

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
        if (!Plain)
        {
            BackwardShaped(y, t, labels, n, k, gradient, scale);
            return;
        }

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

    /// <summary>With class weights and labels, PyTorch's weighted mean: Σ_n w[y_n]; otherwise N.</summary>
    /// <inheritdoc />
    protected override double MeanDenominator(ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k)
    {
        if (_classWeights is null || labels.IsEmpty)
        {
            return n;
        }

        CheckClasses(k);
        double sum = 0;
        foreach (int label in labels)
        {
            sum += _classWeights[label];
        }

        if (!(sum > 0))
        {
            ThrowHelper.Argument(nameof(labels), "SoftmaxCrossEntropy: every label in the batch has class weight 0, so the weighted mean is undefined.");
        }

        return sum;
    }

    /// <summary>E⁽ⁿ⁾ = −Σ_k c_k ln softmax(z)_k with c = w ⊙ q, q the smoothed target.</summary>
    private double ForwardShaped(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k)
    {
        CheckClasses(k);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> z = y.Slice(s * k, k);
            double lse = LogSumExp(z);
            for (int j = 0; j < k; j++)
            {
                double c = Coefficient(t, labels, s, j, k);
                if (c != 0)
                {
                    sum += c * (lse - z[j]);
                }
            }
        }

        return sum;
    }

    /// <summary>δ = (Σ_k c_k) softmax(z) − c.</summary>
    private void BackwardShaped(ReadOnlySpan<float> y, ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int n, int k, Span<float> gradient, float scale)
    {
        CheckClasses(k);
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> z = y.Slice(s * k, k);
            double lse = LogSumExp(z), total = 0;
            for (int j = 0; j < k; j++)
            {
                total += Coefficient(t, labels, s, j, k);
            }

            for (int j = 0; j < k; j++)
            {
                double p = Math.Exp(z[j] - lse);
                gradient[(s * k) + j] = (float)(((total * p) - Coefficient(t, labels, s, j, k)) * scale);
            }
        }
    }

    /// <summary>c_k = w_k q_k, q = (1 − ε) t + ε/K (t one-hot for a label).</summary>
    private double Coefficient(ReadOnlySpan<float> t, ReadOnlySpan<int> labels, int s, int j, int k)
    {
        double target = labels.IsEmpty ? t[(s * k) + j] : (labels[s] == j ? 1.0 : 0.0);
        double q = ((1 - LabelSmoothing) * target) + (LabelSmoothing / k);
        return _classWeights is null ? q : _classWeights[j] * q;
    }

    private void CheckClasses(int k)
    {
        if (_classWeights is not null && _classWeights.Length != k)
        {
            ThrowHelper.Argument("prediction", $"SoftmaxCrossEntropy: {_classWeights.Length} class weights for predictions of {k} classes.");
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
