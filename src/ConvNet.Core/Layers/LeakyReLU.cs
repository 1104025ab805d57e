using System;

namespace ConvNet.Layers;

/// <summary>
/// Leaky rectified linear unit: y = x for x &gt; 0, else a·x (PyTorch's default slope a = 0.01).
/// Backward: δx = δy for x &gt; 0, else a·δy.
/// </summary>
public sealed class LeakyReLU : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="negativeSlope">a, the slope for x ≤ 0 (finite).</param>
    public LeakyReLU(double negativeSlope = 0.01)
        : base(nameof(LeakyReLU))
    {
        ThrowHelper.Finite(negativeSlope, nameof(negativeSlope));
        NegativeSlope = negativeSlope;
    }

    /// <summary>a, the slope for x ≤ 0.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("negativeSlope", NegativeSlope);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        ReadOnlySpan<float> x = input.AsSpan();
        Span<float> y = output.AsSpan();
        float a = (float)NegativeSlope;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : a * x[i];
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        ReadOnlySpan<float> x = input.AsSpan(), dy = outputGradient.AsSpan();
        Span<float> dx = inputGradient.AsSpan();
        float a = (float)NegativeSlope;
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] = x[i] > 0f ? dy[i] : a * dy[i];
        }
    }
}
