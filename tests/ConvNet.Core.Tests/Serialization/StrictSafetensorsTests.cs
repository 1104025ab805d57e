using System;
using System.IO;
using System.Text.Json.Nodes;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Serialization;

/// <summary>
/// The loader enforces what the safetensors reference requires — tensors tile the data section contiguously from 0 to
/// the end of the file, every key is unique — and more: every tensor belongs to the architecture. Each hostile file
/// here carries a correct checksum, so it is rejected for what it says.
/// </summary>
public class StrictSafetensorsTests
{
    private static Network Small() => new Network(4).Add(new FullyConnected(4, 3)).Add(new ReLU()).Add(new FullyConnected(3, 2));

    private static void Rejects(byte[] file, string messagePart)
    {
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(file)))
            .Should().Throw<InvalidDataException>().Which.Message.Should().ContainEquivalentOf(messagePart);
    }

    private static long[] Offsets(SafetensorsFile f, string name)
    {
        var o = f.Header[name]!["data_offsets"]!.AsArray();
        return [o[0]!.GetValue<long>(), o[1]!.GetValue<long>()];
    }

    private static void SetOffsets(SafetensorsFile f, string name, long begin, long end) =>
        f.Header[name]!["data_offsets"] = new JsonArray(begin, end);

    [Fact]
    public void The_untouched_file_loads()
    {
        var f = SafetensorsFile.Of(Small());
        ModelSerializer.LoadCheckpoint(new MemoryStream(f.ToBytes())).Network.Parameters.Should().HaveCount(4);
    }

    [Fact]
    public void Overlapping_offsets_are_rejected()
    {
        // layers.2.bias (2 floats) is made to reuse the first 8 bytes of layers.2.weight; the data section shrinks so
        // the sizes still add up and the file ends where the last tensor ends.
        var f = SafetensorsFile.Of(Small());
        var w = Offsets(f, "layers.2.weight");
        var b = Offsets(f, "layers.2.bias");
        b[0].Should().Be(w[1], "the bias follows the weight in the file written today");
        SetOffsets(f, "layers.2.bias", w[0], w[0] + 8);
        f.Data = f.Data[..(int)b[0]];
        Rejects(f.ToBytes(), "overlaps");
    }

    [Fact]
    public void A_gap_between_tensors_is_rejected()
    {
        var f = SafetensorsFile.Of(Small());
        var b = Offsets(f, "layers.2.bias");
        SetOffsets(f, "layers.2.bias", b[0] + 4, b[1] + 4);
        var data = new byte[f.Data.Length + 4];
        f.Data.AsSpan(0, (int)b[0]).CopyTo(data);
        f.Data.AsSpan((int)b[0]).CopyTo(data.AsSpan((int)b[0] + 4));
        f.Data = data;
        Rejects(f.ToBytes(), "gap");
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_rejected_from_a_file_and_from_a_pipe()
    {
        var f = SafetensorsFile.Of(Small());
        int length = f.Data.Length;
        f.Data = [.. f.Data, 1, 2, 3, 4];
        var bytes = f.ToBytes();   // the checksum covers the trailing bytes too: only the length is wrong
        f.Data = f.Data[..length];
        Rejects(bytes, "after its last tensor");
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new NonSeekable(bytes)))
            .Should().Throw<InvalidDataException>().Which.Message.Should().Contain("after its last tensor");
    }

    [Fact]
    public void A_tensor_named_twice_is_rejected()
    {
        var f = SafetensorsFile.Of(Small());
        string header = f.HeaderText();
        string bias = "\"layers.2.bias\":" + f.Header["layers.2.bias"]!.ToJsonString();
        Rejects(f.Build(header.Insert(header.Length - 1, "," + bias)), "repeats a key");
    }

    [Fact]
    public void A_second_metadata_object_is_rejected()
    {
        var f = SafetensorsFile.Of(Small());
        string header = f.HeaderText();
        Rejects(f.Build(header.Insert(header.Length - 1, ",\"__metadata__\":{\"format\":\"convnet.safetensors/2\"}")), "repeats a key");
    }

    [Theory]
    [InlineData("\"format\":\"convnet.safetensors/2\",")]
    [InlineData("\"convnet.epochs\":\"7\",")]
    public void A_metadata_key_given_twice_is_rejected(string duplicate)
    {
        var f = SafetensorsFile.Of(Small());
        string header = f.HeaderText();
        int at = header.IndexOf("\"__metadata__\":{", StringComparison.Ordinal) + "\"__metadata__\":{".Length;
        Rejects(f.Build(header.Insert(at, duplicate)), "repeats a key");
    }

    [Fact]
    public void A_layer_setting_given_twice_in_the_architecture_is_rejected()
    {
        var f = SafetensorsFile.Of(Small());
        string arch = f.Metadata["convnet.architecture"]!.GetValue<string>();
        int at = arch.IndexOf("\"in\":", StringComparison.Ordinal);
        at.Should().BePositive("FullyConnected writes its input count");
        f.Metadata["convnet.architecture"] = arch.Insert(at, "\"in\":4,");
        Rejects(f.ToBytes(), "repeats a key");
    }

    [Fact]
    public void A_tensor_the_architecture_does_not_have_is_rejected()
    {
        var f = SafetensorsFile.Of(Small());
        f.Header["extra"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(f.Data.Length, f.Data.Length + 4) };
        f.Data = [.. f.Data, 0, 0, 0, 0];
        Rejects(f.ToBytes(), "not part of the saved architecture");
    }

    [Fact]
    public void A_truncated_stream_without_a_length_is_rejected()
    {
        var bytes = SafetensorsFile.Of(Small()).ToBytes();
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new NonSeekable(bytes[..^3])))
            .Should().Throw<InvalidDataException>().Which.Message.Should().Contain("truncated");
        ModelSerializer.LoadCheckpoint(new NonSeekable(bytes)).Network.Parameters.Should().HaveCount(4);
    }

    /// <summary>A stream that cannot seek or tell its length (a pipe, a network response).</summary>
    private sealed class NonSeekable(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
