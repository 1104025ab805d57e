using System;
using System.IO;

namespace ConvNet.Data;

/// <summary>
/// Counts the bytes read through it and raises <see cref="InvalidDataException"/> as soon as they pass a budget, so a
/// decompressor can never produce more than the caller allowed, whatever the compressed file expands to.
/// </summary>
internal sealed class DecodeBudgetStream(Stream inner, long budget, string what) : ReadOnlyStream
{
    private long _decoded;

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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
