
namespace ConvNet;

/// <summary>
/// A named tensor of layer state that is not a parameter (PyTorch's <c>register_buffer</c>): BatchNorm's running mean
/// and variance, a step counter. Saved and loaded with the model and in checkpoints; optimizers and weight decay never
/// see it.
/// </summary>
public sealed class StateBuffer
{
    /// <summary>Creates a zero-filled buffer.</summary>
    /// <param name="name">The name within its layer, e.g. "running_mean".</param>
    /// <param name="shape">The shape.</param>
    public StateBuffer(string name, params int[] shape)
    {
        ThrowHelper.NotNull(name, nameof(name));
        ThrowHelper.NotNull(shape, nameof(shape));
        Name = name;
        Value = new Tensor(shape);
    }

    /// <summary>The name within its layer.</summary>
    public string Name { get; }

    /// <summary>The values.</summary>
    public Tensor Value { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{ThrowHelper.Shape(Value.Shape)}";
}
