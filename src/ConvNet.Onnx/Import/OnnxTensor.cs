using System;

namespace ConvNet.Onnx.Import;

/// <summary>A decoded constant: its dims and its values as floats or as int64.</summary>
internal sealed class OnnxTensor
{
    private OnnxTensor(int[] dims, float[]? floats, long[]? ints)
    {
        Dims = dims;
        FloatValues = floats;
        IntValues = ints;
    }

    public int[] Dims { get; }

    public float[]? FloatValues { get; }

    public long[]? IntValues { get; }

    public int Count => FloatValues?.Length ?? IntValues!.Length;

    public static OnnxTensor Floats(int[] dims, float[] values) => new(dims, values, null);

    public static OnnxTensor Ints(int[] dims, long[] values) => new(dims, null, values);

    /// <summary>The values as floats (int64 converted).</summary>
    public float[] AsFloats() => FloatValues ?? Array.ConvertAll(IntValues!, v => (float)v);

    /// <summary>The values as int64 (floats must be integral).</summary>
    public long[] AsInts() => IntValues ?? Array.ConvertAll(FloatValues!, v => (long)v);
}
