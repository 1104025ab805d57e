using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace ConvNet.Data;

/// <summary>
/// Reads MNIST-format IDX files, raw or gzip-compressed (detected from the first two bytes): images with magic 2051
/// (0x00000803: unsigned bytes, 3 dimensions) and labels with magic 2049 (0x00000801, 1 dimension). Every header field
/// is validated before anything is allocated, and the decoded size of a file (header and data) is held to a budget
/// (<see cref="DefaultMaxDecodedBytes"/> unless the caller gives another) that is checked while decompressing, so a
/// small compressed file cannot expand into more memory or time than the budget. Memory grows with the data actually
/// decoded, not with what the header claims. A truncated, oversized or otherwise malformed file raises
/// <see cref="InvalidDataException"/>.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX image file.</summary>
    public const int ImageMagic = 2051;

    /// <summary>Magic number of an IDX label file.</summary>
    public const int LabelMagic = 2049;

    /// <summary>The default decode budget per file, 256 MiB (full Fashion-MNIST's largest file decodes to 47 MB).</summary>
    public const long DefaultMaxDecodedBytes = 256L << 20;

    /// <summary>The largest decode budget accepted (1 GiB): no budget, and so no file, may exceed it.</summary>
    public const long MaxPayloadBytes = 1L << 30;

    private const int ImageHeaderBytes = 16;
    private const int LabelHeaderBytes = 8;
    private const int FirstChunk = 1 << 20;

    /// <summary>Reads an image file.</summary>
    /// <param name="path">The file, raw or .gz.</param>
    /// <param name="maxDecodedBytes">The decode budget: the most bytes (header and data) the file may decode to.</param>
    /// <returns>(count, rows, columns, pixels as count·rows·columns bytes).</returns>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path, long maxDecodedBytes = DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(path, nameof(path));
        CheckBudget(maxDecodedBytes);
        using var stream = File.OpenRead(path);
        return ReadImages(stream, maxDecodedBytes);
    }

    /// <summary>Reads an image file from a stream (left open).</summary>
    /// <param name="stream">Raw or gzip data.</param>
    /// <param name="maxDecodedBytes">The decode budget: the most bytes (header and data) the stream may decode to.</param>
    /// <returns>(count, rows, columns, pixels).</returns>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(Stream stream, long maxDecodedBytes = DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        CheckBudget(maxDecodedBytes);
        using var s = Open(stream, maxDecodedBytes, "IDX image file", out long? rawLength, out long? sizeHint);
        var (count, rows, cols, bytes) = ReadImageHeader(s, rawLength, maxDecodedBytes);
        var pixels = new byte[InitialLength(bytes, rawLength is not null || sizeHint == ImageHeaderBytes + bytes)];
        ReadPayload(s, ref pixels, bytes, "image", static (src, dst) => src.CopyTo(dst));
        return (count, rows, cols, pixels);
    }

    /// <summary>Reads a label file.</summary>
    /// <param name="path">The file, raw or .gz.</param>
    /// <param name="maxDecodedBytes">The decode budget: the most bytes (header and data) the file may decode to.</param>
    /// <returns>The labels.</returns>
    public static byte[] ReadLabels(string path, long maxDecodedBytes = DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(path, nameof(path));
        CheckBudget(maxDecodedBytes);
        using var stream = File.OpenRead(path);
        return ReadLabels(stream, maxDecodedBytes);
    }

    /// <summary>Reads a label file from a stream (left open).</summary>
    /// <param name="stream">Raw or gzip data.</param>
    /// <param name="maxDecodedBytes">The decode budget: the most bytes (header and data) the stream may decode to.</param>
    /// <returns>The labels.</returns>
    public static byte[] ReadLabels(Stream stream, long maxDecodedBytes = DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        CheckBudget(maxDecodedBytes);
        using var s = Open(stream, maxDecodedBytes, "IDX label file", out long? rawLength, out long? sizeHint);
        Span<byte> header = stackalloc byte[LabelHeaderBytes];
        ReadExactly(s, header, "label header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != LabelMagic)
        {
            ThrowHelper.InvalidData($"Not an IDX label file: magic number {magic}, expected {LabelMagic}.");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
        {
            ThrowHelper.InvalidData($"Invalid IDX label count {count}.");
        }

        CheckPayload(count, rawLength, LabelHeaderBytes, maxDecodedBytes, "label");
        var labels = new byte[InitialLength(count, rawLength is not null || sizeHint == LabelHeaderBytes + count)];
        ReadPayload(s, ref labels, count, "label", static (src, dst) => src.CopyTo(dst));
        return labels;
    }

    /// <summary>
    /// Reads an image file straight into float32 pixels scaled to [0, 1] (value / 255), decoding chunk by chunk so no
    /// full byte copy of the images is ever held; the image count must equal <paramref name="expectedCount"/>.
    /// </summary>
    internal static (int Rows, int Columns, float[] Pixels) ReadScaledImages(string path, int expectedCount, long maxDecodedBytes)
    {
        using var stream = File.OpenRead(path);
        using var s = Open(stream, maxDecodedBytes, "IDX image file", out long? rawLength, out long? sizeHint);
        var (count, rows, cols, bytes) = ReadImageHeader(s, rawLength, maxDecodedBytes);
        if (count != expectedCount)
        {
            ThrowHelper.InvalidData($"The image file has {count} images but the label file has {expectedCount} labels.");
        }

        var pixels = new float[InitialLength(bytes, rawLength is not null || sizeHint == ImageHeaderBytes + bytes)];
        ReadPayload(s, ref pixels, bytes, "image", static (src, dst) =>
        {
            TensorPrimitives.ConvertTruncating(src, dst);
            TensorPrimitives.Divide(dst, 255f, dst);
        });
        return (rows, cols, pixels);
    }

    private static (int Count, int Rows, int Columns, long Bytes) ReadImageHeader(Stream s, long? rawLength, long budget)
    {
        Span<byte> header = stackalloc byte[ImageHeaderBytes];
        ReadExactly(s, header, "image header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != ImageMagic)
        {
            ThrowHelper.InvalidData($"Not an IDX image file: magic number {magic}, expected {ImageMagic}.");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows <= 0 || cols <= 0)
        {
            ThrowHelper.InvalidData($"Invalid IDX image dimensions {count} x {rows} x {cols}.");
        }

        long imageBytes = (long)rows * cols; // < 2^62
        if (imageBytes > budget)
        {
            ThrowHelper.InvalidData($"IDX images of {rows} x {cols} pixels exceed the decode budget of {budget} bytes.");
        }

        long bytes = imageBytes * count; // ≤ 2^30 · 2^31 < 2^63
        CheckPayload(bytes, rawLength, ImageHeaderBytes, budget, "image");
        return (count, rows, cols, bytes);
    }

    private static void CheckBudget(long maxDecodedBytes)
    {
        if (maxDecodedBytes < LabelHeaderBytes || maxDecodedBytes > MaxPayloadBytes)
        {
            ThrowHelper.OutOfRange(nameof(maxDecodedBytes), maxDecodedBytes, $"The decode budget must be in {LabelHeaderBytes}..{MaxPayloadBytes} bytes.");
        }
    }

    private static Stream Open(Stream stream, long budget, string what, out long? rawLength, out long? sizeHint)
    {
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        sizeHint = null;

        // Buffer the first bytes to sniff gzip (1F 8B) without requiring a seekable stream.
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = buffered.Read(magic);
        var prefix = magic[..got].ToArray();
        if (got == 2 && prefix[0] == 0x1F && prefix[1] == 0x8B)
        {
            rawLength = null;
            sizeHint = GzipSizeHint(buffered, remaining);
            var gzip = new GZipStream(new PrefixStream(prefix, buffered), CompressionMode.Decompress);
            return new DecodeBudgetStream(gzip, budget, "The gzip-compressed " + what);
        }

        rawLength = remaining;
        return new DecodeBudgetStream(new PrefixStream(prefix, buffered), budget, "The " + what);
    }

    /// <summary>
    /// ISIZE, the decoded length mod 2^32 a gzip member records in its last four bytes, when the stream can seek. It is
    /// only a hint: it decides whether the output is allocated at once (when it agrees with the header) or grown with
    /// the data decoded; either way the decode budget bounds the allocation.
    /// </summary>
    private static long? GzipSizeHint(BufferedStream buffered, long? remaining)
    {
        if (remaining is not long length || length < 20)
        {
            return null;
        }

        long start = buffered.Position - 2;
        Span<byte> tail = stackalloc byte[4];
        buffered.Seek(start + length - 4, SeekOrigin.Begin);
        int got = buffered.ReadAtLeast(tail, 4, throwOnEndOfStream: false);
        buffered.Seek(start + 2, SeekOrigin.Begin);
        return got == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(tail) : null;
    }

    private static void CheckPayload(long bytes, long? rawLength, int headerLength, long budget, string what)
    {
        if (bytes > budget - headerLength)
        {
            ThrowHelper.InvalidData($"IDX {what} file declares {bytes} bytes of data, more than the decode budget of {budget} bytes (raise maxDecodedBytes to accept larger files).");
        }

        if (rawLength is long len && len - headerLength < bytes)
        {
            ThrowHelper.InvalidData($"IDX {what} file is truncated: the header declares {bytes} bytes of data, the file holds {len - headerLength}.");
        }
    }

    /// <summary>The first allocation: all of it when the size is known to be real, else a first chunk to grow from.</summary>
    private static int InitialLength(long bytes, bool sizeKnown) => (int)(sizeKnown ? bytes : Math.Min(bytes, FirstChunk));

    private delegate void Decode<T>(ReadOnlySpan<byte> source, Span<T> destination);

    /// <summary>
    /// Decodes <paramref name="bytes"/> bytes into <paramref name="data"/> chunk by chunk, growing it (doubling, capped
    /// at the declared size) only as data actually arrives: a header that lies about a tiny file costs one chunk.
    /// </summary>
    private static void ReadPayload<T>(Stream s, ref T[] data, long bytes, string what, Decode<T> decode)
    {
        Span<byte> chunk = stackalloc byte[1 << 14];
        long filled = 0;
        while (filled < bytes)
        {
            if (filled == data.Length)
            {
                Array.Resize(ref data, (int)Math.Min(bytes, (long)data.Length * 2));
            }

            int want = (int)Math.Min(chunk.Length, data.Length - filled);
            int n = s.Read(chunk[..want]);
            if (n == 0)
            {
                ThrowHelper.InvalidData($"IDX {what} file is truncated: expected {bytes} bytes of data, got {filled}.");
            }

            decode(chunk[..n], data.AsSpan((int)filled, n));
            filled += n;
        }
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string what)
    {
        int filled = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (filled < buffer.Length)
        {
            ThrowHelper.InvalidData($"IDX file is truncated: the {what} needs {buffer.Length} bytes, got {filled}.");
        }
    }
}
