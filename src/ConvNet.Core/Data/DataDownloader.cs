using System;
using System.IO;
using System.IO.Compression;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace ConvNet.Data;

/// <summary>
/// Downloads a data file into a local cache directory and verifies its SHA-256 before it is used. For gzip files the
/// hash is that of the decompressed content (so re-compressed mirrors of the same data verify too). A cached file whose
/// hash matches is not downloaded again; a download is written to a temporary file and renamed only once verified.
/// </summary>
public static class DataDownloader
{
    /// <summary>Ensures <paramref name="fileName"/> is in <paramref name="cacheDirectory"/> with the expected hash.</summary>
    /// <param name="client">The HTTP client to use.</param>
    /// <param name="uri">Where to download from.</param>
    /// <param name="cacheDirectory">The local cache directory (created if missing).</param>
    /// <param name="fileName">The file name in the cache.</param>
    /// <param name="expectedSha256">Lower-case hex SHA-256 (of the decompressed content for gzip files).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The full path of the verified file.</returns>
    /// <exception cref="InvalidDataException">The downloaded content does not match the hash.</exception>
    public static async Task<string> EnsureFileAsync(HttpClient client, Uri uri, string cacheDirectory, string fileName,
        string expectedSha256, CancellationToken cancellationToken = default)
    {
        ThrowHelper.NotNull(client, nameof(client));
        ThrowHelper.NotNull(uri, nameof(uri));
        ThrowHelper.NotNull(cacheDirectory, nameof(cacheDirectory));
        ThrowHelper.NotNull(fileName, nameof(fileName));
        ThrowHelper.NotNull(expectedSha256, nameof(expectedSha256));
        if (fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || fileName is "." or "..")
        {
            ThrowHelper.Argument(nameof(fileName), $"'{fileName}' is not a plain file name.");
        }

        Directory.CreateDirectory(cacheDirectory);
        string path = Path.Combine(cacheDirectory, fileName);
        if (File.Exists(path) && string.Equals(ComputeSha256(path), expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            return path;
        }

        string temp = path + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            using (var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
            {
                response.EnsureSuccessStatusCode();
                using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await body.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            string actual = ComputeSha256(temp);
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                ThrowHelper.InvalidData($"Downloaded '{fileName}' from {uri} has SHA-256 {actual}, expected {expectedSha256}.");
            }

            File.Move(temp, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The lower-case hex SHA-256 of a file's content, decompressed first when it is gzip.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The hash.</returns>
    public static string ComputeSha256(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int got = file.Read(head);
        file.Position = 0;
        try
        {
            using Stream content = got == 2 && head[0] == 0x1F && head[1] == 0x8B ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return Convert.ToHexStringLower(SHA256.HashData(content));
        }
        catch (InvalidDataException)
        {
            return "corrupt";
        }
    }
}
