using System;

namespace ConvNet.Layers;

/// <summary>
/// Softmax over the channel axis (the first per-sample axis) at every position: y_k = e^(x_k − m) / Σ_j e^(x_j − m)
/// with m = max_j x_j, so logits of ±1000 stay finite. Backward: δx_k = y_k (δy_k − Σ_j δy_j y_j).
/// With <c>log: true</c> it is LogSoftmax: y_k = x_k − m − ln Σ_j e^(x_j − m), δx_k = δy_k − softmax_k Σ_j δy_j.
/// </summary>
public class Softmax : Layer
{
    /// <summary>Creates the layer.</summary>
    public Softmax()
        : this(false)
    {
    }

    /// <summary>Creates softmax or log-softmax.</summary>
    /// <param name="log">True for LogSoftmax.</param>
    protected Softmax(bool log)
        : base(log ? "LogSoftmax" : nameof(Softmax))
    {
        IsLog = log;
    }

    /// <summary>Whether the layer gives log-probabilities.</summary>
    public bool IsLog { get; }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length < 1)
        {
            Fail(nameof(inputShape), "needs a channel axis.");
        }

        return inputShape.ToArray();
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        int n = input.Shape[0], c = input.Shape[1], inner = input.Length / n / c;
        ReadOnlySpan<float> x = input.AsSpan();
        Span<float> y = output.AsSpan();
        for (int s = 0; s < n; s++)
        {
            for (int p = 0; p < inner; p++)
            {
                int o = (s * c * inner) + p;
                float m = float.NegativeInfinity;
                for (int k = 0; k < c; k++)
                {
                    m = MathF.Max(m, x[o + (k * inner)]);
                }

                double sum = 0;
                for (int k = 0; k < c; k++)
                {
                    sum += Math.Exp(x[o + (k * inner)] - m);
                }

                double logSum = Math.Log(sum);
                for (int k = 0; k < c; k++)
                {
                    double z = x[o + (k * inner)] - m;
                    y[o + (k * inner)] = (float)(IsLog ? z - logSum : Math.Exp(z - logSum));
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        int n = input.Shape[0], c = input.Shape[1], inner = input.Length / n / c;
        ReadOnlySpan<float> y = output.AsSpan(), dy = outputGradient.AsSpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int s = 0; s < n; s++)
        {
            for (int p = 0; p < inner; p++)
            {
                int o = (s * c * inner) + p;
                double dot = 0;
                for (int k = 0; k < c; k++)
                {
                    int i = o + (k * inner);
                    dot += IsLog ? dy[i] : (double)dy[i] * y[i];
                }

                for (int k = 0; k < c; k++)
                {
                    int i = o + (k * inner);
                    dx[i] = IsLog ? (float)(dy[i] - (Math.Exp(y[i]) * dot)) : (float)(y[i] * (dy[i] - dot));
                }
            }
        }
    }
}
