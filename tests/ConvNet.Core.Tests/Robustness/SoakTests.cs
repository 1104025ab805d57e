using System;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

[CollectionDefinition("Soak", DisableParallelization = true)]
public sealed class SoakCollection
{
}

/// <summary>Runs alone (no other test allocates meanwhile), so process-wide allocation counts are meaningful.</summary>
[Collection("Soak")]
public class SoakTests
{
    [Fact]
    public void Twenty_thousand_training_steps_keep_managed_memory_flat()
    {
        var net = new Network(1, 12, 12)
            .Add(new Conv2D(1, 4, 3)).Add(new ReLU()).Add(new MaxPool2D(2))
            .Add(new Flatten()).Add(new FullyConnected(100, 10));
        net.Initialize(1);
        net.DegreeOfParallelism = 2;
        var loss = new SoftmaxCrossEntropy();
        var sgd = new Sgd(0.01, 0.9, 1e-4);
        var x = new Tensor(4, 1, 12, 12);
        var rng = new Random(3);
        for (int i = 0; i < x.Length; i++)
        {
            x.AsSpan()[i] = (float)rng.NextDouble();
        }

        int[] labels = [1, 2, 3, 4];
        var delta = new Tensor(4, 10);
        var parameters = net.Parameters;
        void Step()
        {
            var y = net.Forward(x);
            loss.Forward(y, labels);
            loss.Backward(y, labels, delta);
            net.Backward(delta);
            sgd.Step(parameters);
        }

        for (int i = 0; i < 100; i++)
        {
            Step();
        }

        GC.Collect();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Environment.WorkingSet; // reads /proc and allocates: before the counters
        long processBefore = GC.GetTotalAllocatedBytes(precise: true);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20_000; i++)
        {
            Step();
        }

        long allocatedOnThread = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long allocatedInProcess = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
        allocatedOnThread.Should().Be(0, "a training step allocates nothing on the caller's thread");
        // Process-wide the test runner's own threads allocate a little (tens of KB) while we run; an allocation per
        // step anywhere, even the smallest object (24 B), would be at least 480 KB over 20,000 steps (the bound is 320 KB).
        allocatedInProcess.Should().BeLessThan(20_000 * 16, "nor on the worker threads (under 16 bytes per step)");
        (Environment.WorkingSet - workingSetBefore).Should().BeLessThan(32L << 20, "the working set stays flat");
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        (heapAfter - heapBefore).Should().BeLessThan(256 * 1024, "the managed heap does not grow");
    }
}
