using System;
using System.Threading;
using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>The fork-join pool: every index runs exactly once whether the helper is spinning or asleep, and errors surface.</summary>
public class WorkerPoolTests
{
    private sealed class CountingWork(int[] hits) : ParallelWork
    {
        public override void Execute(int index) => Interlocked.Increment(ref hits[index]);
    }

    private sealed class FailingWork : ParallelWork
    {
        public override void Execute(int index)
        {
            if (index == 3)
            {
                throw new InvalidOperationException("boom");
            }
        }
    }

    [Fact]
    public void Every_index_runs_exactly_once_back_to_back_and_after_the_helpers_fell_asleep()
    {
        var rng = new Random(3);
        for (int run = 0; run < 400; run++)
        {
            int count = rng.Next(1, 40);
            var hits = new int[count];
            WorkerPool.Run(new CountingWork(hits), count, 2);
            hits.Should().OnlyContain(h => h == 1, $"run {run}, count {count}");
            if (run % 50 == 0)
            {
                // Longer than the helpers' spin: the next run has to wake them through their semaphores.
                Thread.Sleep(2);
            }
        }
    }

    [Fact]
    public void An_exception_in_any_index_reaches_the_caller_and_the_pool_keeps_working()
    {
        FluentActions.Invoking(() => WorkerPool.Run(new FailingWork(), 8, 2)).Should().Throw<InvalidOperationException>().WithMessage("boom");
        var hits = new int[8];
        WorkerPool.Run(new CountingWork(hits), 8, 2);
        hits.Should().OnlyContain(h => h == 1);
    }
}
