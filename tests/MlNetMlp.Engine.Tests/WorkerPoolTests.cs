using System;
using System.Threading;
using MlNetMlp.Engine.Kernels;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>The persistent thread pool every parallel kernel uses.</summary>
public class WorkerPoolTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryChunkRunsOnceAndChunkZeroStaysOnTheCallerWhenAsked(bool chunkZeroOnCaller)
    {
        var work = new Recorder(64);
        for (int run = 0; run < 200; run++)
        {
            work.Reset();
            WorkerPool.For(work, work.Counts.Length, workers: 2, chunkZeroOnCaller);
            Assert.All(work.Counts, c => Assert.Equal(1, c));
            if (chunkZeroOnCaller)
            {
                Assert.Equal(Environment.CurrentManagedThreadId, work.ChunkZeroThread);
            }
        }
    }

    [Fact]
    public void AnErrorInAChunkReachesTheCallerAfterTheOtherChunks()
    {
        var work = new Recorder(16, failing: 5);
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(work, 16, workers: 2));
        Assert.Equal("chunk 5 failed", error.Message);
        Assert.All(work.Counts, c => Assert.Equal(1, c));
    }

    private sealed class Recorder(int chunks, int failing = -1) : IParallelWork
    {
        public int[] Counts { get; } = new int[chunks];

        public int ChunkZeroThread { get; private set; }

        public void Reset()
        {
            Array.Clear(Counts);
            ChunkZeroThread = -1;
        }

        public void Execute(int chunk)
        {
            Interlocked.Increment(ref Counts[chunk]);
            if (chunk == 0)
            {
                ChunkZeroThread = Environment.CurrentManagedThreadId;
            }

            // A little work per chunk, so the helper thread gets to claim some.
            Thread.SpinWait(200);
            if (chunk == failing)
            {
                throw new InvalidOperationException($"chunk {chunk} failed");
            }
        }
    }
}
