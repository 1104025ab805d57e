using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Samples.Browser.Tests;

[Collection(BrowserCollection.Name)]
public sealed class TrainingTests(BrowserFixture fixture, ITestOutputHelper output)
{
    private const int TrainImages = 500;

    [Fact]
    public async Task Training_in_the_tab_lowers_the_loss_and_then_classifies_with_the_new_model()
    {
        await using var app = await AppPage.OpenAsync(fixture);
        await app.ClassifyTestImageAsync(3);
        await app.Page.FillAsync("#epochs", "1");
        await app.Page.SelectOptionAsync("#train-count", TrainImages.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await app.Page.ClickAsync("#train-button");
        await app.Page.WaitForSelectorAsync("#train-status[data-state='running']");
        await app.Page.WaitForSelectorAsync("#train-status[data-state='done']", new() { Timeout = 600_000 });

        double first = await app.NumberAsync("#train-status", "data-first-loss");
        double last = await app.NumberAsync("#train-status", "data-last-loss");
        double imagesPerSecond = await app.NumberAsync("#train-status", "data-images-per-second");
        double accuracy = await app.NumberAsync("#train-status", "data-test-accuracy");
        output.WriteLine($"loss {first:F3} -> {last:F3}, {imagesPerSecond:F0} img/s, test accuracy {accuracy:P1}");
        last.Should().BeLessThan(first * 0.8, "one epoch of SGD lowers the training loss");
        (await app.Page.Locator(".chart polyline.loss").GetAttributeAsync("points")).Should().NotBeNullOrWhiteSpace("the live curve was drawn");

        (await app.Page.IsCheckedAsync("#model-trained")).Should().BeTrue("the trained model is used once training ends");
        await app.Page.ClickAsync("#pad-example");
        await app.Page.Locator("#prediction[data-image='drawing']").WaitForAsync();
        await app.ClassifyTestImageAsync(7);
        (await app.Page.Locator("#prediction").InnerTextAsync()).Should().Contain("trained in this tab");
        await app.Page.ScreenshotAsync(new() { Path = Path.Combine(fixture.Artifacts, "screenshot.png"), FullPage = true });
        app.Errors.Should().BeEmpty();

        Metrics.Report(fixture, $"browser training, 1 epoch on {TrainImages} images, batch 32", imagesPerSecond, "img/s");
        var train = Native.Images(fixture.WwwRoot, "train");
        Metrics.Report(fixture, "native training, 1 thread (3rd epoch on the same images)", Native.TrainingImagesPerSecond(train, TrainImages, 1), "img/s");
        Metrics.Report(fixture, $"native training, {System.Environment.ProcessorCount} threads (3rd epoch)", Native.TrainingImagesPerSecond(train, TrainImages, System.Environment.ProcessorCount), "img/s");
    }

    [Fact]
    public async Task The_tab_stays_responsive_while_training_and_training_can_be_stopped()
    {
        await using var app = await AppPage.OpenAsync(fixture);
        await app.Page.FillAsync("#epochs", "10");
        await app.Page.SelectOptionAsync("#train-count", "2000");
        await app.Page.ClickAsync("#train-button");
        await app.Page.WaitForSelectorAsync("#train-status[data-state='running']:not([data-last-loss='NaN'])");

        // While it trains, a click on a test image is handled (training yields between batches) ...
        int predicted = await app.ClassifyTestImageAsync(5);
        predicted.Should().BeInRange(0, 9);
        (await app.Page.GetAttributeAsync("#train-status", "data-state")).Should().Be("running", "10 epochs on 2,000 images are far from done");

        // ... and so is Stop.
        await app.Page.ClickAsync("#stop-button");
        await app.Page.WaitForSelectorAsync("#train-status[data-state='done']");
        (await app.Page.Locator("#train-status").InnerTextAsync()).Should().Contain("Stopped early");
        app.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Batch_1_latency_is_measured_in_the_browser()
    {
        await using var app = await AppPage.OpenAsync(fixture);
        await app.Page.ClickAsync("#measure-button");
        await app.Page.WaitForSelectorAsync("#latency[data-ms]:not([data-ms=''])", new() { Timeout = 300_000 });
        double ms = await app.NumberAsync("#latency", "data-ms");
        ms.Should().BePositive();
        string runtime = await app.Page.Locator("#speed-title + p").InnerTextAsync();
        output.WriteLine($"browser batch-1 median {ms:F3} ms; {runtime}");
        app.Errors.Should().BeEmpty();

        var network = Native.Model(fixture.WwwRoot);
        var image = Native.Images(fixture.WwwRoot, "test").Image(0).ToArray();
        Metrics.Report(fixture, "browser batch-1 Predict, median", ms, "ms");
        Metrics.Report(fixture, "native batch-1 Predict, median, 1 thread", Native.MedianLatencyMs(network, image, 1), "ms");
        File.AppendAllText(Path.Combine(fixture.Artifacts, "metrics.txt"), "browser runtime: " + runtime.ReplaceLineEndings(" ") + "\n");
    }
}
