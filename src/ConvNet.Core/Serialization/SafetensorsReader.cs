using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text.Json;
using ConvNet.Optimizers;

namespace ConvNet.Serialization;

/// <summary>
/// Reads a model file strictly and in bounded memory, in the order that lets nothing a file claims cost more than the
/// file really holds: the 8-byte prefix (checked against the stream's length), the JSON header (at most
/// <see cref="ModelSerializer.MaxHeaderBytes"/>, no duplicate keys at any level), the tensor table (contiguous offsets
/// from 0 that end exactly at the end of the file, as the reference implementation requires), the architecture (every
/// factory reserves its parameters from the data section's size, the activations per sample are bounded), and only
/// then the data section, streamed chunk by chunk into the tensors while its SHA-256 is checked: peak memory is the
/// model itself plus a 64 KiB buffer.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Header and architecture JSON: duplicate keys are an error, not "last one wins".</summary>
    private static readonly JsonDocumentOptions HeaderJson = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private static readonly JsonDocumentOptions ArchitectureJson = new() { MaxDepth = (2 * LoadBudget.MaxDepth) + 8, AllowDuplicateProperties = false };

    /// <summary>One row of the tensor table.</summary>
    private readonly record struct TableEntry(string Name, long Begin, long End, int[] Shape);

    /// <summary>Where a table entry's values go.</summary>
    private readonly record struct Target(TableEntry Entry, float[]? Array, Tensor? Tensor, Parameter? Masked);

    public static Checkpoint Read(Stream stream)
    {
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        if (remaining > ModelSerializer.MaxFileBytes)
        {
            ThrowHelper.InvalidData($"The model file is {remaining} bytes, more than the {ModelSerializer.MaxFileBytes} accepted.");
        }

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, "the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0 || headerLength > ModelSerializer.MaxHeaderBytes || (remaining is long r && headerLength > (ulong)(r - 8)))
        {
            ThrowHelper.InvalidData($"The model file declares a {headerLength}-byte header; the file has {(remaining is long left ? (left - 8).ToString(CultureInfo.InvariantCulture) : "an unknown number of")} bytes after the length (limit {ModelSerializer.MaxHeaderBytes}).");
        }

        var header = new byte[(int)headerLength];
        ReadExactly(stream, header, "the header");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, HeaderJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The model file's header is not valid JSON (or repeats a key): " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("__metadata__", out var meta) || meta.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("The model file's header has no __metadata__ object.");
            }

            string format = MetaString(meta, "format");
            if (format != SafetensorsWriter.Format && format != ModelSerializer.FormatV1)
            {
                ThrowHelper.InvalidData($"Unknown model format '{format}'; this version reads '{SafetensorsWriter.Format}' and '{ModelSerializer.FormatV1}' (a newer ConvNet may have written it).");
            }

            if (!int.TryParse(MetaString(meta, "convnet.epochs"), NumberStyles.None, CultureInfo.InvariantCulture, out int epochs)
                || !int.TryParse(MetaString(meta, "convnet.batches"), NumberStyles.None, CultureInfo.InvariantCulture, out int batches)
                || !int.TryParse(MetaString(meta, "convnet.seed"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed))
            {
                throw new InvalidDataException("The model file's epoch, batch or seed is not an integer.");
            }

            var run = TrainingRunMetadata.Read(meta);
            string expectedHash = MetaString(meta, "convnet.sha256");
            var table = ReadTable(root, out long dataLength);
            if (remaining is long total && total != 8 + (long)headerLength + dataLength)
            {
                long after = total - 8 - (long)headerLength;
                ThrowHelper.InvalidData(after > dataLength
                    ? $"The model file has {after - dataLength} bytes after its last tensor (the data section ends at {dataLength})."
                    : $"The model file is truncated: its tensors need {dataLength} bytes of data, the file holds {after}.");
            }

            var network = BuildNetwork(MetaString(meta, "convnet.architecture"), dataLength / 4);
            Optimizer? optimizer = null;
            if (meta.TryGetProperty("convnet.optimizer", out var opt))
            {
                optimizer = OptimizerSerialization.Read(opt.ValueKind == JsonValueKind.String ? opt.GetString()! : throw new InvalidDataException("convnet.optimizer must be a string."));
            }

            var targets = Targets(network, optimizer, table);
            string actualHash = Stream(stream, targets);
            if (remaining is null && stream.ReadByte() >= 0)
            {
                ThrowHelper.InvalidData($"The model file has bytes after its last tensor (the data section ends at {dataLength}).");
            }

            if (!string.Equals(expectedHash, actualHash, StringComparison.OrdinalIgnoreCase))
            {
                ThrowHelper.InvalidData($"The model file's data is corrupt: SHA-256 {actualHash}, the header records {expectedHash}.");
            }

            Check(targets);
            if (optimizer is not null)
            {
                optimizer.BaseLearningRate = optimizer.LearningRate;
            }

            return new Checkpoint(network, optimizer, epochs, batches, seed) { Run = run };
        }
    }

    /// <summary>
    /// The tensor table, sorted by offset and checked to tile the data section exactly: the first tensor starts at 0,
    /// each starts where the previous ends, no two overlap, and the section's length is where the last one ends.
    /// </summary>
    private static List<TableEntry> ReadTable(JsonElement root, out long dataLength)
    {
        var table = new List<TableEntry>();
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

            if (shape.GetArrayLength() > Tensor.MaxRank)
            {
                ThrowHelper.InvalidData($"Tensor '{prop.Name}' has rank {shape.GetArrayLength()}, more than {Tensor.MaxRank}.");
            }

            var dims = new int[shape.GetArrayLength()];
            long elements = 1;
            int i = 0;
            foreach (var d in shape.EnumerateArray())
            {
                if (!d.TryGetInt32(out int v) || v < 0)
                {
                    ThrowHelper.InvalidData($"Tensor '{prop.Name}' has an invalid dimension.");
                }

                dims[i++] = v;
                elements *= v;
                if (elements > ModelSerializer.MaxFileBytes / 4)
                {
                    ThrowHelper.InvalidData($"Tensor '{prop.Name}' declares more elements than a model file may hold.");
                }
            }

            if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin || end > ModelSerializer.MaxFileBytes)
            {
                throw new InvalidDataException($"Tensor '{prop.Name}' has offsets [{off[0]}, {off[1]}] outside a model file's data section.");
            }

            if (end - begin != elements * 4)
            {
                ThrowHelper.InvalidData($"Tensor '{prop.Name}' spans {end - begin} bytes but its shape needs {elements * 4}.");
            }

            table.Add(new TableEntry(prop.Name, begin, end, dims));
        }

        table.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var t in table)
        {
            if (t.Begin != expected)
            {
                ThrowHelper.InvalidData(t.Begin < expected
                    ? $"Tensor '{t.Name}' at [{t.Begin}, {t.End}) overlaps the tensor before it (which ends at {expected})."
                    : $"Tensor '{t.Name}' starts at {t.Begin}, leaving a gap after the tensor before it (which ends at {expected}).");
            }

            expected = t.End;
        }

        dataLength = expected;
        return table;
    }

    /// <summary>Matches every tensor the network and optimizer need to a table entry of the same shape; every entry must be used.</summary>
    private static List<Target> Targets(Network network, Optimizer? optimizer, List<TableEntry> table)
    {
        var byName = new Dictionary<string, int>(table.Count, StringComparer.Ordinal);
        for (int i = 0; i < table.Count; i++)
        {
            byName.Add(table[i].Name, i);
        }

        var slots = new Target?[table.Count];
        void Bind(string name, Tensor shapeOf, float[]? array, Tensor? tensor, Parameter? masked)
        {
            if (!byName.TryGetValue(name, out int i))
            {
                ThrowHelper.InvalidData($"The model file has no tensor '{name}'.");
            }

            if (!shapeOf.HasShape(table[i].Shape))
            {
                ThrowHelper.InvalidData($"Tensor '{name}' has shape {ThrowHelper.Shape(table[i].Shape)}; the architecture needs {ThrowHelper.Shape(shapeOf.Shape)}.");
            }

            slots[i] = new Target(table[i], array, tensor, masked);
        }

        foreach (var (name, p) in network.NamedParameters)
        {
            Bind(name, p.Value, null, p.Value, p.IsMasked ? p : null);
        }

        foreach (var (name, b) in network.NamedBuffers)
        {
            Bind(name, b.Value, null, b.Value, null);
        }

        if (optimizer is not null)
        {
            foreach (var (name, p) in network.NamedParameters)
            {
                var state = optimizer.State(p);
                for (int s = 0; s < state.Count; s++)
                {
                    Bind($"optimizer.{optimizer.StateNames[s]}.{name}", p.Value, state[s], null, null);
                }
            }
        }

        var targets = new List<Target>(table.Count);
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i] is not Target t)
            {
                ThrowHelper.InvalidData($"Tensor '{table[i].Name}' is not part of the saved architecture{(optimizer is null ? " (and the file has no optimizer)" : "")}.");
                return targets;
            }

            targets.Add(t);
        }

        return targets;
    }

    /// <summary>Reads the data section in offset order straight into the tensors, hashing it as it goes.</summary>
    private static string Stream(Stream stream, List<Target> targets)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        foreach (var t in targets)
        {
            Span<float> destination = t.Array ?? t.Tensor!.AsSpan();
            int done = 0;
            while (done < destination.Length)
            {
                int n = Math.Min(buffer.Length / 4, destination.Length - done);
                var bytes = buffer.AsSpan(0, n * 4);
                ReadExactly(stream, bytes, $"tensor '{t.Entry.Name}'");
                sha.AppendData(bytes);
                var dst = destination.Slice(done, n);
                for (int i = 0; i < n; i++)
                {
                    dst[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                }

                done += n;
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Every value finite; unconnected weights (outside a connection table) exactly zero.</summary>
    private static void Check(List<Target> targets)
    {
        foreach (var t in targets)
        {
            ReadOnlySpan<float> v = t.Array ?? t.Tensor!.AsSpan();
            if (!float.IsFinite(TensorPrimitives.MaxMagnitude(v)))
            {
                ThrowHelper.InvalidData($"Tensor '{t.Entry.Name}' holds NaN or infinite values.");
            }

            if (t.Masked is Parameter p)
            {
                var mask = p.Mask;
                for (int j = 0; j < v.Length; j++)
                {
                    if (mask[j] == 0f && v[j] != 0f)
                    {
                        ThrowHelper.InvalidData($"{t.Entry.Name}: an unconnected weight is {v[j]}, not 0.");
                    }
                }
            }
        }
    }

    private static Network BuildNetwork(string json, long maxParameters)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, ArchitectureJson);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("The architecture must have 'input' and 'layers' arrays.");
            }

            if (input.GetArrayLength() is 0 || input.GetArrayLength() >= Tensor.MaxRank)
            {
                throw new InvalidDataException($"The input shape must have 1 to {Tensor.MaxRank - 1} dimensions.");
            }

            var shape = new int[input.GetArrayLength()];
            long inputElements = 1;
            int k = 0;
            foreach (var d in input.EnumerateArray())
            {
                if (!d.TryGetInt32(out int v) || v <= 0 || v > 1 << 20)
                {
                    throw new InvalidDataException("The input shape must hold positive integers.");
                }

                shape[k++] = v;
                inputElements *= v;
                if (inputElements > LoadBudget.MaxActivationsPerSample)
                {
                    throw new InvalidDataException($"The input shape is larger than {LoadBudget.MaxActivationsPerSample} elements.");
                }
            }

            if (layers.GetArrayLength() > LoadBudget.MaxLayers)
            {
                throw new InvalidDataException($"The architecture has more than {LoadBudget.MaxLayers} layers.");
            }

            // Every factory reserves the parameter values it will allocate before building its layer: a hostile header
            // cannot make us allocate more than the file's data section holds. Activations are bounded per sample.
            var budget = new LoadBudget(maxParameters);
            var network = new Network(shape);
            long activations = inputElements;
            foreach (var l in layers.EnumerateArray())
            {
                var layer = LayerRegistry.Read(l, budget);
                var before = network.OutputShape;
                network.Add(layer);
                activations = checked(activations + layer.ActivationElements(before));
                if (activations > LoadBudget.MaxActivationsPerSample)
                {
                    throw new InvalidDataException($"The architecture needs more than {LoadBudget.MaxActivationsPerSample} activation values per sample (at layer {network.Layers.Count - 1}, {layer.TypeName} '{layer.Name}').");
                }
            }

            return network;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The architecture is not valid JSON (or repeats a key): " + e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("The architecture is invalid: " + e.Message, e);
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException("The architecture's shapes overflow: " + e.Message, e);
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read != buffer.Length)
        {
            ThrowHelper.InvalidData($"The model file is truncated in {what}: {read} of {buffer.Length} bytes.");
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
}
