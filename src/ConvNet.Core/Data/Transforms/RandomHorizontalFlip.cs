using System;

namespace ConvNet.Data.Transforms;

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: with probability p, y[c, i, j] = x[c, i, W − 1 − j].</summary>
public sealed class RandomHorizontalFlip : SampleTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">p in [0, 1] (default ½).</param>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            ThrowHelper.OutOfRange(nameof(probability), probability, "Expected a probability in [0, 1].");
        }

        Probability = probability;
    }

    /// <summary>p.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override void Validate(ReadOnlySpan<int> shape) => RequireImage(shape, nameof(RandomHorizontalFlip));

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape, Span<float> scratch, ref SampleRandom random)
    {
        if (random.NextDouble() >= Probability)
        {
            return;
        }

        int rows = shape[0] * shape[1], w = shape[2];
        for (int r = 0; r < rows; r++)
        {
            sample.Slice(r * w, w).Reverse();
        }
    }
}
