using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.Playwright;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>One tab on the sample: collects console errors and page errors, and knows the page's hooks.</summary>
public sealed class AppPage : IAsyncDisposable
{
    private AppPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                lock (Errors)
                {
                    Errors.Add($"console.{m.Type}: {m.Text}");
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (Errors)
            {
                Errors.Add("page error: " + e);
            }
        };
    }

    /// <summary>The context (its own profile state).</summary>
    public IBrowserContext Context { get; }

    /// <summary>The tab.</summary>
    public IPage Page { get; }

    /// <summary>Console errors and warnings, and uncaught page errors, so far.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Seconds from navigation to the page's ready status (model and images loaded, UI interactive).</summary>
    public double SecondsToInteractive { get; private set; }

    /// <summary>Opens the sample and waits until it is interactive.</summary>
    /// <param name="fixture">The shared browser and server.</param>
    /// <param name="width">Viewport width.</param>
    /// <param name="height">Viewport height.</param>
    /// <returns>The page.</returns>
    public static async Task<AppPage> OpenAsync(BrowserFixture fixture, int width = 1280, int height = 900)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(120_000);
        var app = new AppPage(context, page);
        var clock = Stopwatch.StartNew();
        await page.GotoAsync(fixture.Server.BaseAddress.ToString());
        await page.WaitForSelectorAsync("#status[data-ready='true']", new PageWaitForSelectorOptions { Timeout = 180_000 });
        app.SecondsToInteractive = clock.Elapsed.TotalSeconds;
        return app;
    }

    /// <summary>Clicks test image <paramref name="index"/> and returns the class the page predicts.</summary>
    /// <param name="index">0-based image index.</param>
    /// <param name="keyboard">Focus the image and press Enter instead of clicking.</param>
    /// <returns>The predicted class.</returns>
    public async Task<int> ClassifyTestImageAsync(int index, bool keyboard = false)
    {
        var thumb = Page.Locator($"button.thumb[data-index='{index}']");
        if (keyboard)
        {
            await thumb.FocusAsync();
            await Page.Keyboard.PressAsync("Enter");
        }
        else
        {
            await thumb.ClickAsync();
        }

        var prediction = Page.Locator($"#prediction[data-image='{index}']");
        await prediction.WaitForAsync();
        return int.Parse((await prediction.GetAttributeAsync("data-class"))!, CultureInfo.InvariantCulture);
    }

    /// <summary>A number from a data attribute.</summary>
    /// <param name="selector">The element.</param>
    /// <param name="attribute">The attribute.</param>
    /// <returns>The value (NaN when empty).</returns>
    public async Task<double> NumberAsync(string selector, string attribute)
    {
        string? text = await Page.Locator(selector).GetAttributeAsync(attribute);
        return string.IsNullOrEmpty(text) ? double.NaN : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
    }
}
