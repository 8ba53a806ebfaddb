using System;
using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// Work cut into independent chunks, numbered from 0. <see cref="Execute"/> may run on any thread, in any
/// order, concurrently with other chunks of the same run; each chunk must write outputs no other chunk writes.
/// Which thread runs a chunk never changes what the chunk computes, so results do not depend on the number
/// of threads.
/// </summary>
internal interface IParallelWork
{
    void Execute(int chunk);
}

/// <summary>
/// When work is worth handing to <see cref="WorkerPool"/>: the trainer's chunks, the predictor's blocks and the
/// adapter's read-ahead scoring all ask it. It holds no state, so asking it does not start the pool.
/// </summary>
internal static class ParallelCost
{
    /// <summary>Multiply-adds below which work stays on the calling thread: handing it to helpers would cost more than it saves.</summary>
    public const long SerialMultiplyAdds = 1_500_000;

    /// <summary>Whether work of <paramref name="multiplyAdds"/> is large enough to be split between threads (given more than one).</summary>
    public static bool WorthSplitting(long multiplyAdds) => multiplyAdds >= SerialMultiplyAdds;
}

/// <summary>
/// Persistent helper threads that run the chunks of an <see cref="IParallelWork"/> alongside the calling thread.
/// Chunks are claimed one at a time from a shared counter, so a helper that the operating system has not
/// scheduled (another process is busy on that core) costs nothing: the caller takes the remaining chunks
/// itself and only ever waits for a chunk a helper has already started. An idle helper spins for a short
/// while, so the next mini-batch starts without an operating-system wake-up, and then sleeps. A run allocates
/// nothing. If the pool is in use (another training on another thread, or a nested call) the work runs on the
/// calling thread alone, with the same results.
/// </summary>
internal static class WorkerPool
{
    private const int CountBits = 20;
    private const long CountMask = (1L << CountBits) - 1;

    /// <summary>The most chunks one run may have.</summary>
    public const int MaxChunks = (int)CountMask;

    /// <summary>How long an idle helper spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5_000; // 200 µs

    private static readonly object Gate = new();
    private static Helper[] s_helpers = [];
    private static int s_busy;
    private static int s_generation;

    /// <summary>generation (24 bits) | chunk count (20 bits) | next chunk (20 bits): one word, so a claim is one compare-and-swap.</summary>
    private static long s_claim;
    private static IParallelWork? s_work;
    private static int s_done;
    private static ExceptionDispatchInfo? s_error;

    /// <summary>The most threads a run can use: one per logical processor.</summary>
    public static int MaxWorkers => Environment.ProcessorCount;

    /// <summary>
    /// Runs chunks <c>0 .. chunks-1</c> of <paramref name="work"/> on up to <paramref name="workers"/> threads and returns when all are done.
    /// With <paramref name="chunkZeroOnCaller"/>, chunk 0 runs on the calling thread (for work that must not leave it,
    /// such as reading a cursor) while the helpers start on the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void For(IParallelWork work, int chunks, int workers, bool chunkZeroOnCaller = false)
    {
        if (chunks > MaxChunks)
        {
            throw new ArgumentOutOfRangeException(nameof(chunks), chunks, $"At most {MaxChunks} chunks per run.");
        }

        workers = Math.Min(Math.Min(workers, MaxWorkers), chunks);
        if (workers <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                work.Execute(chunk);
            }

            return;
        }

        try
        {
            Helper[] helpers = EnsureHelpers(workers - 1);
            long generation = (s_generation + 1) & 0xFFFFFF;
            s_generation = (int)generation;
            s_work = work;
            s_error = null;
            Volatile.Write(ref s_done, 0);
            int first = chunkZeroOnCaller ? 1 : 0;
            Interlocked.Exchange(ref s_claim, (generation << (2 * CountBits)) | ((long)chunks << CountBits) | (uint)first);
            for (int h = 0; h < workers - 1; h++)
            {
                helpers[h].Wake();
            }

            if (chunkZeroOnCaller)
            {
                Execute(0);
            }

            RunChunks(generation);
            int spins = 0;
            while (Volatile.Read(ref s_done) < chunks)
            {
                Thread.SpinWait(4);
                if (++spins > 2_000)
                {
                    Thread.Yield();
                }
            }

            s_work = null;
            s_error?.Throw();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Claims and runs chunks of the given generation until none are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunChunks(long generation)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            if ((claim >> (2 * CountBits)) != generation)
            {
                return;
            }

            int next = (int)(claim & CountMask);
            int count = (int)((claim >> CountBits) & CountMask);
            if (next >= count)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) != claim)
            {
                continue;
            }

            // The run cannot finish while this chunk is claimed and not done, so s_work is still this run's work.
            Execute(next);
        }
    }

    /// <summary>Runs one claimed chunk, keeps its error for the caller and counts it done.</summary>
    private static void Execute(int chunk)
    {
        try
        {
            s_work!.Execute(chunk);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref s_error, ExceptionDispatchInfo.Capture(e), null);
        }
        finally
        {
            Interlocked.Increment(ref s_done);
        }
    }

    private static Helper[] EnsureHelpers(int count)
    {
        Helper[] helpers = s_helpers;
        if (helpers.Length >= count)
        {
            return helpers;
        }

        lock (Gate)
        {
            if (s_helpers.Length < count)
            {
                var grown = new Helper[count];
                Array.Copy(s_helpers, grown, s_helpers.Length);
                for (int h = s_helpers.Length; h < count; h++)
                {
                    grown[h] = new Helper(h + 1);
                }

                s_helpers = grown;
            }

            return s_helpers;
        }
    }

    /// <summary>One background thread: spins while runs come often, sleeps when they stop.</summary>
    private sealed class Helper
    {
        private readonly ManualResetEventSlim _wake = new(false);
        private int _sleeping;

        public Helper(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"MlNetMlp worker {index}" };
            thread.Start();
        }

        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) != 0)
            {
                _wake.Set();
            }
        }

        private static long Generation => Volatile.Read(ref s_claim) >> (2 * CountBits);

        private void Loop()
        {
            long seen = 0;
            while (true)
            {
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                while (Generation == seen)
                {
                    Thread.SpinWait(8);
                    Thread.Yield();
                    if (Stopwatch.GetTimestamp() > deadline)
                    {
                        Volatile.Write(ref _sleeping, 1);
                        Interlocked.MemoryBarrier();
                        if (Generation == seen)
                        {
                            _wake.Wait();
                        }

                        _wake.Reset();
                        Volatile.Write(ref _sleeping, 0);
                        deadline = Stopwatch.GetTimestamp() + SpinTicks;
                    }
                }

                seen = Generation;
                RunChunks(seen);
            }
        }
    }
}
