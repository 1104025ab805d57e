using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConvNet.Optimizers;

namespace ConvNet.Serialization;

/// <summary>
/// Saves and loads a network — architecture and weights, optionally the optimizer state for resuming — as one
/// <a href="https://github.com/huggingface/safetensors">safetensors</a> file: an 8-byte little-endian header length, a
/// JSON header naming every tensor (dtype F32, shape, byte offsets), then the little-endian float32 data. The
/// architecture, the optimizer settings, the completed epochs and a SHA-256 of the data section live in the header's
/// <c>__metadata__</c>, so Python's <c>safetensors</c> reads our weights directly (names <c>layers.{i}.weight</c>,
/// <c>layers.{i}.bias</c>, and <c>optimizer.{state}.layers.{i}.{param}</c>).
/// Files are written atomically (temporary file, flush to disk, rename) and read defensively: any truncated,
/// oversized, inconsistent or non-finite content raises <see cref="InvalidDataException"/>.
/// </summary>
public static class ModelSerializer
{
    /// <summary>The largest file accepted (1 GiB).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>The largest JSON header accepted (16 MiB).</summary>
    public const int MaxHeaderBytes = 16 << 20;

    private const string Format = "convnet.safetensors/2";

    /// <summary>The first format (chains of built-in layers, no buffers): still read.</summary>
    private const string FormatV1 = "convnet.safetensors/1";

    /// <summary>Saves the network (and optionally the optimizer state) to <paramref name="path"/> atomically.</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The destination file; replaced only once the new file is complete on disk.</param>
    /// <param name="optimizer">The optimizer whose state to include, or null.</param>
    /// <param name="completedEpochs">Epochs completed (for resuming).</param>
    /// <param name="completedBatches">Batches completed in the next epoch (for resuming mid-epoch).</param>
    /// <param name="seed">The training seed (recorded for resuming).</param>
    public static void Save(Network network, string path, Optimizer? optimizer = null, int completedEpochs = 0, int completedBatches = 0, int seed = 0) =>
        Save(network, path, optimizer, new Position(completedEpochs, completedBatches, seed), static s => s);

    /// <summary>Writes the network to a stream (not atomic: the caller owns the stream).</summary>
    /// <param name="network">The network.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="optimizer">The optimizer whose state to include, or null.</param>
    /// <param name="completedEpochs">Epochs completed.</param>
    /// <param name="completedBatches">Batches completed in the next epoch.</param>
    /// <param name="seed">The training seed.</param>
    public static void Save(Network network, Stream stream, Optimizer? optimizer = null, int completedEpochs = 0, int completedBatches = 0, int seed = 0)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(stream, nameof(stream));
        var bytes = Serialize(network, optimizer, new Position(completedEpochs, completedBatches, seed));
        stream.Write(bytes);
        stream.Flush();
    }

    /// <summary>Loads a network saved by <see cref="Save(Network, string, Optimizer?, int, int, int)"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The network, predicting bit-for-bit like the one saved.</returns>
    public static Network Load(string path) => LoadCheckpoint(path).Network;

    /// <summary>Loads a network, and the optimizer state if the file has one.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The checkpoint.</returns>
    public static Checkpoint LoadCheckpoint(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LoadCheckpoint(stream);
    }

    /// <summary>Loads a network and optional optimizer state from a stream.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The checkpoint.</returns>
    public static Checkpoint LoadCheckpoint(Stream stream)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        var bytes = ReadAll(stream);
        try
        {
            return Deserialize(bytes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or OverflowException or ArgumentException or DecoderFallbackException)
        {
            // A hostile header can still be malformed in ways the checks above do not name (e.g. invalid UTF-8 inside a
            // string); whatever it is, it is bad data, not a bug of the caller.
            throw new InvalidDataException("The model file is malformed: " + e.Message, e);
        }
    }

    internal static void Save(Network network, string path, Optimizer? optimizer, Position position, Func<Stream, Stream> wrap)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(path, nameof(path));
        var bytes = Serialize(network, optimizer, position);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var s = wrap(file);
                s.Write(bytes);
                s.Flush();
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static byte[] Serialize(Network network, Optimizer? optimizer, Position position)
    {
        ThrowHelper.NonNegative(position.Epochs, "completedEpochs");
        ThrowHelper.NonNegative(position.Batches, "completedBatches");
        var tensors = new List<(string Name, Tensor Param, float[]? Values)>();
        var parameters = new List<(string Name, Parameter Param)>(network.NamedParameters);
        foreach (var (name, p) in parameters)
        {
            tensors.Add((name, p.Value, null));
        }

        foreach (var (name, b) in network.NamedBuffers)
        {
            tensors.Add((name, b.Value, null));
        }

        if (optimizer is not null)
        {
            foreach (var (name, p) in parameters)
            {
                var state = optimizer.State(p);
                for (int s = 0; s < state.Count; s++)
                {
                    tensors.Add(($"optimizer.{optimizer.StateNames[s]}.{name}", p.Value, state[s]));
                }
            }
        }

        // Data section.
        long dataLength = 0;
        foreach (var t in tensors)
        {
            dataLength += 4L * t.Param.Length;
        }

        if (dataLength > MaxFileBytes)
        {
            ThrowHelper.Argument(nameof(network), $"The model has {dataLength} bytes of weights, more than the {MaxFileBytes} a file may hold.");
        }

        var data = new byte[dataLength];
        long offset = 0;
        var offsets = new List<(long Begin, long End)>();
        foreach (var t in tensors)
        {
            ReadOnlySpan<float> values = t.Values ?? (ReadOnlySpan<float>)t.Param.AsSpan();
            var dst = data.AsSpan((int)offset, values.Length * 4);
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(values).CopyTo(dst);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(dst[(i * 4)..], values[i]);
                }
            }

            offsets.Add((offset, offset + dst.Length));
            offset += dst.Length;
        }

        // Header.
        var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", Format);
            w.WriteString("convnet.architecture", Architecture(network));
            w.WriteString("convnet.epochs", position.Epochs.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.batches", position.Batches.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.seed", position.Seed.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.sha256", Convert.ToHexStringLower(SHA256.HashData(data)));
            if (optimizer is not null)
            {
                w.WriteString("convnet.optimizer", OptimizerConfig(optimizer));
            }

            w.WriteEndObject();
            for (int i = 0; i < tensors.Count; i++)
            {
                w.WriteStartObject(tensors[i].Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in tensors[i].Param.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offsets[i].Begin);
                w.WriteNumberValue(offsets[i].End);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 (as the reference implementation does).
        var headerBytes = header.ToArray();
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        headerBytes.CopyTo(result, 8);
        result.AsSpan(8 + headerBytes.Length, padded - headerBytes.Length).Fill((byte)' ');
        data.CopyTo(result, 8 + padded);
        return result;
    }

    private static string Architecture(Network network)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartArray("input");
            foreach (int d in network.InputShape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteStartArray("layers");
            foreach (var layer in network.Layers)
            {
                LayerConfigWriter.WriteLayer(w, layer);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string OptimizerConfig(Optimizer optimizer) => OptimizerSerialization.Write(optimizer);

    private static byte[] ReadAll(Stream stream)
    {
        if (stream.CanSeek && stream.Length - stream.Position > MaxFileBytes)
        {
            ThrowHelper.InvalidData($"The model file is {stream.Length} bytes, more than the {MaxFileBytes} accepted.");
        }

        using var ms = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            if (ms.Length + n > MaxFileBytes)
            {
                ThrowHelper.InvalidData($"The model file is larger than the {MaxFileBytes} bytes accepted.");
            }

            ms.Write(buffer, 0, n);
        }

        return ms.ToArray();
    }

    private static Checkpoint Deserialize(byte[] file)
    {
        if (file.Length < 8)
        {
            ThrowHelper.InvalidData($"The model file is truncated: {file.Length} bytes, not even a header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8))
        {
            ThrowHelper.InvalidData($"The model file declares a {headerLength}-byte header; the file has {file.Length - 8} bytes after the length (limit {MaxHeaderBytes}).");
        }

        int h = (int)headerLength;
        ReadOnlySpan<byte> data = file.AsSpan(8 + h);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.AsMemory(8, h), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The model file's header is not valid JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("__metadata__", out var meta) || meta.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("The model file's header has no __metadata__ object.");
            }

            string format = MetaString(meta, "format");
            if (format != Format && format != FormatV1)
            {
                ThrowHelper.InvalidData($"Unknown model format '{format}'; this version reads '{Format}' and '{FormatV1}' (a newer ConvNet may have written it).");
            }

            string expectedHash = MetaString(meta, "convnet.sha256");
            string actualHash = Convert.ToHexStringLower(SHA256.HashData(data));
            if (!string.Equals(expectedHash, actualHash, StringComparison.OrdinalIgnoreCase))
            {
                ThrowHelper.InvalidData($"The model file's data is corrupt: SHA-256 {actualHash}, the header records {expectedHash}.");
            }

            if (!int.TryParse(MetaString(meta, "convnet.epochs"), NumberStyles.None, CultureInfo.InvariantCulture, out int epochs)
                || !int.TryParse(MetaString(meta, "convnet.batches"), NumberStyles.None, CultureInfo.InvariantCulture, out int batches)
                || !int.TryParse(MetaString(meta, "convnet.seed"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed))
            {
                throw new InvalidDataException("The model file's epoch, batch or seed is not an integer.");
            }

            var tensors = ReadTensorTable(root, data.Length);
            var network = BuildNetwork(MetaString(meta, "convnet.architecture"), data.Length / 4);
            foreach (var (name, p) in network.NamedParameters)
            {
                {
                    Fill(name, p.Value, p.Value.AsSpan(), tensors, data);
                    if (p.IsMasked)
                    {
                        var mask = p.Mask;
                        var v = p.Value.AsSpan();
                        for (int j = 0; j < v.Length; j++)
                        {
                            if (mask[j] == 0f && v[j] != 0f)
                            {
                                ThrowHelper.InvalidData($"{name}: an unconnected weight is {v[j]}, not 0.");
                            }
                        }
                    }
                }
            }

            foreach (var (name, b) in network.NamedBuffers)
            {
                Fill(name, b.Value, b.Value.AsSpan(), tensors, data);
            }

            Optimizer? optimizer = null;
            if (meta.TryGetProperty("convnet.optimizer", out var opt))
            {
                optimizer = BuildOptimizer(opt.ValueKind == JsonValueKind.String ? opt.GetString()! : throw new InvalidDataException("convnet.optimizer must be a string."));
                foreach (var (name, p) in network.NamedParameters)
                {
                    var state = optimizer.State(p);
                    for (int s = 0; s < state.Count; s++)
                    {
                        Fill($"optimizer.{optimizer.StateNames[s]}.{name}", p.Value, state[s], tensors, data);
                    }
                }
            }

            if (optimizer is not null)
            {
                optimizer.BaseLearningRate = optimizer.LearningRate;
            }

            return new Checkpoint(network, optimizer, epochs, batches, seed);
        }
    }

    private static Network BuildNetwork(string json, long maxParameters)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = (2 * LoadBudget.MaxDepth) + 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("The architecture must have 'input' and 'layers' arrays.");
            }

            var shape = new List<int>();
            foreach (var d in input.EnumerateArray())
            {
                if (!d.TryGetInt32(out int v) || v <= 0 || v > 1 << 20)
                {
                    throw new InvalidDataException("The input shape must hold positive integers.");
                }

                shape.Add(v);
            }

            if (layers.GetArrayLength() > LoadBudget.MaxLayers)
            {
                throw new InvalidDataException($"The architecture has more than {LoadBudget.MaxLayers} layers.");
            }

            long inputElements = 1;
            foreach (int d in shape)
            {
                inputElements *= d;
                if (inputElements > 1 << 28)
                {
                    throw new InvalidDataException("The input shape is larger than 2^28 elements.");
                }
            }

            // Every factory reserves the parameter values it will allocate before building its layer: a hostile header
            // cannot make us allocate more than the file's data section holds.
            var budget = new LoadBudget(maxParameters);
            var network = new Network(shape.ToArray());
            foreach (var l in layers.EnumerateArray())
            {
                network.Add(LayerRegistry.Read(l, budget));
            }

            return network;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The architecture is not valid JSON: " + e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("The architecture is invalid: " + e.Message, e);
        }
    }

    private static Optimizer BuildOptimizer(string json) => OptimizerSerialization.Read(json);

    private static Dictionary<string, (long Begin, long End, int[] Shape)> ReadTensorTable(JsonElement root, int dataLength)
    {
        var result = new Dictionary<string, (long, long, int[])>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                continue;
            }

            var t = prop.Value;
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
                || !t.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
                || !t.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            {
                throw new InvalidDataException($"Tensor '{prop.Name}' lacks dtype, shape or data_offsets.");
            }

            if (dtype.GetString() != "F32")
            {
                ThrowHelper.InvalidData($"Tensor '{prop.Name}' has dtype {dtype.GetString()}; only F32 is supported.");
            }

            var dims = new List<int>();
            long elements = 1;
            foreach (var d in shape.EnumerateArray())
            {
                if (!d.TryGetInt32(out int v) || v < 0)
                {
                    ThrowHelper.InvalidData($"Tensor '{prop.Name}' has an invalid dimension.");
                }

                dims.Add(v);
                elements *= v;
                if (elements > dataLength)
                {
                    ThrowHelper.InvalidData($"Tensor '{prop.Name}' declares more elements than the file holds.");
                }
            }

            if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin || end > dataLength)
            {
                throw new InvalidDataException($"Tensor '{prop.Name}' has offsets outside the {dataLength}-byte data section.");
            }

            if (end - begin != elements * 4)
            {
                ThrowHelper.InvalidData($"Tensor '{prop.Name}' spans {end - begin} bytes but its shape needs {elements * 4}.");
            }

            result[prop.Name] = (begin, end, dims.ToArray());
        }

        return result;
    }

    private static void Fill(string name, Tensor p, Span<float> destination, Dictionary<string, (long Begin, long End, int[] Shape)> tensors, ReadOnlySpan<byte> data)
    {
        if (!tensors.TryGetValue(name, out var t))
        {
            ThrowHelper.InvalidData($"The model file has no tensor '{name}'.");
        }

        if (!p.HasShape(t.Shape))
        {
            ThrowHelper.InvalidData($"Tensor '{name}' has shape {ThrowHelper.Shape(t.Shape)}; the architecture needs {ThrowHelper.Shape(p.Shape)}.");
        }

        var bytes = data[(int)t.Begin..(int)t.End];
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        }

        if (!float.IsFinite(TensorPrimitives.MaxMagnitude(destination)))
        {
            ThrowHelper.InvalidData($"Tensor '{name}' holds NaN or infinite values.");
        }
    }

    private static string MetaString(JsonElement meta, string key)
    {
        if (!meta.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.String)
        {
            ThrowHelper.InvalidData($"The model file's metadata lacks '{key}'.");
        }

        return v.GetString()!;
    }

    internal readonly record struct Position(int Epochs, int Batches, int Seed);
}
