using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>The streaming source reads the same bits as the in-memory data set, trains identically, and refuses bad files.</summary>
public sealed class IdxFileSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new("idx-source");

    public void Dispose() => _temp.Dispose();

    private string Decompressed(string name)
    {
        string path = _temp.File(name);
        using var gz = new GZipStream(File.OpenRead(Path.Combine(ShippedData.Directory, name + ".gz")), CompressionMode.Decompress);
        using var raw = File.Create(path);
        gz.CopyTo(raw);
        return path;
    }

    [Fact]
    public void Batches_and_training_equal_the_in_memory_data_set_bit_for_bit()
    {
        string images = Decompressed("t10k-images-idx3-ubyte"), labels = Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz");
        var memory = Dataset.LoadIdx(images, labels);
        using var stream = new IdxFileSource(images, labels);
        stream.Count.Should().Be(memory.Count);
        stream.SampleShape.ToArray().Should().Equal(1, 28, 28);

        int[] indices = [5, 0, memory.Count - 1, 5];
        var a = new Tensor(4, 1, 28, 28);
        var b = new Tensor(4, 1, 28, 28);
        var la = new int[4];
        var lb = new int[4];
        memory.CopyBatch(indices, a, la, null);
        stream.CopyBatch(indices, b, lb, null);
        b.ToArray().Should().Equal(a.ToArray());
        lb.Should().Equal(la);

        TrainingOptions Options() => new() { Epochs = 1, BatchSize = 64, Seed = 4, DegreeOfParallelism = 1 };
        var fromMemory = LeNet5.Modern(seed: 3);
        new Trainer(fromMemory, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), Options()).Fit(memory);
        var fromDisk = LeNet5.Modern(seed: 3);
        new Trainer(fromDisk, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), Options()).Fit(stream);
        fromDisk.Parameters[0].Value.ToArray().Should().Equal(fromMemory.Parameters[0].Value.ToArray());
    }

    [Theory]
    [InlineData("magic")]
    [InlineData("count")]
    [InlineData("short")]
    [InlineData("huge")]
    [InlineData("gzip")]
    public void Hostile_image_files_are_refused_at_open(string kind)
    {
        string labels = Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz");
        int n = Dataset.LoadIdx(Path.Combine(ShippedData.Directory, "t10k-images-idx3-ubyte.gz"), labels).Count;
        string path = _temp.File(kind);
        if (kind == "gzip")
        {
            File.Copy(Path.Combine(ShippedData.Directory, "t10k-images-idx3-ubyte.gz"), path);
        }
        else
        {
            var header = new byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header, kind == "magic" ? 2049 : 2051);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), kind == "count" ? n + 1 : n);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), kind == "huge" ? 1 << 20 : 28);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), kind == "huge" ? 1 << 20 : 28);
            using var f = File.Create(path);
            f.Write(header);
            f.Write(new byte[kind == "short" ? (28 * 28 * n) - 1 : 28 * 28 * n]);
        }

        FluentActions.Invoking(() => new IdxFileSource(path, labels)).Should().Throw<InvalidDataException>();
    }
}
