using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new("idx");

    public void Dispose() => _temp.Dispose();

    private static byte[] Images(int magic, int count, int rows, int cols, int payload)
    {
        var b = new byte[16 + payload];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        for (int i = 16; i < b.Length; i++)
        {
            b[i] = (byte)i;
        }

        return b;
    }

    private static byte[] Labels(int magic, int count, int payload)
    {
        var b = new byte[8 + payload];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        for (int i = 8; i < b.Length; i++)
        {
            b[i] = (byte)(i % 10);
        }

        return b;
    }

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        return ms.ToArray();
    }

    [Fact]
    public void The_shipped_subset_loads_raw_shape_scale_and_counts()
    {
        ShippedData.Train.Count.Should().Be(10000);
        ShippedData.Test.Count.Should().Be(2000);
        ShippedData.Train.SampleShape.ToArray().Should().Equal(1, 28, 28);
        ShippedData.Train.Samples.ToArray().Should().OnlyContain(v => v >= 0f && v <= 1f);
    }

    [Fact]
    public void Raw_and_gzip_files_read_the_same()
    {
        var raw = Images(2051, 2, 3, 4, 24);
        var a = IdxReader.ReadImages(new MemoryStream(raw));
        var b = IdxReader.ReadImages(new MemoryStream(Gzip(raw)));
        a.Pixels.Should().Equal(b.Pixels);
        (a.Count, a.Rows, a.Columns).Should().Be((2, 3, 4));
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Images(2049, 1, 2, 2, 4)))).Should().Throw<InvalidDataException>().WithMessage("*magic*2049*2051*");
        FluentActions.Invoking(() => IdxReader.ReadLabels(new MemoryStream(Labels(2051, 1, 1)))).Should().Throw<InvalidDataException>().WithMessage("*magic*");
    }

    [Fact]
    public void Truncated_data_is_rejected_raw_and_compressed()
    {
        var truncated = Images(2051, 10, 28, 28, 28 * 28 * 9);
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(truncated))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Gzip(truncated)))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        FluentActions.Invoking(() => IdxReader.ReadLabels(new MemoryStream(Labels(2049, 5, 3)))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        FluentActions.Invoking(() => IdxReader.ReadLabels(new MemoryStream(new byte[] { 0, 0, 8 }))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
    }

    [Fact]
    public void Hostile_dimensions_are_rejected_before_any_large_allocation()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Gzip(Images(2051, int.MaxValue, 60000, 60000, 10))))).Should().Throw<InvalidDataException>();
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Gzip(Images(2051, 1000, 1000, 1000, 10))))).Should().Throw<InvalidDataException>().WithMessage("*decode budget*");
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Gzip(Images(2051, 100, 1000, 1000, 10))))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(Images(2051, -1, 28, 28, 0)))).Should().Throw<InvalidDataException>();
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64L << 20);
    }

    [Fact]
    public void Mismatched_image_and_label_counts_are_rejected()
    {
        string images = Path.Combine(_temp.Path, "i.idx"), labels = Path.Combine(_temp.Path, "l.idx");
        File.WriteAllBytes(images, Images(2051, 3, 2, 2, 12));
        File.WriteAllBytes(labels, Labels(2049, 2, 2));
        FluentActions.Invoking(() => Dataset.LoadIdx(images, labels)).Should().Throw<InvalidDataException>().WithMessage("*3 images*2 labels*");
    }

    [Fact]
    public void Labels_beyond_the_class_count_are_rejected()
    {
        string images = Path.Combine(_temp.Path, "i.idx"), labels = Path.Combine(_temp.Path, "l.idx");
        File.WriteAllBytes(images, Images(2051, 2, 2, 2, 8));
        var l = Labels(2049, 2, 2);
        l[9] = 12;
        File.WriteAllBytes(labels, l);
        FluentActions.Invoking(() => Dataset.LoadIdx(images, labels)).Should().Throw<InvalidDataException>().WithMessage("*Label 12*");
    }

    [Fact]
    public void Split_subset_and_one_hot_behave()
    {
        var (train, val) = ShippedData.Test.Split(0.25, seed: 1);
        (train.Count, val.Count).Should().Be((1500, 500));
        var oh = Dataset.OneHot([2, 0], 3);
        oh.ToArray().Should().Equal(0f, 0f, 1f, 1f, 0f, 0f);
        FluentActions.Invoking(() => Dataset.OneHot([3], 3)).Should().Throw<ArgumentOutOfRangeException>();
        ShippedData.Test.Subset(10, 5).Labels.ToArray().Should().Equal(ShippedData.Test.Labels.Slice(10, 5).ToArray());
    }
}
