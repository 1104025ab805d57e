using Xunit;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>All browser tests share one publish, one server and one Chromium.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
