using System;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Mini-batches cut into chunks (<see cref="Backprop.RowsWithinBudget"/>): the same bits whatever the chunk, the work
/// buffers as budgeted, and a small data set's fit within the memory target.
/// </summary>
public class ChunkingTests
{
    [Theory]
    [MemberData(nameof(GradientCheckTests.Cases), MemberType = typeof(GradientCheckTests))]
    public void AnyChunkSizeAndThreadCountGiveTheSameBits(Activation activation, string task)
    {
        // 96 rows of 20 features into [64, 300]: 21,000+ multiply-adds per row, so a chunk of all 96 rows runs in
        // parallel phases and chunks of 40 rows or fewer run layer by layer, the 64-wide layer's delta written over
        // its activations; the 300-wide layer feeds a depth over Gemm.DepthBlock, so its delta keeps its own buffer.
        var random = new Random(5);
        const int rows = 96;
        MlpDataset data = GradientCheckTests.RandomData(random, task, rows, 20, weighted: true);
        var layout = new ParameterLayout([20, 64, 300, data.OutputCount]);
        var parameters = new float[layout.Count];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)((random.NextDouble() - 0.5) * 0.4);
        }

        var hidden = new HiddenActivation(activation, 0.05f, 0.7f);
        int[] all = Enumerable.Range(0, rows).Reverse().ToArray();
        var expected = new float[layout.Count];
        double expectedLoss = new Backprop(layout, hidden, rows, threads: 1).LossAndGradient(parameters, data, all, 0.3, expected);
        AssertSameBits(expectedLoss, expected, [(rows, 2), (40, 1), (40, 2), (24, 1), (8, 2), (5, 1)], (capacity, threads) => new Backprop(layout, hidden, capacity, threads), parameters, data, all);
    }

    /// <summary>
    /// The loss and gradient (L2 0.3) over <paramref name="rows"/> of a <see cref="Backprop"/> made by <paramref name="make"/>
    /// for each (capacity, threads) case are <paramref name="expectedLoss"/> and <paramref name="expected"/>, bit for bit.
    /// </summary>
    internal static void AssertSameBits(double expectedLoss, float[] expected, (int Capacity, int Threads)[] cases, Func<int, int, Backprop> make, float[] parameters, MlpDataset data, int[] rows)
    {
        foreach ((int capacity, int threads) in cases)
        {
            var gradient = new float[expected.Length];
            double loss = make(capacity, threads).LossAndGradient(parameters, data, rows, 0.3, gradient);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedLoss), BitConverter.DoubleToInt64Bits(loss));
            Assert.Equal(Synthetic.Bits(expected), Synthetic.Bits(gradient));
        }
    }

    [Theory]
    [InlineData(new[] { 64, 128, 64, 10 }, 200, false, false)]
    [InlineData(new[] { 64, 128, 64, 10 }, 32, false, true)]
    [InlineData(new[] { 30, 64, 32, 1 }, 8, false, true)]
    [InlineData(new[] { 100, 256, 128, 10 }, 256, false, false)]
    [InlineData(new[] { 20, 64, 300, 3 }, 40, false, true)]
    [InlineData(new[] { 20, 64, 300, 3 }, 96, false, false)]
    [InlineData(new[] { 500, 64, 3 }, 200, true, false)]
    [InlineData(new[] { 500, 64, 3 }, 16, true, true)]
    [InlineData(new[] { 1000, 1 }, 8, true, true)]
    [InlineData(new[] { 33, 17, 1 }, 1, false, true)]
    public void WorkBytesIsWhatTheConstructorAllocates(int[] sizes, int capacity, bool sparse, bool layerByLayer)
    {
        var layout = new ParameterLayout(sizes);
        var hidden = new HiddenActivation(Activation.Relu, 0.01f, 1f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var backprop = new Backprop(layout, hidden, capacity, threads: 2, sparseInput: sparse);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long work = Backprop.WorkBytes(layout, capacity, sparse);

        // The cases cover both ways a chunk runs, and the estimate is the plan the constructor allocated from.
        Assert.Equal(layerByLayer, backprop.Plan.LayerByLayer);
        Assert.Equal(work, backprop.Plan.Bytes);

        // Exactly: the buffers the instance holds, counted from the arrays themselves.
        Assert.Equal(work, backprop.AllocatedWorkBytes);

        // And as the runtime counts it: the buffers plus what WorkBytes leaves aside by design, the array headers
        // (about 4L + 12 arrays of 24-32 bytes) and the bookkeeping arrays (pointers and strides per layer, 12 bytes
        // per weight piece of at most 64 rows, 8 bytes per 16 weight rows for the L2 sums): under 2 KiB for these
        // shapes, so 4 KiB leaves room for the runtime's rounding without hiding a missed buffer of a real row.
        Assert.InRange(allocated - work, 0, 4096);
    }

    [Fact]
    public void ChunkRowsStaysWithinTheBudgetInMultiplesOfEight()
    {
        var layout = new ParameterLayout([64, 128, 64, 10]);
        Assert.Equal(200, Backprop.RowsWithinBudget(layout, 200, Backprop.WorkBytes(layout, 200)));
        Assert.Equal(200, Backprop.RowsWithinBudget(layout, 200, long.MaxValue));
        Assert.Equal(Backprop.MinChunkRows, Backprop.RowsWithinBudget(layout, 200, 0));
        Assert.Equal(5, Backprop.RowsWithinBudget(layout, 5, 0));

        // 35 rows fit; 200 rows are 7 chunks of at most 32, evened out to 29 and rounded up to 32 again.
        long budget = Backprop.WorkBytes(layout, 35);
        Assert.True(Backprop.WorkBytes(layout, 36) > budget);
        Assert.Equal(32, Backprop.RowsWithinBudget(layout, 200, budget));

        var random = new Random(2);
        for (int i = 0; i < 200; i++)
        {
            int batch = random.Next(1, 600);
            long b = random.NextInt64(Backprop.WorkBytes(layout, Math.Max(1, batch / 50)), Backprop.WorkBytes(layout, batch) + 1);
            int rows = Backprop.RowsWithinBudget(layout, batch, b);
            Assert.InRange(rows, Math.Min(batch, Backprop.MinChunkRows), batch);
            Assert.True(rows == batch || rows % Backprop.MinChunkRows == 0, $"{rows} rows for a batch of {batch}");
            Assert.True(rows <= Backprop.MinChunkRows || Backprop.WorkBytes(layout, rows) <= b, $"{rows} rows take {Backprop.WorkBytes(layout, rows)} bytes of {b}");
        }
    }

    [Fact]
    public void ASmallDataSetTrainsWithinTheMemoryTarget()
    {
        // Digits (1797 x 64, 0.47 MB) into [128, 64] in batches of 200: whole batches would need 0.54 MB of work
        // buffers. The fit (on this thread: its chunks are too small to split) must stay within 1.2x the data, the
        // parameters, their gradient and Adam's two moments.
        var table = Table.Read("digits.csv");
        float[] x = table.Features("Digit", out int features);
        int[] y = table.ClassLabels("Digit", out int classes);
        MlpDataset data = MlpDataset.ForClassification(x, features, y, classes);
        var options = new MlpOptions { HiddenLayerSizes = [128, 64], BatchSize = 200, MaxEpochs = 3, Seed = 1, NumberOfThreads = 2 };
        var trainer = new MlpTrainer(options);
        trainer.Fit(data);

        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpModel model = trainer.Fit(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long state = 4L * sizeof(float) * model.ParameterCount;
        double ratio = (double)(data.ByteCount + allocated) / (data.ByteCount + state);
        Assert.True(ratio <= 1.2, $"allocated {allocated:N0} bytes: {ratio:F3}x the data and state");
    }
}
