using System;

namespace ConvNet.Kernels;

/// <summary>A layer kernel over the independent items [start, end) of a pass (channels, planes, positions).</summary>
internal interface IRangeKernel
{
    /// <summary>Does the work of items [start, end); the kernel knows which pass it is in.</summary>
    void Range(int start, int end);
}

/// <summary>
/// Splits [0, count) into contiguous ranges over the worker pool when the pass touches enough elements to pay for the
/// hand-off. Each item is computed by one thread in a fixed order, so results do not depend on the split.
/// </summary>
internal sealed class RangeWork(IRangeKernel kernel) : ParallelWork
{
    /// <summary>Below this many elements per part the kernel runs on the calling thread.</summary>
    private const long MinElementsPerPart = 1 << 15;
    private int _count;
    private int _parts;

    /// <summary>Runs the kernel over [0, <paramref name="count"/>) on up to <paramref name="degreeOfParallelism"/> threads.</summary>
    /// <param name="count">The number of independent items.</param>
    /// <param name="elements">The elements the pass touches in all (decides whether to split).</param>
    /// <param name="degreeOfParallelism">The most threads to use.</param>
    public void Run(int count, long elements, int degreeOfParallelism)
    {
        int parts = (int)Math.Min(Math.Min(degreeOfParallelism, count), elements / MinElementsPerPart);
        if (parts <= 1)
        {
            kernel.Range(0, count);
            return;
        }

        (_count, _parts) = (count, parts);
        WorkerPool.Run(this, parts, degreeOfParallelism);
    }

    /// <inheritdoc />
    public override void Execute(int index) =>
        kernel.Range((int)((long)_count * index / _parts), (int)((long)_count * (index + 1) / _parts));
}
