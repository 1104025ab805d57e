using System;
using System.IO;
using FluentAssertions;
using PublicApiGenerator;
using Xunit;

namespace ConvNet.Core.Tests.PublicApi;

/// <summary>
/// The public surface of ConvNet.Core against the approved snapshot, so every change to it is deliberate and visible in
/// review. To accept a change: copy the .received.txt written next to the test binaries over
/// tests/ConvNet.Core.Tests/PublicApi/ConvNet.Core.approved.txt.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void The_public_api_matches_the_approved_snapshot()
    {
        string api = typeof(Tensor).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n");
        string approvedPath = Path.Combine(AppContext.BaseDirectory, "PublicApi", "ConvNet.Core.approved.txt");
        File.Exists(approvedPath).Should().BeTrue($"the approved API snapshot ships with the tests ({approvedPath})");
        string approved = File.ReadAllText(approvedPath).ReplaceLineEndings("\n");
        if (api != approved)
        {
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "PublicApi", "ConvNet.Core.received.txt"), api);
        }

        api.Should().Be(approved, "the public API changed; review it and update ConvNet.Core.approved.txt");
    }
}
