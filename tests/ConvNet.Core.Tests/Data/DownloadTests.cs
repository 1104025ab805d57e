using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>The downloader against a local plain-HTTP server on 127.0.0.1 (never the internet), so http is allowed explicitly.</summary>
public sealed class DownloadTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "convnet-dl-" + Guid.NewGuid().ToString("N"));
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _prefix;
    private static readonly DownloadOptions Http = new() { AllowInsecureHttp = true };
    private int _requests;

    public DownloadTests()
    {
        Directory.CreateDirectory(_dir);
        int port = FreePort();
        _prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_prefix);
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            string name = ctx.Request.Url!.AbsolutePath.TrimStart('/');
            string file = name == "corrupt.gz" ? Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz") : Path.Combine(ShippedData.Directory, name);
            if (File.Exists(file))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                ctx.Response.ContentLength64 = bytes.Length;
                await ctx.Response.OutputStream.WriteAsync(bytes);
            }
            else
            {
                ctx.Response.StatusCode = 404;
            }

            ctx.Response.Close();
        }
    }

    [Fact]
    public async Task Downloads_verifies_caches_and_rejects_bad_hashes()
    {
        string source = Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz");
        string sha = DataDownloader.ComputeSha256(source);
        using var client = new HttpClient();
        var uri = new Uri(_prefix + "t10k-labels-idx1-ubyte.gz");

        string path = await DataDownloader.EnsureFileAsync(client, uri, _dir, "labels.gz", sha, Http);
        File.ReadAllBytes(path).Should().Equal(File.ReadAllBytes(source));
        int after = _requests;
        await DataDownloader.EnsureFileAsync(client, uri, _dir, "labels.gz", sha, Http);
        _requests.Should().Be(after, "a verified cached file is not downloaded again");

        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, new Uri(_prefix + "corrupt.gz"), _dir, "bad.gz", new string('0', 64), Http))
            .Should().ThrowAsync<InvalidDataException>().WithMessage("*SHA-256*");
        File.Exists(Path.Combine(_dir, "bad.gz")).Should().BeFalse();
        Directory.GetFiles(_dir, "*.tmp").Should().BeEmpty();

        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, new Uri(_prefix + "missing.gz"), _dir, "missing.gz", sha, Http))
            .Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task FashionMnist_download_then_load_from_the_cache()
    {
        // The local server serves the shipped subset under the real file names; their hashes differ from the full
        // data set's, so the downloader must refuse them.
        using var client = new HttpClient();
        await FluentActions.Awaiting(() => FashionMnist.DownloadAsync(_dir, client, new Uri(_prefix), options: Http))
            .Should().ThrowAsync<InvalidDataException>().WithMessage("*train-images*SHA-256*");
    }
}
