using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Samples.Browser.Tests;

[Collection(BrowserCollection.Name)]
public sealed class PageTests(BrowserFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Page_loads_and_becomes_interactive_with_no_console_errors()
    {
        await using var app = await AppPage.OpenAsync(fixture);
        (await app.Page.Locator("button.thumb").CountAsync()).Should().Be(300, "the grid shows every shipped test image");
        (await app.Page.TitleAsync()).Should().Be("ConvNet in the browser");
        (await app.Page.Locator("button.thumb[tabindex='0']").CountAsync()).Should().Be(1, "the grid is one Tab stop (arrow keys move inside it)");
        (await app.Page.Locator("#train-button").IsVisibleAsync()).Should().BeTrue();
        app.Errors.Should().BeEmpty();

        var files = Directory.GetFiles(fixture.WwwRoot, "*", SearchOption.AllDirectories);
        var raw = files.Where(f => !f.EndsWith(".br", System.StringComparison.Ordinal) && !f.EndsWith(".gz", System.StringComparison.Ordinal)).ToArray();
        long total = raw.Sum(f => new FileInfo(f).Length);
        long brotli = raw.Sum(f => new FileInfo(File.Exists(f + ".br") ? f + ".br" : f).Length);
        output.WriteLine($"interactive after {app.SecondsToInteractive:F2} s; publish {total / 1e6:F2} MB ({brotli / 1e6:F2} MB with Brotli), {fixture.Server.BytesSent / 1e6:F2} MB sent");
        Metrics.Report(fixture, "publish seconds", fixture.PublishSeconds, "s");
        Metrics.Report(fixture, "time to interactive (first load)", app.SecondsToInteractive, "s");
        Metrics.Report(fixture, "publish size (uncompressed files)", total / 1e6, "MB");
        Metrics.Report(fixture, "publish size (Brotli where published)", brotli / 1e6, "MB");
    }

    [Fact]
    public async Task Twenty_shipped_images_get_the_classes_the_library_computes_natively()
    {
        var network = Native.Model(fixture.WwwRoot);
        var images = Native.Images(fixture.WwwRoot, "test");
        int[] indices = Enumerable.Range(0, 20).Select(i => i * 15).ToArray();
        int[] expected = indices.Select(i => Native.Classify(network, images, i)).ToArray();

        await using var app = await AppPage.OpenAsync(fixture);
        var actual = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            // The first image through the keyboard (Tab focus + Enter), the rest with the mouse.
            actual[i] = await app.ClassifyTestImageAsync(indices[i], keyboard: i == 0);
        }

        // The grid is one Tab stop; an arrow key moves to the next image and Enter classifies it.
        await app.Page.Locator("button.thumb[data-index='15']").FocusAsync();
        await app.Page.Keyboard.PressAsync("ArrowRight");
        await app.Page.Keyboard.PressAsync("Enter");
        await app.Page.Locator("#prediction[data-image='16']").WaitForAsync();

        output.WriteLine("native:  " + string.Join(' ', expected));
        output.WriteLine("browser: " + string.Join(' ', actual));
        actual.Should().Equal(expected);
        expected.Distinct().Count().Should().BeGreaterThan(5, "the 20 images cover many classes, so a constant answer would fail");
        (await app.Page.Locator(".maps canvas").CountAsync()).Should().Be(6, "C1 has six feature maps");
        (await app.Page.Locator(".bars li").CountAsync()).Should().Be(10);
        app.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_drawing_is_classified()
    {
        await using var app = await AppPage.OpenAsync(fixture);
        await app.Page.ClickAsync("#pad-example");
        var prediction = app.Page.Locator("#prediction[data-image='drawing']");
        await prediction.WaitForAsync();
        int predicted = (int)await app.NumberAsync("#prediction", "data-class");
        predicted.Should().BeInRange(0, 9);
        output.WriteLine($"the example drawing is classified as class {predicted}");
        app.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_phone_sized_viewport_does_not_scroll_sideways()
    {
        await using var app = await AppPage.OpenAsync(fixture, width: 390, height: 844);
        await app.ClassifyTestImageAsync(0);
        int overflow = await app.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        overflow.Should().BeLessThanOrEqualTo(0);
        await app.Page.ScreenshotAsync(new() { Path = Path.Combine(fixture.Artifacts, "screenshot-phone.png"), FullPage = true });
        app.Errors.Should().BeEmpty();
    }
}
