using System;
using System.Buffers.Binary;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>
/// A model file taken apart into its JSON header and data section so a test can craft a hostile variant that still
/// carries a correct checksum (the loader must reject it for what it says, not for a stale hash).
/// </summary>
internal sealed class SafetensorsFile
{
    public SafetensorsFile(byte[] file)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, n))!.AsObject();
        Data = file[(8 + n)..];
    }

    public JsonObject Header { get; }

    public byte[] Data { get; set; }

    public JsonObject Metadata => Header["__metadata__"]!.AsObject();

    /// <summary>The architecture, parsed (write it back with <see cref="Architecture"/>'s setter).</summary>
    public JsonObject Architecture
    {
        get => JsonNode.Parse(Metadata["convnet.architecture"]!.GetValue<string>())!.AsObject();
        set => Metadata["convnet.architecture"] = value.ToJsonString();
    }

    /// <summary>Serializes the header with the checksum of the current data section, then the data, then <paramref name="trailing"/>.</summary>
    public byte[] ToBytes(byte[]? trailing = null) => Build(HeaderText(), trailing);

    /// <summary>The header's JSON with the checksum updated to the current data section.</summary>
    public string HeaderText()
    {
        Metadata["convnet.sha256"] = Convert.ToHexStringLower(SHA256.HashData(Data));
        return Header.ToJsonString();
    }

    /// <summary>A file from a raw header text (e.g. with duplicate keys spliced in) and the data section.</summary>
    public byte[] Build(string header, byte[]? trailing = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        trailing ??= [];
        var result = new byte[8 + h.Length + Data.Length + trailing.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        Data.CopyTo(result, 8 + h.Length);
        trailing.CopyTo(result, 8 + h.Length + Data.Length);
        return result;
    }

    /// <summary>Saves <paramref name="network"/> to memory and takes the file apart.</summary>
    public static SafetensorsFile Of(Network network, ConvNet.Optimizers.Optimizer? optimizer = null)
    {
        var ms = new MemoryStream();
        ConvNet.Serialization.ModelSerializer.Save(network, ms, optimizer);
        return new SafetensorsFile(ms.ToArray());
    }

    /// <summary>Parses a header text strictly enough to tell valid JSON from broken JSON (for generators).</summary>
    public static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
