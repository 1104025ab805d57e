using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>
/// A tiny static file server on 127.0.0.1 (a free port) for a published wwwroot: the MIME types Blazor needs, and the
/// precompressed .br/.gz files when the browser accepts them. GET and HEAD only; paths cannot leave the root.
/// </summary>
public sealed class StaticServer : IDisposable
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json",
        [".wasm"] = "application/wasm",
        [".dat"] = "application/octet-stream",
        [".blat"] = "application/octet-stream",
        [".dll"] = "application/octet-stream",
        [".pdb"] = "application/octet-stream",
        [".cnis"] = "application/octet-stream",
        [".safetensors"] = "application/octet-stream",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".svg"] = "image/svg+xml",
        [".txt"] = "text/plain; charset=utf-8",
    };

    private readonly string _root;
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private long _bytesSent;

    /// <summary>Starts serving <paramref name="root"/>.</summary>
    /// <param name="root">The folder to serve.</param>
    public StaticServer(string root)
    {
        _root = Path.GetFullPath(root);
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The base address, ending in /.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Bytes sent so far (bodies only).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            string path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            string file = Path.GetFullPath(Path.Combine(_root, path.Length == 0 ? "index.html" : path));
            if (!file.StartsWith(_root, StringComparison.Ordinal) || (context.Request.HttpMethod is not ("GET" or "HEAD")))
            {
                response.StatusCode = 400;
                return;
            }

            if (!File.Exists(file))
            {
                // Client-side routes fall back to the page; missing assets are 404.
                if (Path.HasExtension(file))
                {
                    response.StatusCode = 404;
                    return;
                }

                file = Path.Combine(_root, "index.html");
            }

            response.ContentType = Types.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            response.AddHeader("Cache-Control", "no-cache");
            string accept = context.Request.Headers["Accept-Encoding"] ?? "";
            string send = file;
            if (accept.Contains("br", StringComparison.Ordinal) && File.Exists(file + ".br"))
            {
                send = file + ".br";
                response.AddHeader("Content-Encoding", "br");
            }
            else if (accept.Contains("gzip", StringComparison.Ordinal) && File.Exists(file + ".gz"))
            {
                send = file + ".gz";
                response.AddHeader("Content-Encoding", "gzip");
            }

            var bytes = await File.ReadAllBytesAsync(send);
            response.ContentLength64 = bytes.Length;
            if (context.Request.HttpMethod == "GET")
            {
                await response.OutputStream.WriteAsync(bytes);
                Interlocked.Add(ref _bytesSent, bytes.Length);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The browser went away mid-response.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
            }
        }
    }
}
