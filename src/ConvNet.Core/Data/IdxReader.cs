using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace ConvNet.Data;

/// <summary>
/// Reads MNIST-format IDX files, raw or gzip-compressed (detected from the first two bytes): images with magic 2051
/// (0x00000803: unsigned bytes, 3 dimensions) and labels with magic 2049 (0x00000801, 1 dimension). Every header field
/// is validated before anything is allocated; a truncated, oversized or otherwise malformed file raises
/// <see cref="InvalidDataException"/>.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX image file.</summary>
    public const int ImageMagic = 2051;

    /// <summary>Magic number of an IDX label file.</summary>
    public const int LabelMagic = 2049;

    /// <summary>The largest payload accepted (1 GiB): a header declaring more is rejected before any allocation.</summary>
    public const long MaxPayloadBytes = 1L << 30;

    /// <summary>Reads an image file.</summary>
    /// <param name="path">The file, raw or .gz.</param>
    /// <returns>(count, rows, columns, pixels as count·rows·columns bytes).</returns>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        using var stream = File.OpenRead(path);
        return ReadImages(stream);
    }

    /// <summary>Reads an image file from a stream.</summary>
    /// <param name="stream">Raw or gzip data.</param>
    /// <returns>(count, rows, columns, pixels).</returns>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(Stream stream)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        using var s = Open(stream, out long? rawLength);
        Span<byte> header = stackalloc byte[16];
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

        long imageBytes = (long)rows * cols; // ≤ 2^62: cannot overflow
        if (imageBytes > MaxPayloadBytes)
        {
            ThrowHelper.InvalidData($"IDX images of {rows} x {cols} pixels exceed the {MaxPayloadBytes} bytes accepted.");
        }

        long bytes = imageBytes * count; // ≤ 2^30 · 2^31: cannot overflow
        CheckPayload(bytes, rawLength, 16, "image");
        var pixels = ReadPayload(s, bytes, "image");
        return (count, rows, cols, pixels);
    }

    /// <summary>Reads a label file.</summary>
    /// <param name="path">The file, raw or .gz.</param>
    /// <returns>The labels.</returns>
    public static byte[] ReadLabels(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        using var stream = File.OpenRead(path);
        return ReadLabels(stream);
    }

    /// <summary>Reads a label file from a stream.</summary>
    /// <param name="stream">Raw or gzip data.</param>
    /// <returns>The labels.</returns>
    public static byte[] ReadLabels(Stream stream)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        using var s = Open(stream, out long? rawLength);
        Span<byte> header = stackalloc byte[8];
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

        CheckPayload(count, rawLength, 8, "label");
        return ReadPayload(s, count, "label");
    }

    private static Stream Open(Stream stream, out long? rawLength)
    {
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;

        // Buffer the first bytes to sniff gzip (1F 8B) without requiring a seekable stream.
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = buffered.Read(magic);
        var prefix = magic[..got].ToArray();
        Stream joined = new PrefixStream(prefix, buffered);
        if (got == 2 && prefix[0] == 0x1F && prefix[1] == 0x8B)
        {
            rawLength = null;
            return new GZipStream(joined, CompressionMode.Decompress);
        }

        rawLength = remaining;
        return joined;
    }

    private static void CheckPayload(long bytes, long? rawLength, int headerLength, string what)
    {
        if (bytes > MaxPayloadBytes)
        {
            ThrowHelper.InvalidData($"IDX {what} file declares {bytes} bytes of data, more than the {MaxPayloadBytes} accepted.");
        }

        if (rawLength is long len && len - headerLength < bytes)
        {
            ThrowHelper.InvalidData($"IDX {what} file is truncated: the header declares {bytes} bytes of data, the file holds {len - headerLength}.");
        }
    }

    private static byte[] ReadPayload(Stream s, long bytes, string what)
    {
        // Grow in steps so a hostile header in a tiny compressed file cannot force a large allocation up front.
        var data = new byte[(int)Math.Min(bytes, 1 << 20)];
        long filled = 0;
        while (filled < bytes)
        {
            if (filled == data.Length)
            {
                Array.Resize(ref data, (int)Math.Min(bytes, (long)data.Length * 2));
            }

            int n = s.Read(data, (int)filled, (int)(data.Length - filled));
            if (n == 0)
            {
                ThrowHelper.InvalidData($"IDX {what} file is truncated: expected {bytes} bytes of data, got {filled}.");
            }

            filled += n;
        }

        return data;
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string what)
    {
        int filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                int n = s.Read(buffer[filled..]);
                if (n == 0)
                {
                    break;
                }

                filled += n;
            }
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Cannot read the IDX {what}: {e.Message}", e);
        }

        if (filled < buffer.Length)
        {
            ThrowHelper.InvalidData($"IDX file is truncated: the {what} needs {buffer.Length} bytes, got {filled}.");
        }
    }

    /// <summary>Replays a few already-read bytes before the rest of a stream.</summary>
    private sealed class PrefixStream(byte[] prefix, Stream inner) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            return inner.Read(buffer);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
