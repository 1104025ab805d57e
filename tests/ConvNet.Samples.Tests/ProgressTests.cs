using System;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>The interactive progress display is built per epoch as training gets there, not for all epochs up front.</summary>
[Collection(CliCollection.Name)]
public sealed class ProgressTests
{
    [Fact]
    public void Twenty_million_epochs_start_without_allocating_per_epoch()
    {
        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var r = Cli.RunInteractiveUntil("Epoch 1/20000000", "--epochs", "20000000", "--limit", "64", "--threads", "1");
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        r.Exit.Should().Be(Cli.Cancelled, r.Err);
        r.Out.Should().Contain("Epoch 1/20000000");
        // Process-wide count (the core tests may run alongside): a task per epoch up front would cost gigabytes
        // (20,000,000 × ≥ 100 B); the run itself, with the shipped data, costs a few hundred megabytes at most.
        allocated.Should().BeLessThan(1L << 30);
    }
}
