using System;
using System.IO;

namespace ConvNet.Data;

/// <summary>Replays a few already-read bytes before the rest of a stream.</summary>
internal sealed class PrefixStream(byte[] prefix, Stream inner) : ReadOnlyStream
{
    private int _position;

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
}
