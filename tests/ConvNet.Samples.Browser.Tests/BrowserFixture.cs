using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.Playwright;
using Xunit;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>
/// Once per test run: publishes the sample (Release, trimmed) into artifacts/browser/publish, serves its wwwroot on
/// 127.0.0.1 and launches the system's headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium) through Playwright.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private StaticServer? _server;

    /// <summary>The repository root.</summary>
    public string Root { get; } = FindRoot();

    /// <summary>Where screenshots and measurements go (a CI artifact).</summary>
    public string Artifacts => Path.Combine(Root, "artifacts", "browser");

    /// <summary>The published static folder.</summary>
    public string WwwRoot => Path.Combine(Artifacts, "publish", "wwwroot");

    /// <summary>The server.</summary>
    public StaticServer Server => _server ?? throw new InvalidOperationException("Not started.");

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Seconds the publish took.</summary>
    public double PublishSeconds { get; private set; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Artifacts);
        File.Delete(Path.Combine(Artifacts, "metrics.txt"));
        string publish = Path.Combine(Artifacts, "publish");
        if (Directory.Exists(publish))
        {
            Directory.Delete(publish, recursive: true);
        }

        var clock = Stopwatch.StartNew();
        await Run("dotnet", "publish", Path.Combine(Root, "samples", "ConvNet.Samples.Browser"), "-c", "Release", "-o", publish);
        PublishSeconds = clock.Elapsed.TotalSeconds;
        File.Exists(Path.Combine(WwwRoot, "index.html")).Should().BeTrue("the publish output has the page");

        _server = new StaticServer(WwwRoot);
        _playwright = await Playwright.CreateAsync();
        string chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";
        File.Exists(chromium).Should().BeTrue($"the system Chromium is installed at {chromium} (apt-get install chromium; .ci/run does it)");
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            ChromiumSandbox = false,
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        _server?.Dispose();
    }

    private static async Task Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', args)} failed:\n{await stdout}\n{await stderr}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvNet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (ConvNet.sln) is not above " + AppContext.BaseDirectory);
    }
}
