using System;
using System.IO;
using ConvNet.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Onnx.Import;

/// <summary>
/// Reads an .onnx file with bounds: the file length is checked before anything is read, protobuf parses with a size
/// and recursion limit, and every tensor's dims are validated in checked 64-bit arithmetic against its data before a
/// float is allocated. External data must lie inside the model's folder and inside the data file.
/// </summary>
internal static class OnnxFileReader
{
    private const int RecursionLimit = 16;

    public static ModelProto Read(string path, OnnxImportOptions options)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The ONNX model '{path}' does not exist.", path);
        }

        long limit = Math.Min(options.MaxFileBytes, int.MaxValue);
        if (info.Length > limit)
        {
            throw new InvalidDataException($"{path}: the file has {info.Length} bytes, more than the {limit} accepted (OnnxImportOptions.MaxFileBytes).");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Parse(stream, (int)Math.Max(info.Length, 1), path);
    }

    public static ModelProto Parse(Stream stream, int sizeLimit, string source)
    {
        try
        {
            var input = CodedInputStream.CreateWithLimits(stream, sizeLimit, RecursionLimit);
            var model = ModelProto.Parser.ParseFrom(input);
            return model.Graph is null ? throw new InvalidDataException($"{source}: the model has no graph (truncated or not an ONNX file).") : model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a valid ONNX protobuf ({e.Message}).", e);
        }
    }

    /// <summary>The element count of <paramref name="dims"/>, each in [0, maxElements], product at most maxElements.</summary>
    public static long CheckedCount(string what, ReadOnlySpan<long> dims, long maxElements)
    {
        if (dims.Length > 8)
        {
            throw new InvalidDataException($"{what}: rank {dims.Length} is more than 8.");
        }

        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0 || d > maxElements)
            {
                throw new InvalidDataException($"{what}: dimension {d} is out of range [0, {maxElements}].");
            }

            n *= d; // bounded: both factors ≤ maxElements ≤ 2^31 before the check below
            if (n > maxElements)
            {
                throw new InvalidDataException($"{what}: shape [{string.Join(", ", dims.ToArray())}] has more than {maxElements} elements (OnnxImportOptions.MaxTensorElements).");
            }
        }

        return n;
    }

    /// <summary>Decodes a float or int64 tensor (inline, raw or external data) after validating its size.</summary>
    public static OnnxTensor Decode(TensorProto t, string modelFolder, OnnxImportOptions options, ref long externalBudget)
    {
        string what = $"tensor '{t.Name}'";
        long[] dimsLong = [.. t.Dims];
        long count = CheckedCount(what, dimsLong, options.MaxTensorElements);
        int elementSize = t.DataType switch
        {
            1 => 4,
            6 => 4,
            7 => 8,
            11 => 8,
            _ => throw new NotSupportedException($"{what}: data type {t.DataType} is not supported (float, double, int32 and int64 are)."),
        };
        ReadOnlySpan<byte> raw = default;
        byte[]? external = null;
        if (t.DataLocation == 1)
        {
            external = ReadExternal(t, what, modelFolder, count * elementSize, ref externalBudget);
            raw = external;
        }
        else if (t.HasRawData)
        {
            raw = t.RawData.Span;
        }

        bool hasRaw = t.DataLocation == 1 || t.HasRawData;
        if (hasRaw && raw.Length != count * elementSize)
        {
            throw new InvalidDataException($"{what}: {raw.Length} bytes of data for {count} elements of {elementSize} bytes.");
        }

        int[] dims = Array.ConvertAll(dimsLong, d => (int)d);
        switch (t.DataType)
        {
            case 1:
                return OnnxTensor.Floats(dims, hasRaw ? Floats(raw) : Inline(what, t.FloatData, count));
            case 11:
                return OnnxTensor.Floats(dims, Array.ConvertAll(hasRaw ? Array.ConvertAll(Longs(raw), BitConverter.Int64BitsToDouble) : Inline(what, t.DoubleData, count), v => (float)v));
            case 6:
                return OnnxTensor.Ints(dims, hasRaw ? Array.ConvertAll(Floats(raw), f => (long)BitConverter.SingleToInt32Bits(f)) : Array.ConvertAll(Inline(what, t.Int32Data, count), v => (long)v));
            default:
                return OnnxTensor.Ints(dims, hasRaw ? Longs(raw) : Inline(what, t.Int64Data, count));
        }
    }

    private static T[] Inline<T>(string what, Google.Protobuf.Collections.RepeatedField<T> values, long count)
    {
        if (values.Count != count)
        {
            throw new InvalidDataException($"{what}: {values.Count} values for {count} elements (missing or truncated data).");
        }

        var result = new T[values.Count];
        values.CopyTo(result, 0);
        return result;
    }

    private static float[] Floats(ReadOnlySpan<byte> raw)
    {
        var r = new float[raw.Length / 4];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = BitConverter.ToSingle(raw.Slice(4 * i, 4)); // ONNX raw data is little-endian
        }

        return r;
    }

    private static long[] Longs(ReadOnlySpan<byte> raw)
    {
        var r = new long[raw.Length / 8];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = BitConverter.ToInt64(raw.Slice(8 * i, 8));
        }

        return r;
    }

    private static byte[] ReadExternal(TensorProto t, string what, string modelFolder, long expected, ref long budget)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location":
                    location = e.Value;
                    break;
                case "offset":
                    offset = ParseLong(what, e.Key, e.Value);
                    break;
                case "length":
                    length = ParseLong(what, e.Key, e.Value);
                    break;
            }
        }

        if (string.IsNullOrEmpty(location) || Path.IsPathRooted(location) || location.IndexOfAny(['\0', ':']) >= 0)
        {
            throw new InvalidDataException($"{what}: external data location '{location}' must be a relative path inside the model's folder.");
        }

        string folder = Path.GetFullPath(modelFolder);
        string full = Path.GetFullPath(Path.Combine(folder, location));
        string prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{what}: external data '{location}' points outside the model's folder.");
        }

        if (length >= 0 && length != expected)
        {
            throw new InvalidDataException($"{what}: external data length {length} does not match the {expected} bytes the shape needs.");
        }

        var info = new FileInfo(full);
        if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0)
        {
            throw new InvalidDataException($"{what}: external data file '{location}' is missing (or a link).");
        }

        if (offset < 0 || offset > info.Length || expected > info.Length - offset)
        {
            throw new InvalidDataException($"{what}: external data [{offset}, +{expected}) lies outside '{location}' ({info.Length} bytes).");
        }

        budget -= expected;
        if (budget < 0)
        {
            throw new InvalidDataException($"{what}: the external data add up to more than OnnxImportOptions.MaxFileBytes.");
        }

        var bytes = new byte[expected];
        using var s = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        s.Seek(offset, SeekOrigin.Begin);
        s.ReadExactly(bytes);
        return bytes;
    }

    private static long ParseLong(string what, string key, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"{what}: external data {key} '{value}' is not a non-negative integer.");
}
