using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ConvNet.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 60,000 training and 10,000 test 28×28 grayscale images in 10 classes.
/// <see cref="DownloadAsync"/> fetches the four IDX files into a cache (verifying SHA-256 of the decompressed data);
/// <see cref="Load"/> reads them from a directory.
/// </summary>
public static class FashionMnist
{
    /// <summary>The default download location: the upstream repository's data folder, over HTTPS.</summary>
    public static Uri DefaultBaseUri { get; } = new("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/");

    /// <summary>The class names, by label.</summary>
    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files and the SHA-256 of their decompressed content.</summary>
    public static readonly (string File, string Sha256)[] Files =
    [
        ("train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        ("train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        ("t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        ("t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ];

    /// <summary>Downloads (or finds cached and verified) the four files.</summary>
    /// <param name="cacheDirectory">The local cache directory.</param>
    /// <param name="client">The HTTP client (a new one when null).</param>
    /// <param name="baseUri">The mirror (default <see cref="DefaultBaseUri"/>).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <param name="options">Download limits and policy (<see cref="DownloadOptions.Default"/> when null).</param>
    /// <returns>The cache directory.</returns>
    public static async Task<string> DownloadAsync(string cacheDirectory, HttpClient? client = null, Uri? baseUri = null, CancellationToken cancellationToken = default, DownloadOptions? options = null)
    {
        ThrowHelper.NotNull(cacheDirectory, nameof(cacheDirectory));
        var http = client ?? new HttpClient();
        try
        {
            foreach (var (file, sha) in Files)
            {
                await DataDownloader.EnsureFileAsync(http, new Uri(baseUri ?? DefaultBaseUri, file), cacheDirectory, file, sha, options, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (client is null)
            {
                http.Dispose();
            }
        }

        return cacheDirectory;
    }

    /// <summary>Loads the training and test sets from a directory holding the IDX files (.gz or raw).</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="maxDecodedBytes">The decode budget per file (see <see cref="IdxReader.DefaultMaxDecodedBytes"/>).</param>
    /// <returns>(train, test), pixels scaled to [0, 1].</returns>
    public static (Dataset Train, Dataset Test) Load(string directory, long maxDecodedBytes = IdxReader.DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(directory, nameof(directory));
        return (
            Dataset.LoadIdx(Find(directory, "train-images-idx3-ubyte"), Find(directory, "train-labels-idx1-ubyte"), 10, maxDecodedBytes),
            Dataset.LoadIdx(Find(directory, "t10k-images-idx3-ubyte"), Find(directory, "t10k-labels-idx1-ubyte"), 10, maxDecodedBytes));
    }

    private static string Find(string directory, string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx", StringComparison.Ordinal) })
        {
            string p = Path.Combine(directory, candidate);
            if (File.Exists(p))
            {
                return p;
            }
        }

        throw new FileNotFoundException($"'{stem}(.gz)' was not found in {directory}.", Path.Combine(directory, stem + ".gz"));
    }
}
