using System;

namespace ConvNet.Layers;

/// <summary>
/// Gives each sample another shape with the same elements in row-major order (PyTorch's <c>view</c> without the batch
/// axis; ONNX Reshape); one axis may be −1 and is inferred. Backward reshapes δ back.
/// </summary>
public sealed class Reshape : Layer
{
    private readonly int[] _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="shape">The per-sample target shape (rank 1 to 4; positive sizes, at most one −1).</param>
    public Reshape(params int[] shape)
        : base(nameof(Reshape))
    {
        ThrowHelper.NotNull(shape, nameof(shape));
        if (shape.Length is < 1 or > Tensor.MaxRank - 1)
        {
            ThrowHelper.Argument(nameof(shape), $"A per-sample shape has rank 1 to {Tensor.MaxRank - 1}; actual {ThrowHelper.Shape(shape)}.");
        }

        int infer = 0;
        foreach (int d in shape)
        {
            if (d == -1)
            {
                infer++;
            }
            else if (d <= 0)
            {
                ThrowHelper.Argument(nameof(shape), $"Sizes must be positive (or one −1); actual {ThrowHelper.Shape(shape)}.");
            }
        }

        if (infer > 1)
        {
            ThrowHelper.Argument(nameof(shape), $"At most one size may be −1; actual {ThrowHelper.Shape(shape)}.");
        }

        _shape = (int[])shape.Clone();
    }

    /// <summary>The target shape as given (possibly with −1).</summary>
    public ReadOnlySpan<int> TargetShape => _shape;

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("shape", (ReadOnlySpan<int>)_shape);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        long n = 1;
        foreach (int d in inputShape)
        {
            n *= d;
            if (n > int.MaxValue)
            {
                Fail(nameof(inputShape), $"a sample of shape {ThrowHelper.Shape(inputShape)} has more than {int.MaxValue} elements.");
            }
        }

        long known = 1;
        int at = -1;
        for (int i = 0; i < _shape.Length; i++)
        {
            if (_shape[i] == -1)
            {
                at = i;
            }
            else
            {
                known = Math.Min(known * _shape[i], (long)int.MaxValue + 1);
            }
        }

        var result = (int[])_shape.Clone();
        if (at >= 0 && known > 0 && n % known == 0 && n / known <= int.MaxValue)
        {
            result[at] = (int)(n / known);
            known *= result[at];
        }

        if (known != n || (at >= 0 && result[at] <= 0))
        {
            Fail(nameof(inputShape), $"cannot reshape {ThrowHelper.Shape(inputShape)} ({n} elements) to {ThrowHelper.Shape(_shape)}.");
        }

        return result;
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => input.AsSpan().CopyTo(output.AsSpan());

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is not null)
        {
            outputGradient.AsSpan().CopyTo(inputGradient.AsSpan());
        }
    }
}
