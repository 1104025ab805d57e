using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>
/// The IDX readers hold every file to a decode budget checked while decompressing, and memory follows the data that
/// actually arrives: a small .gz cannot expand into gigabytes, and loading converts to float32 without a byte copy.
/// </summary>
public sealed class DecodeBudgetTests : IDisposable
{
    private readonly TempDirectory _temp = new("idx-budget");

    public void Dispose() => _temp.Dispose();

    /// <summary>A gzip image file whose header and data are consistent: <paramref name="count"/> zero images.</summary>
    private string ZeroImagesGz(string name, int count, int rows, int cols)
    {
        string path = Path.Combine(_temp.Path, name);
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(Header(IdxReader.ImageMagic, count, rows, cols));
        var zeros = new byte[1 << 20];
        for (long left = (long)count * rows * cols; left > 0; left -= zeros.Length)
        {
            gz.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }

        return path;
    }

    private string LabelsGz(string name, int count)
    {
        string path = Path.Combine(_temp.Path, name);
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        var h = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(h, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4), count);
        gz.Write(h);
        gz.Write(new byte[count]);
        return path;
    }

    private static byte[] Header(int magic, int count, int rows, int cols)
    {
        var h = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(h, magic);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(12), cols);
        return h;
    }

    [Fact]
    public void A_small_gzip_bomb_over_the_default_budget_is_refused_without_decoding_it()
    {
        // 300 MiB of zero images (about 3 MB compressed): a real, consistent file, just over the 256 MiB default.
        int count = (int)((300L << 20) / 784);
        string images = ZeroImagesGz("bomb-images.gz", count, 28, 28);
        string labels = LabelsGz("bomb-labels.gz", count);
        new FileInfo(images).Length.Should().BeLessThan(4 << 20);

        long before = GC.GetAllocatedBytesForCurrentThread();
        FluentActions.Invoking(() => Dataset.LoadIdx(images, labels)).Should().Throw<InvalidDataException>().WithMessage("*decode budget*268435456*");
        FluentActions.Invoking(() => IdxReader.ReadImages(images)).Should().Throw<InvalidDataException>().WithMessage("*decode budget*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(8 << 20, "the header alone condemns the file");
    }

    [Fact]
    public void The_budget_is_configurable_and_counts_the_header()
    {
        string images = ZeroImagesGz("small.gz", 10, 4, 4); // 16 + 160 bytes decoded
        IdxReader.ReadImages(images, maxDecodedBytes: 176).Count.Should().Be(10);
        FluentActions.Invoking(() => IdxReader.ReadImages(images, maxDecodedBytes: 175)).Should().Throw<InvalidDataException>().WithMessage("*160 bytes*decode budget of 175*");
        string labels = LabelsGz("small-labels.gz", 10);
        Dataset.LoadIdx(images, labels, maxDecodedBytes: 176).Count.Should().Be(10);
        FluentActions.Invoking(() => Dataset.LoadIdx(images, labels, maxDecodedBytes: 17)).Should().Throw<InvalidDataException>().WithMessage("*label*decode budget of 17*");
    }

    [Fact]
    public void The_budget_stops_the_decompressor_itself()
    {
        // A header within the budget followed by far more data than it declares: reading stops at the declared size,
        // and the decoder behind the reader never produces more than budget + 1 bytes.
        using var raw = new MemoryStream();
        using (var gz = new GZipStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(Header(IdxReader.ImageMagic, 1, 2, 2));
            gz.Write(new byte[4 + (64 << 20)]);
        }

        raw.Position = 0;
        var (count, _, _, pixels) = IdxReader.ReadImages(raw, maxDecodedBytes: 1024);
        count.Should().Be(1);
        pixels.Should().HaveCount(4);
    }

    [Fact]
    public void A_header_that_lies_about_a_tiny_file_costs_one_chunk_not_the_declared_size()
    {
        // Declares 200 MiB (inside the budget) but holds 10 bytes: the reader must not allocate the declared size.
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(Header(IdxReader.ImageMagic, (200 << 20) / 784, 28, 28));
            gz.Write(new byte[10]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        FluentActions.Invoking(() => IdxReader.ReadImages(new MemoryStream(ms.ToArray()))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(4 << 20);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Loading_converts_to_float_without_a_second_copy_of_the_images(bool compressed)
    {
        string images = Path.Combine(ShippedData.Directory, "train-images-idx3-ubyte.gz");
        string labels = Path.Combine(ShippedData.Directory, "train-labels-idx1-ubyte.gz");
        if (!compressed)
        {
            string rawImages = Path.Combine(_temp.Path, "train-images-idx3-ubyte");
            using (var gz = new GZipStream(File.OpenRead(images), CompressionMode.Decompress))
            using (var file = File.Create(rawImages))
            {
                gz.CopyTo(file);
            }

            images = rawImages;
        }

        Dataset.LoadIdx(images, labels); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var data = Dataset.LoadIdx(images, labels);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long floats = (long)data.Samples.Length * sizeof(float);
        allocated.Should().BeLessThan((long)(floats * 1.1) + (data.Count * 5L) + (1 << 20), "the samples themselves, the labels, and buffers; no byte copy of the images");
        data.Samples.ToArray().Should().Equal(ShippedData.Train.Samples.ToArray());
    }

    [Fact]
    public void Float_conversion_is_exactly_value_over_255()
    {
        string labels = LabelsGz("one-label.gz", 1);
        string path = Path.Combine(_temp.Path, "ramp.idx");
        var bytes = new byte[16 + 256];
        Header(IdxReader.ImageMagic, 1, 16, 16).CopyTo(bytes, 0);
        for (int i = 0; i < 256; i++)
        {
            bytes[16 + i] = (byte)i;
        }

        File.WriteAllBytes(path, bytes);
        var data = Dataset.LoadIdx(path, labels);
        for (int i = 0; i < 256; i++)
        {
            data.Samples[i].Should().Be(i / 255f);
        }
    }
}
