namespace ConvNet.Data;

/// <summary>Limits and policy of <see cref="DataDownloader"/>: how much may arrive, how much it may decode to, which schemes.</summary>
public sealed class DownloadOptions
{
    /// <summary>The default <see cref="MaxDownloadBytes"/>, 64 MiB (full Fashion-MNIST's largest file is 26 MB).</summary>
    public const long DefaultMaxDownloadBytes = 64L << 20;

    /// <summary>The defaults.</summary>
    public static DownloadOptions Default { get; } = new();

    /// <summary>
    /// The most bytes one response may deliver; a larger declared Content-Length is refused before the body is read,
    /// and a body that runs past the limit (an endless response) is cut off and discarded.
    /// </summary>
    public long MaxDownloadBytes { get; init; } = DefaultMaxDownloadBytes;

    /// <summary>The most bytes a gzip file may decompress to while its hash is verified.</summary>
    public long MaxDecodedBytes { get; init; } = IdxReader.DefaultMaxDecodedBytes;

    /// <summary>Allows plain <c>http://</c> URIs (the content is still verified by SHA-256); HTTPS only by default.</summary>
    public bool AllowInsecureHttp { get; init; }

    internal void Validate()
    {
        if (MaxDownloadBytes <= 0)
        {
            ThrowHelper.OutOfRange(nameof(MaxDownloadBytes), MaxDownloadBytes, "The download limit must be positive.");
        }

        if (MaxDecodedBytes <= 0)
        {
            ThrowHelper.OutOfRange(nameof(MaxDecodedBytes), MaxDecodedBytes, "The decode limit must be positive.");
        }
    }
}
