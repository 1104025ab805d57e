using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Serialization;

public sealed class ModelSerializerTests : IDisposable
{
    private readonly TempDirectory _temp = new("serializer");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("modern")]
    [InlineData("classic")]
    public void Save_then_load_predicts_bit_for_bit_like_the_original(string model)
    {
        var net = model == "modern" ? LeNet5.Modern(seed: 9) : LeNet5.Classic(seed: 9);
        new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), new TrainingOptions { Epochs = 1 }).Fit(ShippedData.Train.Subset(0, 256));
        string path = Path.Combine(_temp.Path, model + ".safetensors");
        ModelSerializer.Save(net, path);
        var loaded = ModelSerializer.Load(path);
        loaded.Summary().Should().Be(net.Summary());
        var x = new Tensor(64, 1, 28, 28);
        ShippedData.Test.CopyBatch(Enumerable.Range(0, 64).ToArray(), 0, x, new int[64]);
        loaded.Predict(x).ToArray().Should().Equal(net.Predict(x).ToArray());
        Directory.GetFiles(_temp.Path).Should().HaveCount(1, "no temporary file is left behind");
    }

    [Fact]
    public void The_file_is_valid_safetensors_with_the_architecture_in_metadata()
    {
        var net = LeNet5.Classic(seed: 1);
        string path = Path.Combine(_temp.Path, "m.safetensors");
        ModelSerializer.Save(net, path);
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var root = doc.RootElement;
        root.GetProperty("__metadata__").GetProperty("format").GetString().Should().Be("convnet.safetensors/2");
        root.GetProperty("__metadata__").GetProperty("convnet.architecture").GetString().Should().Contain("\"connections\"");
        var c3 = root.GetProperty("layers.3.weight");
        c3.GetProperty("dtype").GetString().Should().Be("F32");
        c3.GetProperty("shape").GetRawText().Should().Be("[16,6,5,5]");
        var offsets = c3.GetProperty("data_offsets");
        long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
        (end - begin).Should().Be(16 * 6 * 25 * 4);
        BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + (int)begin)).Should().Be(net.Layers[3].Parameters[0].Value.AsSpan()[0]);
    }

    [Fact]
    public void A_checkpoint_restores_the_optimizer_state_and_epoch()
    {
        var net = LeNet5.Modern(seed: 2);
        var sgd = new Sgd(0.05, 0.9, 1e-4);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), sgd, new TrainingOptions { Epochs = 1 });
        trainer.Fit(ShippedData.Train.Subset(0, 128));
        string path = Path.Combine(_temp.Path, "ckpt.safetensors");
        ModelSerializer.Save(net, path, sgd, completedEpochs: 1);
        var ckpt = ModelSerializer.LoadCheckpoint(path);
        ckpt.CompletedEpochs.Should().Be(1);
        var restored = ckpt.Optimizer.Should().BeOfType<Sgd>().Subject;
        restored.Momentum.Should().Be(0.9);
        restored.Steps.Should().Be(sgd.Steps);
        restored.State(ckpt.Network.Parameters[0])[0].Should().Equal(sgd.State(net.Parameters[0])[0]);
    }

    [Fact]
    public void A_failure_in_the_middle_of_a_save_leaves_the_previous_checkpoint_intact()
    {
        var net = LeNet5.Modern(seed: 3);
        string path = Path.Combine(_temp.Path, "keep.safetensors");
        ModelSerializer.Save(net, path);
        var original = File.ReadAllBytes(path);
        var changed = LeNet5.Modern(seed: 4);
        FluentActions.Invoking(() => ModelSerializer.Save(changed, path, null, new ModelSerializer.Position(0, 0, 0), s => new FailingStream(s, failAfter: 1000)))
            .Should().Throw<IOException>();
        File.ReadAllBytes(path).Should().Equal(original);
        ModelSerializer.Load(path).Parameters[0].Value.ToArray().Should().Equal(net.Parameters[0].Value.ToArray());
        Directory.GetFiles(_temp.Path).Should().HaveCount(1, "the temporary file is removed");
    }

    [Fact]
    public void Truncated_tampered_and_hostile_files_are_InvalidDataException()
    {
        string path = Path.Combine(_temp.Path, "m.safetensors");
        ModelSerializer.Save(LeNet5.Modern(seed: 1), path);
        var good = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(good);

        void Rejects(byte[] bytes, string because)
        {
            FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(bytes))).Should().Throw<InvalidDataException>(because);
        }

        Rejects(good[..5], "shorter than the length prefix");
        Rejects(good[..(good.Length - 10)], "truncated data");
        var huge = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        Rejects(huge, "header length beyond the file");
        var flipped = (byte[])good.Clone();
        flipped[^3] ^= 0x40;
        Rejects(flipped, "a bad checksum");
        var nan = (byte[])good.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(nan.AsSpan(8 + (int)n), float.NaN);
        Rejects(Rehash(nan, (int)n), "NaN weights");
        var header = Encoding.UTF8.GetString(good, 8, (int)n);
        Rejects(WithHeader(good, (int)n, header.Replace("convnet.safetensors/2", "convnet.safetensors/9", StringComparison.Ordinal)), "an unknown version");
        Rejects(WithHeader(good, (int)n, header.Replace("\"F32\"", "\"F64\"", StringComparison.Ordinal)), "an unknown dtype");
        Rejects(WithHeader(good, (int)n, header.Replace("[6,1,5,5]", "[600000,100000,5,5]", StringComparison.Ordinal)), "a dimension product beyond the file");
        Rejects(WithHeader(good, (int)n, "{not json"), "a broken header");
    }

    private static byte[] WithHeader(byte[] good, int n, string header)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + h.Length + (good.Length - 8 - n)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        good.AsSpan(8 + n).CopyTo(result.AsSpan(8 + h.Length));
        return result;
    }

    private static byte[] Rehash(byte[] file, int n)
    {
        var header = Encoding.UTF8.GetString(file, 8, n);
        string old = JsonDocument.Parse(header).RootElement.GetProperty("__metadata__").GetProperty("convnet.sha256").GetString()!;
        string fresh = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file.AsSpan(8 + n)));
        return WithHeader(file, n, header.Replace(old, fresh, StringComparison.Ordinal));
    }

    private sealed class FailingStream(Stream inner, int failAfter) : Stream
    {
        private int _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int allowed = Math.Max(0, failAfter - _written);
            inner.Write(buffer[..Math.Min(allowed, buffer.Length)]);
            _written += buffer.Length;
            if (_written > failAfter)
            {
                throw new IOException("disk full (injected)");
            }
        }
    }
}
