using System;
using System.Diagnostics;
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
/// no oversubscription. Training calls the pool a dozen times per step with short serial gaps between calls, and waking a
/// blocked thread costs tens of microseconds on a virtual machine, so helpers spin for <see cref="SpinMicroseconds"/>
/// after each job before they block (and the caller spins likewise while it waits for the helpers).
/// </summary>
internal sealed class WorkerPool
{
    [ThreadStatic]
    private static bool _insideWork;

    private static readonly Lazy<WorkerPool> LazyShared = new(() => new WorkerPool(Math.Max(0, Environment.ProcessorCount - 1)));

    private const int SpinMicroseconds = 200;
    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
    private readonly SemaphoreSlim _done = new(0);
    private readonly int[] _sleeping;
    private readonly int[] _ticket;
    private readonly SemaphoreSlim[] _wake;
    private int _generation;
    private int _callerSleeping;
    private readonly object _gate = new();
    private readonly int _helpers;
    private ParallelWork? _work;
    private const int Pad = 16; // one cache line per participant's cursor
    private readonly int[] _cursor;
    private readonly int[] _end;
    private int _participants;
    private int _pending;
    private Exception? _error;

    private WorkerPool(int helpers)
    {
        _helpers = helpers;
        _sleeping = new int[helpers];
        _cursor = new int[(helpers + 1) * Pad];
        _end = new int[(helpers + 1) * Pad];
        _ticket = new int[helpers];
        _wake = new SemaphoreSlim[helpers];
        for (int i = 0; i < helpers; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
        }


        // Completion is a SemaphoreSlim (its lock object exists from construction) rather than a ManualResetEventSlim,
        // which creates its lock object lazily on the first wait that blocks: an allocation in the middle of a step.
        for (int i = 0; i < helpers; i++)
        {
            int id = i;
            var t = new Thread(() => HelperLoop(id)) { IsBackground = true, Name = "ConvNet worker " + i };
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
        _error = null;
        _pending = helpers;
        _participants = helpers + 1;
        for (int p = 0; p <= helpers; p++)
        {
            // Participant p owns the contiguous indices [count·p/T, count·(p+1)/T): the same thread sees the same part
            // of the batch in every layer (its caches stay warm); it then steals what others have not started.
            _cursor[p * Pad] = (int)((long)count * p / (helpers + 1));
            _end[p * Pad] = (int)((long)count * (p + 1) / (helpers + 1));
        }

        int generation = ++_generation;
        for (int h = 0; h < helpers; h++)
        {
            // Each wanted helper gets this job's ticket; one that went to sleep (flag 1) is also woken through its
            // semaphore, a spinning one sees the ticket change.
            Volatile.Write(ref _ticket[h], generation);
            if (Interlocked.Exchange(ref _sleeping[h], 0) == 1)
            {
                _wake[h].Release();
            }
        }

        Drain(0);
        if (helpers > 0)
        {
            WaitForHelpers();
        }

        _work = null;
        if (_error is { } e)
        {
            ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    private void Drain(int participant)
    {
        bool outer = _insideWork;
        _insideWork = true;
        try
        {
            int t = _participants;
            for (int r = 0; r < t; r++)
            {
                int q = (participant + r) % t;
                int i;
                while ((i = Interlocked.Increment(ref _cursor[q * Pad]) - 1) < _end[q * Pad])
                {
                    _work!.Execute(i);
                }
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            for (int q = 0; q < _participants; q++)
            {
                Volatile.Write(ref _cursor[q * Pad], int.MaxValue / 2);
            }
        }
        finally
        {
            _insideWork = outer;
        }
    }

    private void WaitForHelpers()
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref _pending) != 0)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                Interlocked.Exchange(ref _callerSleeping, 1);
                if (Volatile.Read(ref _pending) == 0 && Interlocked.CompareExchange(ref _callerSleeping, 0, 1) == 1)
                {
                    return;
                }

                // The last helper takes the flag and releases exactly once.
                _done.Wait();
                return;
            }

            Thread.SpinWait(20);
        }
    }

    private void HelperLoop(int id)
    {
        int seen = 0;
        while (true)
        {
            // Spin for a new ticket, then sleep on this helper's semaphore (no lost wake-up: the flag is taken by exactly
            // one side, the caller's Exchange or our CompareExchange). A ticket is only handed out once the previous
            // job has finished, so each is run exactly once.
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _ticket[id]) == seen)
            {
                if (Stopwatch.GetTimestamp() > until)
                {
                    Interlocked.Exchange(ref _sleeping[id], 1);
                    if (Volatile.Read(ref _ticket[id]) != seen && Interlocked.CompareExchange(ref _sleeping[id], 0, 1) == 1)
                    {
                        break;
                    }

                    _wake[id].Wait();
                    break;
                }

                Thread.SpinWait(20);
            }

            seen = Volatile.Read(ref _ticket[id]);
            Drain(id + 1);
            if (Interlocked.Decrement(ref _pending) == 0 && Interlocked.Exchange(ref _callerSleeping, 0) == 1)
            {
                _done.Release();
            }
        }
    }
}
