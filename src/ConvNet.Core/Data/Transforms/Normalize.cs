using System;
using System.Numerics.Tensors;

namespace ConvNet.Data.Transforms;

/// <summary>torchvision's <c>Normalize(mean, std)</c> per channel: y[c, …] = (x[c, …] − mean_c) / std_c. Deterministic:
/// applied at evaluation too.</summary>
public sealed class Normalize : SampleTransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the transform.</summary>
    /// <param name="mean">One mean per channel.</param>
    /// <param name="std">One standard deviation per channel (finite, &gt; 0).</param>
    public Normalize(float[] mean, float[] std)
    {
        ThrowHelper.NotNull(mean, nameof(mean));
        ThrowHelper.NotNull(std, nameof(std));
        if (mean.Length == 0 || mean.Length != std.Length)
        {
            ThrowHelper.Argument(nameof(std), $"Give one mean and one std per channel ({mean.Length} means, {std.Length} stds).");
        }

        for (int c = 0; c < mean.Length; c++)
        {
            ThrowHelper.Finite(mean[c], nameof(mean));
            ThrowHelper.FinitePositive(std[c], nameof(std));
        }

        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    /// <inheritdoc/>
    public override bool IsRandom => false;

    /// <inheritdoc/>
    public override void Validate(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 1 || shape[0] != _mean.Length)
        {
            ThrowHelper.Argument(nameof(shape), $"Normalize has {_mean.Length} channel(s); the samples are {ThrowHelper.Shape(shape)}.");
        }
    }

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape, Span<float> scratch, ref SampleRandom random)
    {
        int plane = sample.Length / _mean.Length;
        for (int c = 0; c < _mean.Length; c++)
        {
            var x = sample.Slice(c * plane, plane);
            TensorPrimitives.Subtract(x, _mean[c], x);
            TensorPrimitives.Divide(x, _std[c], x);
        }
    }
}
