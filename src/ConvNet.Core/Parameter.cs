using System;

namespace ConvNet;

/// <summary>
/// A trainable tensor of a layer: its <see cref="Value"/> (W or b), its <see cref="Gradient"/> ∂E/∂W summed over the
/// mini-batch by the last Backward, whether weight decay applies (the lecture decays W, not b), and an optional mask
/// (a connection table): masked entries are exactly zero, never change, and are not counted.
/// </summary>
public sealed class Parameter
{
    private readonly float[]? _mask;
    private Tensor? _gradient;

    /// <summary>Creates a parameter with a zeroed value (the zeroed gradient is allocated on first use, as PyTorch's
    /// <c>.grad</c> appears with the first backward: a network loaded for inference holds its weights only).</summary>
    /// <param name="name">A name such as "weight" or "bias".</param>
    /// <param name="shape">The value's shape.</param>
    /// <param name="decays">True if weight decay applies (weights), false for biases.</param>
    /// <param name="mask">Optional 0/1 mask of the same length; entries with 0 are held at exactly zero.</param>
    public Parameter(string name, int[] shape, bool decays, float[]? mask = null)
    {
        ThrowHelper.NotNull(name, nameof(name));
        Name = name;
        Value = new Tensor(shape);
        Decays = decays;
        if (mask is not null && mask.Length != Value.Length)
        {
            ThrowHelper.Argument(nameof(mask), $"Mask length {mask.Length} does not match parameter shape {ThrowHelper.Shape(shape)} ({Value.Length} elements).");
        }

        _mask = mask;
        int count = 0;
        if (mask is null)
        {
            count = Value.Length;
        }
        else
        {
            foreach (float m in mask)
            {
                count += m != 0f ? 1 : 0;
            }
        }

        TrainableCount = count;
    }

    /// <summary>The parameter's name within its layer ("weight", "bias").</summary>
    public string Name { get; }

    /// <summary>The current value, W or b.</summary>
    public Tensor Value { get; }

    /// <summary>∂E/∂(value) written by the layer's last Backward: summed over the batch, masked entries exactly 0.</summary>
    public Tensor Gradient
    {
        get
        {
            var g = _gradient;
            if (g is null)
            {
                g = new Tensor(Value.Shape.ToArray());
                g = System.Threading.Interlocked.CompareExchange(ref _gradient, g, null) ?? g;
            }

            return g;
        }
    }

    /// <summary>True once <see cref="Gradient"/> has been allocated (by a Backward or a caller).</summary>
    internal bool HasGradient => _gradient is not null;

    /// <summary>True when weight decay applies: W ← W − αλW (weights); false for biases.</summary>
    public bool Decays { get; }

    /// <summary>
    /// True when optimizers skip this parameter (PyTorch's <c>requires_grad = False</c>, Keras' <c>trainable = False</c>):
    /// its value and its optimizer state stay as they are; backward still computes its gradient and the δ below it.
    /// Set per layer with <see cref="Layers.Layer.Trainable"/>. Not saved with the model: set it again after loading.
    /// </summary>
    public bool Frozen { get; set; }

    /// <summary>The 0/1 connection mask, or empty when every entry is trainable.</summary>
    public ReadOnlySpan<float> Mask => _mask;

    /// <summary>True when a mask holds some entries at zero.</summary>
    public bool IsMasked => _mask is not null;

    /// <summary>The number of trainable entries (unmasked ones).</summary>
    public int TrainableCount { get; }

    /// <summary>Sets masked entries of the value (and gradient) to exactly zero.</summary>
    public void ApplyMask()
    {
        if (_mask is null)
        {
            return;
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(Value.AsSpan(), _mask, Value.AsSpan());
        if (_gradient is not null)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(_gradient.AsSpan(), _mask, _gradient.AsSpan());
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{ThrowHelper.Shape(Value.Shape)} ({TrainableCount} trainable)";
}
