using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ConvNet;

/// <summary>
/// A dense, row-major (C order, last index fastest) tensor of <see cref="float"/> with rank 1 to 5.
/// Layouts used by the layers are batch-first: vectors <c>[N, F]</c>, 1-D maps <c>[N, C, W]</c>,
/// 2-D maps <c>[N, C, H, W]</c> and 3-D maps <c>[N, C, D, H, W]</c>; weights are <c>[out][in][k…]</c>.
/// </summary>
/// <remarks>
/// The storage is a <see cref="Memory{T}"/>; <see cref="Reshape(int[])"/> and <see cref="Slice(int, int)"/> return
/// views over the same memory without copying. Element (i₀, …, i_{r−1}) lives at Σ iₖ·strideₖ with
/// strideₖ = Π_{j&gt;k} shapeⱼ.
/// </remarks>
public sealed class Tensor
{
    /// <summary>The largest rank a tensor may have.</summary>
    public const int MaxRank = 5;

    private readonly Memory<float> _memory;
    private readonly int[] _shape;

    /// <summary>Creates a zero-filled tensor of the given shape.</summary>
    /// <param name="shape">Between 1 and 5 positive dimensions.</param>
    /// <exception cref="ArgumentException">The rank is outside 1..5 or a dimension is not positive.</exception>
    public Tensor(params int[] shape)
    {
        ThrowHelper.NotNull(shape, nameof(shape));
        _shape = (int[])shape.Clone();
        int length = ValidateShape(_shape, nameof(shape));
        _memory = new float[length];
    }

    /// <summary>
    /// Wraps existing memory without copying (a <see cref="float"/>[] converts implicitly to <see cref="Memory{T}"/>).
    /// Writes through the tensor are visible in <paramref name="memory"/> and vice versa.
    /// </summary>
    /// <param name="memory">Exactly Π shape elements.</param>
    /// <param name="shape">Between 1 and 5 positive dimensions.</param>
    /// <exception cref="ArgumentException">The shape is invalid or its product differs from the memory length.</exception>
    public Tensor(Memory<float> memory, params int[] shape)
    {
        ThrowHelper.NotNull(shape, nameof(shape));
        _shape = (int[])shape.Clone();
        int length = ValidateShape(_shape, nameof(shape));
        if (memory.Length != length)
        {
            ThrowHelper.Argument(nameof(memory), $"Data length {memory.Length} does not match shape {ThrowHelper.Shape(_shape)} (expected {length} elements).");
        }

        _memory = memory;
    }

    /// <summary>Creates a tensor that owns a copy of <paramref name="data"/>.</summary>
    /// <param name="data">Row-major values, exactly Π shape of them.</param>
    /// <param name="shape">Between 1 and 5 positive dimensions.</param>
    /// <returns>A new tensor holding a copy of the data.</returns>
    public static Tensor FromData(ReadOnlySpan<float> data, params int[] shape)
    {
        ThrowHelper.NotNull(shape, nameof(shape));
        var t = new Tensor(shape);
        if (data.Length != t.Length)
        {
            ThrowHelper.Argument(nameof(data), $"Data length {data.Length} does not match shape {ThrowHelper.Shape(shape)} (expected {t.Length} elements).");
        }

        data.CopyTo(t.AsSpan());
        return t;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions (1..5).</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements, Π shape.</summary>
    public int Length => _memory.Length;

    /// <summary>The underlying memory (a view when this tensor came from <see cref="Reshape(int[])"/> or <see cref="Slice(int, int)"/>).</summary>
    public Memory<float> Memory => _memory;

    /// <summary>Returns the size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    /// <param name="axis">0..Rank−1, or −Rank..−1.</param>
    /// <returns>The size of that dimension.</returns>
    public int Dim(int axis)
    {
        int a = axis < 0 ? axis + _shape.Length : axis;
        if ((uint)a >= (uint)_shape.Length)
        {
            ThrowHelper.OutOfRange(nameof(axis), axis, $"Axis {axis} is outside a rank-{_shape.Length} tensor.");
        }

        return _shape[a];
    }

    /// <summary>The elements as a span, row-major.</summary>
    /// <returns>A span over the tensor's memory.</returns>
    public Span<float> AsSpan() => _memory.Span;

    /// <summary>Element of a rank-1 tensor.</summary>
    /// <param name="i0">Index along axis 0.</param>
    public float this[int i0]
    {
        get => AsSpan()[Offset(i0)];
        set => AsSpan()[Offset(i0)] = value;
    }

    /// <summary>Element of a rank-2 tensor.</summary>
    /// <param name="i0">Index along axis 0.</param>
    /// <param name="i1">Index along axis 1.</param>
    public float this[int i0, int i1]
    {
        get => AsSpan()[Offset(i0, i1)];
        set => AsSpan()[Offset(i0, i1)] = value;
    }

    /// <summary>Element of a rank-3 tensor.</summary>
    /// <param name="i0">Index along axis 0.</param>
    /// <param name="i1">Index along axis 1.</param>
    /// <param name="i2">Index along axis 2.</param>
    public float this[int i0, int i1, int i2]
    {
        get => AsSpan()[Offset(i0, i1, i2)];
        set => AsSpan()[Offset(i0, i1, i2)] = value;
    }

    /// <summary>Element of a rank-4 tensor.</summary>
    /// <param name="i0">Index along axis 0.</param>
    /// <param name="i1">Index along axis 1.</param>
    /// <param name="i2">Index along axis 2.</param>
    /// <param name="i3">Index along axis 3.</param>
    public float this[int i0, int i1, int i2, int i3]
    {
        get => AsSpan()[Offset(i0, i1, i2, i3)];
        set => AsSpan()[Offset(i0, i1, i2, i3)] = value;
    }

    /// <summary>Element of a rank-5 tensor.</summary>
    /// <param name="i0">Index along axis 0.</param>
    /// <param name="i1">Index along axis 1.</param>
    /// <param name="i2">Index along axis 2.</param>
    /// <param name="i3">Index along axis 3.</param>
    /// <param name="i4">Index along axis 4.</param>
    public float this[int i0, int i1, int i2, int i3, int i4]
    {
        get => AsSpan()[Offset(i0, i1, i2, i3, i4)];
        set => AsSpan()[Offset(i0, i1, i2, i3, i4)] = value;
    }

    /// <summary>
    /// A view with another shape over the same memory (no copy). One dimension may be −1 and is then inferred.
    /// </summary>
    /// <param name="shape">The new shape; its product must equal <see cref="Length"/>.</param>
    /// <returns>A tensor sharing this tensor's memory.</returns>
    public Tensor Reshape(params int[] shape)
    {
        ThrowHelper.NotNull(shape, nameof(shape));
        var s = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1 && infer < 0)
            {
                infer = i;
            }
            else if (s[i] > 0 && known <= Length)
            {
                known *= s[i]; // ≤ Length · int.MaxValue: cannot wrap
            }
            else
            {
                known = 0; // not positive or already too large: left to ValidateShape below
            }
        }

        if (infer >= 0 && known > 0 && known <= Length && Length % known == 0)
        {
            s[infer] = (int)(Length / known);
        }

        int length = ValidateShape(s, nameof(shape));
        if (length != Length)
        {
            ThrowHelper.Argument(nameof(shape), $"Cannot reshape {ThrowHelper.Shape(_shape)} ({Length} elements) to {ThrowHelper.Shape(shape)} ({length} elements).");
        }

        return new Tensor(_memory, s, validated: true);
    }

    /// <summary>A view of <paramref name="count"/> entries along axis 0 starting at <paramref name="start"/> (no copy).</summary>
    /// <param name="start">First index along axis 0.</param>
    /// <param name="count">Number of entries along axis 0.</param>
    /// <returns>A tensor sharing this tensor's memory.</returns>
    public Tensor Slice(int start, int count)
    {
        // 64-bit: start + count must not wrap (a wrapped end would pass the check and give a view whose shape
        // promises more elements than its memory holds).
        if (start < 0 || count <= 0 || (long)start + count > _shape[0])
        {
            ThrowHelper.OutOfRange(nameof(start), start, $"Slice [{start}, {(long)start + count}) is outside axis 0 of size {_shape[0]}.");
        }

        int inner = Length / _shape[0];
        var s = (int[])_shape.Clone();
        s[0] = count;
        return new Tensor(_memory.Slice(start * inner, count * inner), s, validated: true);
    }

    /// <summary>Copies the elements into a new array, row-major.</summary>
    /// <returns>A new array.</returns>
    public float[] ToArray() => _memory.ToArray();

    /// <summary>A deep copy with the same shape.</summary>
    /// <returns>A new tensor owning a copy of the data.</returns>
    public Tensor Clone() => FromData(AsSpan(), _shape);

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => AsSpan().Clear();

    /// <summary>True when <paramref name="shape"/> equals this tensor's shape.</summary>
    /// <param name="shape">A shape to compare.</param>
    /// <returns>Whether the shapes are equal.</returns>
    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>
    /// A readable rendering: the shape, and for tensors of at most 1,000 elements the values as nested brackets.
    /// </summary>
    /// <returns>A string such as <c>Tensor[2, 2] [[1, 2], [3, 4]]</c>.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder("Tensor").Append(ThrowHelper.Shape(_shape));
        if (Length > 1000)
        {
            return sb.Append(" (").Append(Length.ToString(CultureInfo.InvariantCulture)).Append(" elements)").ToString();
        }

        sb.Append(' ');
        int pos = 0;
        Append(sb, 0, ref pos);
        return sb.ToString();
    }

    private void Append(StringBuilder sb, int axis, ref int pos)
    {
        sb.Append('[');
        var span = _memory.Span;
        for (int i = 0; i < _shape[axis]; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            if (axis == _shape.Length - 1)
            {
                sb.Append(span[pos++].ToString("G6", CultureInfo.InvariantCulture));
            }
            else
            {
                Append(sb, axis + 1, ref pos);
            }
        }

        sb.Append(']');
    }

    private Tensor(Memory<float> memory, int[] shape, bool validated)
    {
        _ = validated;
        _memory = memory;
        _shape = shape;
    }

    internal static int ValidateShape(ReadOnlySpan<int> shape, string paramName)
    {
        if (shape.Length is < 1 or > MaxRank)
        {
            ThrowHelper.Argument(paramName, $"A tensor has rank 1 to {MaxRank}; actual rank {shape.Length} (shape {ThrowHelper.Shape(shape)}).");
        }

        long length = 1;
        foreach (int d in shape)
        {
            if (d <= 0)
            {
                ThrowHelper.Argument(paramName, $"Every dimension must be positive; actual shape {ThrowHelper.Shape(shape)}.");
            }

            length *= d;
            if (length > Array.MaxLength)
            {
                ThrowHelper.Argument(paramName, $"Shape {ThrowHelper.Shape(shape)} has more elements than an array can hold.");
            }
        }

        return (int)length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Offset(int i0)
    {
        CheckRank(1);
        return Index(i0, 0);
    }

    private int Offset(int i0, int i1)
    {
        CheckRank(2);
        return (Index(i0, 0) * _shape[1]) + Index(i1, 1);
    }

    private int Offset(int i0, int i1, int i2)
    {
        CheckRank(3);
        return (((Index(i0, 0) * _shape[1]) + Index(i1, 1)) * _shape[2]) + Index(i2, 2);
    }

    private int Offset(int i0, int i1, int i2, int i3)
    {
        CheckRank(4);
        return (((((Index(i0, 0) * _shape[1]) + Index(i1, 1)) * _shape[2]) + Index(i2, 2)) * _shape[3]) + Index(i3, 3);
    }

    private int Offset(int i0, int i1, int i2, int i3, int i4)
    {
        CheckRank(5);
        return (((((((Index(i0, 0) * _shape[1]) + Index(i1, 1)) * _shape[2]) + Index(i2, 2)) * _shape[3]) + Index(i3, 3)) * _shape[4]) + Index(i4, 4);
    }

    private void CheckRank(int rank)
    {
        if (_shape.Length != rank)
        {
            ThrowHelper.Argument("indices", $"A rank-{_shape.Length} tensor {ThrowHelper.Shape(_shape)} needs {_shape.Length} indices; actual {rank}.");
        }
    }

    private int Index(int i, int axis)
    {
        if ((uint)i >= (uint)_shape[axis])
        {
            ThrowHelper.OutOfRange("index", i, $"Index {i} is outside axis {axis} of size {_shape[axis]} (shape {ThrowHelper.Shape(_shape)}).");
        }

        return i;
    }
}
