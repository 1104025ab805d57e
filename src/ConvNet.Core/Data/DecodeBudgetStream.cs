using System;
using System.IO;

namespace ConvNet.Data;

/// <summary>
/// Counts the bytes read through it and raises <see cref="InvalidDataException"/> as soon as they pass a budget, so a
/// decompressor can never produce more than the caller allowed, whatever the compressed file expands to.
/// </summary>
internal sealed class DecodeBudgetStream(Stream inner, long budget, string what) : Stream
{
    private long _decoded;

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
        // Never ask for more than one byte past the budget: the decompressor does no more work than that.
        long allowed = budget - _decoded + 1;
        if (buffer.Length > allowed)
        {
            buffer = buffer[..(int)allowed];
        }

        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Cannot read {what}: {e.Message}", e);
        }

        _decoded += n;
        if (_decoded > budget)
        {
            ThrowHelper.InvalidData($"{what} decodes to more than {budget} bytes, the decode budget (raise maxDecodedBytes to accept larger files).");
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
