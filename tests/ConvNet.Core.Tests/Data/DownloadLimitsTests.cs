using System;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>
/// The downloader's limits and cache, through an in-process <see cref="HttpMessageHandler"/>: HTTPS by default, a size
/// limit on what a response may send (declared or not), a decode limit on verifying gzip, atomic placement, and a
/// cache that does not decompress an unchanged verified file again.
/// </summary>
public sealed class DownloadLimitsTests : IDisposable
{
    private static readonly Uri Source = new("https://data.example/t10k-labels-idx1-ubyte.gz");
    private readonly TempDirectory _temp = new("dl-limits");
    private readonly byte[] _labels = File.ReadAllBytes(Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz"));

    public void Dispose() => _temp.Dispose();

    private string Sha => DataDownloader.ComputeSha256(Path.Combine(ShippedData.Directory, "t10k-labels-idx1-ubyte.gz"));

    [Fact]
    public async Task Plain_http_is_refused_unless_allowed()
    {
        var handler = new FakeHandler(_ => Ok(new ByteArrayContent(_labels)));
        using var client = new HttpClient(handler);
        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, new Uri("http://data.example/l.gz"), _temp.Path, "l.gz", Sha))
            .Should().ThrowAsync<ArgumentException>().WithParameterName("uri").WithMessage("*https*AllowInsecureHttp*");
        handler.Requests.Should().Be(0);
        FashionMnist.DefaultBaseUri.Scheme.Should().Be("https");

        string path = await DataDownloader.EnsureFileAsync(client, new Uri("http://data.example/l.gz"), _temp.Path, "l.gz", Sha, new DownloadOptions { AllowInsecureHttp = true });
        File.ReadAllBytes(path).Should().Equal(_labels);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_refused_before_the_body_is_read_and_the_cached_file_survives()
    {
        string cached = _temp.File("l.gz");
        File.WriteAllText(cached, "an older file that does not verify");
        var body = new EndlessStream();
        var content = new StreamContent(body);
        content.Headers.ContentLength = 1L << 40;
        using var client = new HttpClient(new FakeHandler(_ => Ok(content)));
        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha))
            .Should().ThrowAsync<InvalidDataException>().WithMessage("*1099511627776 bytes*download limit of 67108864*");
        body.Delivered.Should().Be(0);
        File.ReadAllText(cached).Should().Be("an older file that does not verify");
        Directory.GetFiles(_temp.Path, "*.tmp").Should().BeEmpty();
    }

    [Fact]
    public async Task An_endless_response_is_cut_at_the_limit_and_discarded()
    {
        var body = new EndlessStream();
        using var client = new HttpClient(new FakeHandler(_ => Ok(new StreamContent(body))));
        var options = new DownloadOptions { MaxDownloadBytes = 1 << 20 };
        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha, options))
            .Should().ThrowAsync<InvalidDataException>().WithMessage("*more than the download limit of 1048576*");
        body.Delivered.Should().BeLessThan((1 << 20) + (1 << 17), "reading stops at the limit");
        Directory.GetFiles(_temp.Path).Should().BeEmpty("nothing partial is left in the cache");
    }

    [Fact]
    public async Task A_gzip_bomb_is_not_decompressed_past_the_decode_limit()
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++)
            {
                gz.Write(zeros);
            }
        }

        using var client = new HttpClient(new FakeHandler(_ => Ok(new ByteArrayContent(ms.ToArray()))));
        var options = new DownloadOptions { MaxDecodedBytes = 1 << 20 };
        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "bomb.gz", Sha, options))
            .Should().ThrowAsync<InvalidDataException>().WithMessage("*cannot be verified*more than 1048576 bytes*");
        Directory.GetFiles(_temp.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unchanged_verified_file_is_trusted_without_decompressing_it_again_and_a_changed_one_is_verified()
    {
        var handler = new FakeHandler(_ => Ok(new ByteArrayContent(_labels)));
        using var client = new HttpClient(handler);
        string path = await DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha);
        handler.Requests.Should().Be(1);

        // Corrupt the cached bytes but keep length and modification time: the stamp is trusted, so the call cannot
        // have decompressed the file (it would have found the corruption and downloaded again).
        var when = File.GetLastWriteTimeUtc(path);
        var corrupted = (byte[])_labels.Clone();
        corrupted[^5] ^= 0xFF;
        File.WriteAllBytes(path, corrupted);
        File.SetLastWriteTimeUtc(path, when);
        await DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha);
        handler.Requests.Should().Be(1);
        File.ReadAllBytes(path).Should().Equal(corrupted);

        // Touch it: now it is verified again, found wrong, and replaced.
        File.SetLastWriteTimeUtc(path, when.AddSeconds(5));
        await DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha);
        handler.Requests.Should().Be(2);
        File.ReadAllBytes(path).Should().Equal(_labels);

        // A verified file that predates stamps is hashed once, stamped, and kept.
        File.Delete(_temp.File(".l.gz.sha256"));
        await DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha);
        handler.Requests.Should().Be(2);
        File.Exists(_temp.File(".l.gz.sha256")).Should().BeTrue();
    }

    [Fact]
    public async Task Leftovers_of_a_killed_download_are_removed_by_the_next_one()
    {
        string stale = _temp.File(".l.gz." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(stale, new byte[1000]);
        using var client = new HttpClient(new FakeHandler(_ => Ok(new ByteArrayContent(_labels))));
        await DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha);
        File.Exists(stale).Should().BeFalse();
    }

    [Fact]
    public async Task Limits_are_validated()
    {
        using var client = new HttpClient(new FakeHandler(_ => Ok(new ByteArrayContent(_labels))));
        await FluentActions.Awaiting(() => DataDownloader.EnsureFileAsync(client, Source, _temp.Path, "l.gz", Sha, new DownloadOptions { MaxDownloadBytes = 0 }))
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("MaxDownloadBytes");
    }

    private static HttpResponseMessage Ok(HttpContent content) => new(HttpStatusCode.OK) { Content = content };

    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(respond(request));
        }
    }

    /// <summary>A response body that never ends; counts what it delivered.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Delivered { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)'x', offset, count);
            Delivered += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
