using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ConvNet.Kernels;

/// <summary>A unit of data-parallel work: <see cref="Execute"/> is called once for every index in [0, count).</summary>
internal abstract class ParallelWork
{
    public abstract void Execute(int index);
}

/// <summary>
/// A small fork-join pool of persistent threads that runs <see cref="ParallelWork"/> without allocating. Each index is a
/// fixed piece of work (the caller decides the split), so results never depend on which thread ran which index.
/// Calls from inside a worker, or while another caller is using the pool, run inline on the calling thread: there is
/// no oversubscription.
/// </summary>
internal sealed class WorkerPool
{
    [ThreadStatic]
    private static bool _insideWork;

    private static readonly Lazy<WorkerPool> LazyShared = new(() => new WorkerPool(Math.Max(0, Environment.ProcessorCount - 1)));

    private readonly SemaphoreSlim _start;
    private readonly SemaphoreSlim _done = new(0);
    private readonly object _gate = new();
    private readonly int _helpers;
    private ParallelWork? _work;
    private int _count;
    private int _next;
    private int _pending;
    private Exception? _error;

    private WorkerPool(int helpers)
    {
        _helpers = helpers;
        _start = new SemaphoreSlim(0);

        // Completion is a SemaphoreSlim (its lock object exists from construction) rather than a ManualResetEventSlim,
        // which creates its lock object lazily on the first wait that blocks: an allocation in the middle of a step.
        for (int i = 0; i < helpers; i++)
        {
            var t = new Thread(HelperLoop) { IsBackground = true, Name = "ConvNet worker " + i };
            t.Start();
        }
    }

    public static WorkerPool Shared => LazyShared.Value;

    /// <summary>Runs work.Execute(i) for i in [0, count) on up to <paramref name="degreeOfParallelism"/> threads.</summary>
    public static void Run(ParallelWork work, int count, int degreeOfParallelism)
    {
        if (count <= 0)
        {
            return;
        }

        if (degreeOfParallelism <= 1 || count == 1 || _insideWork || Environment.ProcessorCount == 1)
        {
            RunInline(work, count);
            return;
        }

        var pool = Shared;
        if (!Monitor.TryEnter(pool._gate))
        {
            RunInline(work, count);
            return;
        }

        try
        {
            pool.RunParallel(work, count, degreeOfParallelism);
        }
        finally
        {
            Monitor.Exit(pool._gate);
        }
    }

    private static void RunInline(ParallelWork work, int count)
    {
        bool outer = _insideWork;
        _insideWork = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                work.Execute(i);
            }
        }
        finally
        {
            _insideWork = outer;
        }
    }

    private void RunParallel(ParallelWork work, int count, int dop)
    {
        int helpers = Math.Min(Math.Min(dop - 1, _helpers), count - 1);
        _work = work;
        _count = count;
        _next = 0;
        _error = null;
        _pending = helpers;
        if (helpers > 0)
        {
            _start.Release(helpers);
        }

        Drain();
        if (helpers > 0)
        {
            _done.Wait();
        }

        _work = null;
        if (_error is { } e)
        {
            ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    private void Drain()
    {
        bool outer = _insideWork;
        _insideWork = true;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                _work!.Execute(i);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            Volatile.Write(ref _next, int.MaxValue / 2);
        }
        finally
        {
            _insideWork = outer;
        }
    }

    private void HelperLoop()
    {
        while (true)
        {
            _start.Wait();
            Drain();
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Release();
            }
        }
    }
}
