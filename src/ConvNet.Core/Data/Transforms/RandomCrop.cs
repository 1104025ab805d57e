using System;

namespace ConvNet.Data.Transforms;

/// <summary>
/// torchvision's <c>RandomCrop(size = (H, W), padding = p)</c>: pads every channel with p zeros on each side and takes
/// the H×W window at a uniformly drawn offset (dy, dx) ∈ [0, 2p]², i.e. y[c, i, j] = x[c, i + dy − p, j + dx − p]
/// (0 outside the image).
/// </summary>
public sealed class RandomCrop : SampleTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="padding">p ≥ 1, zeros added on each side before cropping.</param>
    public RandomCrop(int padding)
    {
        ThrowHelper.Positive(padding, nameof(padding));
        Padding = padding;
    }

    /// <summary>p.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override void Validate(ReadOnlySpan<int> shape) => RequireImage(shape, nameof(RandomCrop));

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape, Span<float> scratch, ref SampleRandom random)
    {
        int channels = shape[0], h = shape[1], w = shape[2];
        int dy = random.Next((2 * Padding) + 1) - Padding, dx = random.Next((2 * Padding) + 1) - Padding;
        if (dy == 0 && dx == 0)
        {
            return;
        }

        var src = scratch[..sample.Length];
        sample.CopyTo(src);
        sample.Clear();
        int j0 = Math.Max(0, -dx), j1 = Math.Min(w, w - dx);
        for (int c = 0; c < channels; c++)
        {
            for (int i = Math.Max(0, -dy); i < Math.Min(h, h - dy) && j0 < j1; i++)
            {
                src.Slice((((c * h) + i + dy) * w) + j0 + dx, j1 - j0).CopyTo(sample.Slice((((c * h) + i) * w) + j0));
            }
        }
    }
}
