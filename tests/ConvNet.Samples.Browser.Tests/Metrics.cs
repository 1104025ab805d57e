using System.Globalization;
using System.IO;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>Measurements reported (never asserted): appended to artifacts/browser/metrics.txt.</summary>
public static class Metrics
{
    /// <summary>Appends one line.</summary>
    /// <param name="fixture">The fixture (for the artifacts folder).</param>
    /// <param name="name">What.</param>
    /// <param name="value">The value.</param>
    /// <param name="unit">Its unit.</param>
    public static void Report(BrowserFixture fixture, string name, double value, string unit)
    {
        Directory.CreateDirectory(fixture.Artifacts);
        File.AppendAllText(Path.Combine(fixture.Artifacts, "metrics.txt"), string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.###} {unit}\n"));
    }
}
