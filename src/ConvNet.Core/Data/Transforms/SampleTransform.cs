using System;

namespace ConvNet.Data.Transforms;

/// <summary>
/// One step of an <see cref="AugmentedSource"/> pipeline, applied in place to one sample [C, H, W] (or any shape the
/// transform accepts). A random transform (<see cref="IsRandom"/>) runs only while training (epoch ≥ 0) and must draw
/// its randomness from the <see cref="SampleRandom"/> it is given; a deterministic one (normalization) runs always.
/// </summary>
public abstract class SampleTransform
{
    /// <summary>True for random augmentation (skipped at evaluation), false for a fixed transform (always applied).</summary>
    public abstract bool IsRandom { get; }

    /// <summary>Checks that the transform accepts samples of <paramref name="shape"/> (throws ArgumentException if not).</summary>
    /// <param name="shape">The sample shape.</param>
    public abstract void Validate(ReadOnlySpan<int> shape);

    /// <summary>Transforms <paramref name="sample"/> in place.</summary>
    /// <param name="sample">The sample's values.</param>
    /// <param name="shape">Its shape (validated).</param>
    /// <param name="scratch">A buffer of the sample's size the transform may use.</param>
    /// <param name="random">This sample's random stream for this transform.</param>
    public abstract void Apply(Span<float> sample, ReadOnlySpan<int> shape, Span<float> scratch, ref SampleRandom random);

    /// <summary>[C, H, W] of a 2-D sample (rank 3), as the image transforms need.</summary>
    protected static void RequireImage(ReadOnlySpan<int> shape, string transform)
    {
        if (shape.Length != 3)
        {
            ThrowHelper.Argument(nameof(shape), $"{transform} works on [C, H, W] samples; actual {ThrowHelper.Shape(shape)}.");
        }
    }
}
