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
/// Writes a network as safetensors: an 8-byte little-endian header length, the JSON header (padded with spaces to a
/// multiple of 8), then every tensor's little-endian float32 values back to back in header order. The values are
/// copied under the network's lock first, so a save that runs while another thread trains holds weights the network
/// really had at one step, with the position recorded for that step.
/// </summary>
internal static class SafetensorsWriter
{
    internal const string Format = "convnet.safetensors/2";

    /// <summary>One tensor of the file: its name, shape and a private copy of its values.</summary>
    private readonly record struct Entry(string Name, int[] Shape, float[] Values);

    /// <summary>Copies everything to save under the lock, checks it, and returns a writer for it.</summary>
    public static Action<Stream> Snapshot(Network network, Optimizer? optimizer, ModelSerializer.Position position)
    {
        ThrowHelper.NonNegative(position.Epochs, "completedEpochs");
        ThrowHelper.NonNegative(position.Batches, "completedBatches");
        List<Entry> entries;
        string architecture;
        string? optimizerConfig;
        lock (network.SyncRoot)
        {
            entries = Copy(network, optimizer);
            architecture = Architecture(network);
            optimizerConfig = optimizer is null ? null : OptimizerSerialization.Write(optimizer);
        }

        long dataLength = 0;
        foreach (var e in entries)
        {
            dataLength = checked(dataLength + (4L * e.Values.Length));
            if (!float.IsFinite(TensorPrimitives.MaxMagnitude(e.Values)))
            {
                // Load would refuse this file; refusing here keeps the previous good file in place.
                ThrowHelper.Argument(nameof(network), $"Tensor '{e.Name}' holds NaN or infinite values; the model was not saved (the previous file, if any, is untouched).");
            }
        }

        if (dataLength > ModelSerializer.MaxFileBytes)
        {
            ThrowHelper.Argument(nameof(network), $"The model has {dataLength} bytes of weights, more than the {ModelSerializer.MaxFileBytes} a file may hold.");
        }

        string hash = Hash(entries);
        byte[] header = Header(entries, architecture, optimizerConfig, position, hash);
        return stream => WriteTo(stream, header, entries);
    }

    private static List<Entry> Copy(Network network, Optimizer? optimizer)
    {
        var entries = new List<Entry>();
        var parameters = network.NamedParameters;
        foreach (var (name, p) in parameters)
        {
            entries.Add(new Entry(name, p.Value.Shape.ToArray(), p.Value.AsSpan().ToArray()));
        }

        foreach (var (name, b) in network.NamedBuffers)
        {
            entries.Add(new Entry(name, b.Value.Shape.ToArray(), b.Value.AsSpan().ToArray()));
        }

        if (optimizer is not null)
        {
            foreach (var (name, p) in parameters)
            {
                var state = optimizer.State(p);
                for (int s = 0; s < state.Count; s++)
                {
                    entries.Add(new Entry($"optimizer.{optimizer.StateNames[s]}.{name}", p.Value.Shape.ToArray(), (float[])state[s].Clone()));
                }
            }
        }

        return entries;
    }

    /// <summary>SHA-256 of the data section, computed from the copies chunk by chunk (no second full copy).</summary>
    private static string Hash(List<Entry> entries)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        foreach (var e in entries)
        {
            for (int i = 0; i < e.Values.Length; i += buffer.Length / 4)
            {
                int n = Math.Min(buffer.Length / 4, e.Values.Length - i);
                sha.AppendData(LittleEndian(e.Values.AsSpan(i, n), buffer));
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void WriteTo(Stream stream, byte[] header, List<Entry> entries)
    {
        stream.Write(header);
        var buffer = new byte[1 << 16];
        foreach (var e in entries)
        {
            for (int i = 0; i < e.Values.Length; i += buffer.Length / 4)
            {
                int n = Math.Min(buffer.Length / 4, e.Values.Length - i);
                stream.Write(LittleEndian(e.Values.AsSpan(i, n), buffer));
            }
        }

        stream.Flush();
    }

    private static ReadOnlySpan<byte> LittleEndian(ReadOnlySpan<float> values, byte[] buffer)
    {
        var dst = buffer.AsSpan(0, values.Length * 4);
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

        return dst;
    }

    /// <summary>The length prefix and the JSON header, padded with spaces to a multiple of 8 as the reference does.</summary>
    private static byte[] Header(List<Entry> entries, string architecture, string? optimizer, ModelSerializer.Position position, string hash)
    {
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", Format);
            w.WriteString("convnet.architecture", architecture);
            w.WriteString("convnet.epochs", position.Epochs.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.batches", position.Batches.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.seed", position.Seed.ToString(CultureInfo.InvariantCulture));
            w.WriteString("convnet.sha256", hash);
            if (position.Run is TrainingRun run)
            {
                TrainingRunMetadata.Write(w, run);
            }

            if (optimizer is not null)
            {
                w.WriteString("convnet.optimizer", optimizer);
            }

            w.WriteEndObject();
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in e.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += 4L * e.Values.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        int length = checked((int)json.Length);
        int padded = (length + 7) / 8 * 8;
        var result = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.GetBuffer().AsSpan(0, length).CopyTo(result.AsSpan(8));
        result.AsSpan(8 + length).Fill((byte)' ');
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

        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }
}
