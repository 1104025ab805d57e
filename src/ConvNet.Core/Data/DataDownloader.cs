using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Serialization;

namespace ConvNet.Data;

/// <summary>
/// Downloads a data file into a local cache directory and verifies its SHA-256 before it is used. For gzip files the
/// hash is that of the decompressed content (so re-compressed mirrors of the same data verify too). Downloads use
/// HTTPS unless <see cref="DownloadOptions.AllowInsecureHttp"/>; a response is held to
/// <see cref="DownloadOptions.MaxDownloadBytes"/> and its decompression to <see cref="DownloadOptions.MaxDecodedBytes"/>.
/// A download is written to a temporary file, verified, then renamed into place atomically, so the cache never holds a
/// partial or unverified file. A verified file is stamped (hash, length, modification time in a hidden
/// <c>.{name}.sha256</c> next to it), and a later call trusts an unchanged stamped file without decompressing it again.
/// </summary>
public static class DataDownloader
{
    /// <summary>Ensures <paramref name="fileName"/> is in <paramref name="cacheDirectory"/> with the expected hash.</summary>
    /// <param name="client">The HTTP client to use.</param>
    /// <param name="uri">Where to download from (https, unless the options allow http).</param>
    /// <param name="cacheDirectory">The local cache directory (created if missing).</param>
    /// <param name="fileName">The file name in the cache.</param>
    /// <param name="expectedSha256">Lower-case hex SHA-256 (of the decompressed content for gzip files).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The full path of the verified file.</returns>
    /// <exception cref="InvalidDataException">The content does not match the hash, or exceeds a limit.</exception>
    public static Task<string> EnsureFileAsync(HttpClient client, Uri uri, string cacheDirectory, string fileName,
        string expectedSha256, CancellationToken cancellationToken = default) =>
        EnsureFileAsync(client, uri, cacheDirectory, fileName, expectedSha256, null, cancellationToken);

    /// <summary>Ensures <paramref name="fileName"/> is in <paramref name="cacheDirectory"/> with the expected hash.</summary>
    /// <param name="client">The HTTP client to use.</param>
    /// <param name="uri">Where to download from (https, unless the options allow http).</param>
    /// <param name="cacheDirectory">The local cache directory (created if missing).</param>
    /// <param name="fileName">The file name in the cache.</param>
    /// <param name="expectedSha256">Lower-case hex SHA-256 (of the decompressed content for gzip files).</param>
    /// <param name="options">Limits and policy (<see cref="DownloadOptions.Default"/> when null).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The full path of the verified file.</returns>
    /// <exception cref="InvalidDataException">The content does not match the hash, or exceeds a limit.</exception>
    public static async Task<string> EnsureFileAsync(HttpClient client, Uri uri, string cacheDirectory, string fileName,
        string expectedSha256, DownloadOptions? options, CancellationToken cancellationToken = default)
    {
        ThrowHelper.NotNull(client, nameof(client));
        ThrowHelper.NotNull(uri, nameof(uri));
        ThrowHelper.NotNull(cacheDirectory, nameof(cacheDirectory));
        ThrowHelper.NotNull(fileName, nameof(fileName));
        ThrowHelper.NotNull(expectedSha256, nameof(expectedSha256));
        options ??= DownloadOptions.Default;
        options.Validate();
        if (fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || fileName is "." or "..")
        {
            ThrowHelper.Argument(nameof(fileName), $"'{fileName}' is not a plain file name.");
        }

        if (!uri.IsAbsoluteUri || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && options.AllowInsecureHttp)))
        {
            ThrowHelper.Argument(nameof(uri), $"'{uri}' is not an https URI; downloads use HTTPS (set DownloadOptions.AllowInsecureHttp to allow http).");
        }

        Directory.CreateDirectory(cacheDirectory);
        string path = Path.Combine(cacheDirectory, fileName);
        string stamp = Path.Combine(cacheDirectory, "." + fileName + ".sha256");
        if (File.Exists(path))
        {
            if (StampMatches(stamp, path, expectedSha256))
            {
                return path;
            }

            if (string.Equals(Hash(path, options.MaxDecodedBytes), expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                WriteStamp(stamp, path, expectedSha256);
                return path;
            }
        }

        using (var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
        {
            response.EnsureSuccessStatusCode();
            if (response.Content.Headers.ContentLength is long declared && declared > options.MaxDownloadBytes)
            {
                ThrowHelper.InvalidData($"'{uri}' declares {declared} bytes, more than the download limit of {options.MaxDownloadBytes} bytes (DownloadOptions.MaxDownloadBytes).");
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                await AtomicFile.WriteAsync(path, async (file, ct) =>
                {
                    await CopyLimitedAsync(body, file, options.MaxDownloadBytes, uri, ct).ConfigureAwait(false);
                    await file.FlushAsync(ct).ConfigureAwait(false);
                    file.Position = 0;
                    string actual = Hash(file, options.MaxDecodedBytes, out string? problem);
                    if (problem is not null)
                    {
                        ThrowHelper.InvalidData($"Downloaded '{fileName}' from {uri} cannot be verified: {problem}");
                    }

                    if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                    {
                        ThrowHelper.InvalidData($"Downloaded '{fileName}' from {uri} has SHA-256 {actual}, expected {expectedSha256}.");
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        WriteStamp(stamp, path, expectedSha256);
        return path;
    }

    /// <summary>The lower-case hex SHA-256 of a file's content, decompressed first when it is gzip.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The hash, or "corrupt" when the gzip data is invalid or decodes past <see cref="IdxReader.DefaultMaxDecodedBytes"/>.</returns>
    public static string ComputeSha256(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        return Hash(path, IdxReader.DefaultMaxDecodedBytes);
    }

    private static string Hash(string path, long maxDecodedBytes)
    {
        using var file = File.OpenRead(path);
        return Hash(file, maxDecodedBytes, out _);
    }

    /// <summary>The hash, or "corrupt" with the reason in <paramref name="problem"/> when gzip data is invalid or over budget.</summary>
    private static string Hash(Stream file, long maxDecodedBytes, out string? problem)
    {
        problem = null;
        long start = file.Position;
        Span<byte> head = stackalloc byte[2];
        int got = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = start;
        if (got < 2 || head[0] != 0x1F || head[1] != 0x8B)
        {
            return Convert.ToHexStringLower(SHA256.HashData(file));
        }

        try
        {
            using var content = new DecodeBudgetStream(new GZipStream(file, CompressionMode.Decompress, leaveOpen: true), maxDecodedBytes, "The gzip file");
            return Convert.ToHexStringLower(SHA256.HashData(content));
        }
        catch (InvalidDataException e)
        {
            problem = e.Message;
            return "corrupt";
        }
    }

    private static async Task CopyLimitedAsync(Stream body, Stream file, long limit, Uri uri, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        while (true)
        {
            int n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            total += n;
            if (total > limit)
            {
                ThrowHelper.InvalidData($"'{uri}' sent more than the download limit of {limit} bytes (DownloadOptions.MaxDownloadBytes); the download was discarded.");
            }

            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool StampMatches(string stamp, string path, string expectedSha256)
    {
        try
        {
            if (!File.Exists(stamp))
            {
                return false;
            }

            var lines = File.ReadAllText(stamp).Split('\n');
            var info = new FileInfo(path);
            return lines.Length >= 3
                && string.Equals(lines[0], expectedSha256, StringComparison.OrdinalIgnoreCase)
                && lines[1] == info.Length.ToString(CultureInfo.InvariantCulture)
                && lines[2] == info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void WriteStamp(string stamp, string path, string sha256)
    {
        var info = new FileInfo(path);
        string text = string.Create(CultureInfo.InvariantCulture, $"{sha256.ToLowerInvariant()}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}\n");
        try
        {
            AtomicFile.Write(stamp, s => s.Write(System.Text.Encoding.ASCII.GetBytes(text)));
        }
        catch (IOException)
        {
            // The stamp only saves time; without it the next call verifies the file again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
