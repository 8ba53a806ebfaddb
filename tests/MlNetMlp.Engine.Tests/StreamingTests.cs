using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Streamed fits (<see cref="MlpTrainer.Fit(IMlpRowSource, MlpModel?, Action{MlpEpochReport}?, CancellationToken)"/>)
/// with a budget so small that every block holds one mini-batch: determinism, the hold-out rule, errors and cancellation.
/// </summary>
public class StreamingTests
{
    /// <summary>The smallest budget: one mini-batch per block, so a pass is many blocks.</summary>
    private const long TinyBudget = 1;

    [Theory]
    [InlineData("scaled")]
    [InlineData("encoded")]
    [InlineData("regression")]
    public void WithoutShufflingAStreamedFitEqualsTheInMemoryFitBitForBit(string recipe)
    {
        // Blocks are whole mini-batches and the order is the source's, so the batches are the in-memory fit's; the
        // sample holds every row (fewer than its minimum), so the scaling, quantiles and target statistics are the
        // same too, applied block by block instead of to the whole set.
        MlpDataset data = recipe == "regression" ? Synthetic.Linear(3, 700, 6, 1, 0.2) : Synthetic.Blobs(3, 700, 6, 3, 1.5);
        MlpOptions options = Options(threads: 1);
        options.Shuffle = false;
        options.InputScaling = InputScaling.Standard;
        options.PiecewiseLinearBins = recipe == "encoded" ? 8 : 0;
        options.StandardizeTargets = recipe == "regression";
        MlpModel inMemory = new MlpTrainer(options).Fit(data);
        var source = new DatasetSource(data);
        MlpModel streamed = new MlpTrainer(options).Fit(source);
        SerializerTests.AssertSameModel(inMemory, streamed);
        Assert.True(source.Passes.Count == options.MaxEpochs + 1, $"{source.Passes.Count} passes");
    }

    [Fact]
    public void StreamedFitsAreBitIdenticalForOneAndTwoThreadsAndAcrossRuns()
    {
        // 256-row batches of 100 features into 256 units: far above the parallel threshold, so two threads split every chunk.
        MlpDataset data = Synthetic.Blobs(5, 1100, 100, 4, 0.5);
        MlpOptions one = Options(threads: 1);
        one.HiddenLayerSizes = [256];
        one.BatchSize = 256;
        one.EarlyStopping = true;
        one.InputScaling = InputScaling.Robust;
        MlpOptions two = one.Clone();
        two.NumberOfThreads = 2;
        // Automatic: blocks of one batch, about four a pass, so the first pass's block 0 trains on one fewer processor
        // and its later blocks (the probe of every processor) on all of them: the count changes within the fit.
        MlpOptions automatic = one.Clone();
        automatic.NumberOfThreads = 0;
        MlpModel first = new MlpTrainer(one).Fit(new DatasetSource(data, shuffles: true));
        MlpModel again = new MlpTrainer(one).Fit(new DatasetSource(data, shuffles: true));
        MlpModel threaded = new MlpTrainer(two).Fit(new DatasetSource(data, shuffles: true));
        SerializerTests.AssertSameModel(first, again);
        SerializerTests.AssertSameModel(first, threaded);
        SerializerTests.AssertSameModel(first, new MlpTrainer(automatic).Fit(new DatasetSource(data, shuffles: true)));
        Assert.Equal(Synthetic.Bits(first.History.LossCurve), Synthetic.Bits(threaded.History.LossCurve));
        Assert.Equal(Synthetic.Bits(first.History.ValidationScores), Synthetic.Bits(threaded.History.ValidationScores));

        MlpOptions otherSeed = one.Clone();
        otherSeed.Seed = 8;
        Assert.NotEqual(Synthetic.Bits(first.GetParameters()), Synthetic.Bits(new MlpTrainer(otherSeed).Fit(new DatasetSource(data, shuffles: true)).GetParameters()));
    }

    [Theory]
    [InlineData(10, 30, 4)]
    [InlineData(30, 10, 3)]
    public void AutomaticThreadsTimeBothCountsInEveryCycleAndTrainTheRestOnTheFaster(long manyTicks, long fewerTicks, int chosen)
    {
        long now = 0;
        var choice = new StreamThreadChoice(4, () => now);
        var used = new List<int>();
        choice.BeginPass();
        for (int block = 0; block < StreamThreadChoice.Cycle + 10; block++)
        {
            choice.NextBlock(100);
            used.Add(choice.Threads);
            // Block 0 (the pass's start) and the first block of each count's probe (the reader's buffer left by the
            // other count) are slow, against the difference measured; neither is timed.
            int phase = block % StreamThreadChoice.Cycle;
            now += phase is 0 or 1 or 5 ? 1000 : choice.Threads == 4 ? manyTicks : fewerTicks;
        }

        Assert.Equal([4, 4, 4, 4, 3, 3, 3, 3], used.Skip(1).Take(8));
        Assert.All(used.Skip(9).Take(StreamThreadChoice.Cycle - 9), t => Assert.Equal(chosen, t));
        Assert.Equal([4, 4, 4, 4, 3, 3, 3, 3], used.Skip(StreamThreadChoice.Cycle + 1).Take(8));
        Assert.Null(StreamThreadChoice.For(new MlpOptions { NumberOfThreads = 2 }));
    }

    [Fact]
    public void TheHeldOutRowsAreChosenByRowIdSoEveryEpochScoresTheSameRows()
    {
        MlpDataset data = Synthetic.Blobs(9, 900, 5, 3, 2.0);
        MlpOptions options = HoldingOut(epochs: 1);

        // The source shuffles every training pass, so positions and ids differ; the score is over the ids the rule holds out.
        MlpModel model = new MlpTrainer(options).Fit(new DatasetSource(data, shuffles: true));
        int[] heldOut = HeldOutIds(data, options);
        Assert.InRange(heldOut.Length, 0.15 * data.RowCount, 0.25 * data.RowCount);
        Assert.Equal(Synthetic.Accuracy(model, data, heldOut), model.History.ValidationScores[0], 12);

        // Over several epochs: the training passes come in new orders, and every validation pass reads the same rows.
        options.MaxEpochs = 4;
        var source = new DatasetSource(data, shuffles: true);
        new MlpTrainer(options).Fit(source);
        List<DatasetSource.Pass> training = source.Passes.Where(p => p.Seed is not null).ToList();
        List<DatasetSource.Pass> validation = source.Passes.Skip(1).Where(p => p.Seed is null).ToList();
        Assert.Equal(4, training.Count);
        Assert.Equal(4, validation.Count);
        Assert.NotEqual(training[0].Ids, training[1].Ids);
        Assert.All(validation, p => Assert.Equal(validation[0].Ids, p.Ids));
    }

    [Fact]
    public void HeldOutRowsThatFitTheBudgetAreReadOnceAndScoredInTheChunksAPassGives()
    {
        // Blocks of 64 rows, chunks of 25: chunks end at block ends, and the kept rows must give the same chunks.
        MlpDataset data = Synthetic.Blobs(9, 700, 5, 3, 2.0);
        Func<ulong, bool> heldOut = id => ValidationSplit.IsHeldOut(id, 17, 0.2);
        List<(int[] Labels, int[] FeatureBits)> Chunks(long heldOutBudget, out DatasetSource source, out bool keeps)
        {
            source = new DatasetSource(data, shuffles: true);
            BlockSlot[] slots = [new BlockSlot(source, 64, null), new BlockSlot(source, 64, null)];
            StreamSurvey survey = StreamSurvey.Run(source, slots, 4096, heldOut, 17, CancellationToken.None);
            using var rows = new StreamedRows(source, slots, survey, heldOut, heldOutBudget);
            keeps = rows.KeepsHeldOutRows;
            var chunks = new List<(int[], int[])>();
            for (int epoch = 0; epoch < 3; epoch++)
            {
                rows.BeginEpoch(shuffle: true, new SeededRandom(epoch), CancellationToken.None);
                while (rows.NextBatch(32, out _, out _))
                {
                }

                rows.BeginValidation(CancellationToken.None);
                while (rows.NextValidation(25, out MlpDataset chunk, out ReadOnlySpan<int> at))
                {
                    int[] labels = new int[at.Length];
                    var bits = new List<int>();
                    for (int r = 0; r < at.Length; r++)
                    {
                        labels[r] = chunk.Labels![at[r]];
                        bits.AddRange(Synthetic.Bits(chunk.Features.AsSpan(at[r] * chunk.FeatureCount, chunk.FeatureCount).ToArray()));
                    }

                    chunks.Add((labels, bits.ToArray()));
                }
            }

            return chunks;
        }

        List<(int[] Labels, int[] FeatureBits)> read = Chunks(0, out DatasetSource reading, out bool readKeeps);
        List<(int[] Labels, int[] FeatureBits)> kept = Chunks(1 << 20, out DatasetSource keeping, out bool keptKeeps);
        Assert.False(readKeeps);
        Assert.True(keptKeeps);
        Assert.Equal(read.Count, kept.Count);
        for (int i = 0; i < read.Count; i++)
        {
            Assert.Equal(read[i].Labels, kept[i].Labels);
            Assert.Equal(read[i].FeatureBits, kept[i].FeatureBits);
        }

        Assert.All(read, c => Assert.InRange(c.Labels.Length, 1, 25));
        Assert.Contains(read, c => c.Labels.Length < 25);

        // Survey, three training passes, and a validation pass per epoch; keeping them, one validation pass only.
        Assert.Equal(7, reading.Passes.Count);
        Assert.Equal(5, keeping.Passes.Count);
        Assert.Equal(reading.Opened, reading.Disposed);
        Assert.Equal(keeping.Opened, keeping.Disposed);
    }

    [Fact]
    public void AFitThatKeepsItsHeldOutRowsScoresTheRowsTheRuleHoldsOut()
    {
        MlpDataset data = Synthetic.Blobs(9, 900, 5, 3, 2.0);
        MlpOptions options = HoldingOut(epochs: 5);
        options.MemoryBudgetBytes = 1 << 20;
        var source = new DatasetSource(data, shuffles: true);
        MlpModel model = new MlpTrainer(options).Fit(source);

        // The first pass, five training passes and one validation pass: later epochs scored the kept rows.
        Assert.Equal(7, source.Passes.Count);
        Assert.Single(source.Passes.Skip(1), p => p.Seed is null);
        Assert.Equal(5, model.History.ValidationScores.Count);

        // The model kept is the best epoch's (a later one, scored on the kept rows); its accuracy on the held-out rows is that epoch's score.
        Assert.True(model.History.ValidationScores.ToList().IndexOf(model.History.ValidationScores.Max()) > 0, string.Join(", ", model.History.ValidationScores));
        Assert.Equal(model.History.ValidationScores.Max(), Synthetic.Accuracy(model, data, HeldOutIds(data, options)), 12);
    }

    [Fact]
    public void ANonFiniteFeatureInALaterEpochStopsTrainingNamingTheRowAndFeature()
    {
        MlpDataset data = Synthetic.Blobs(4, 600, 6, 2, 1.5);
        var source = new DatasetSource(data) { Fault = (pass, row) => pass == 3 && row == 437 ? Fault.NaN : Fault.None };
        var epochs = new List<int>();
        var error = Assert.Throws<ArgumentException>(() => new MlpTrainer(Options(threads: 1)).Fit(source, progress: r => epochs.Add(r.Epoch)));
        Assert.Contains("Feature 2 of row 437 is NaN", error.Message);
        Assert.Equal([1], epochs);
        Assert.Equal(source.Opened, source.Disposed);
    }

    [Fact]
    public void ASourceThatThrowsStopsTrainingWithItsExceptionOnTheTrainingThread()
    {
        MlpDataset data = Synthetic.Blobs(4, 600, 6, 2, 1.5);
        var source = new DatasetSource(data) { Fault = (pass, row) => pass == 2 && row == 300 ? Fault.Throw : Fault.None };
        var error = Assert.Throws<IOException>(() => new MlpTrainer(Options(threads: 1)).Fit(source));
        Assert.Contains("row 300", error.Message);
        Assert.Equal(source.Opened, source.Disposed);
    }

    [Fact]
    public void RowsChangingBetweenPassesIsAnErrorNamingBothCounts()
    {
        MlpDataset data = Synthetic.Blobs(4, 600, 6, 2, 1.5);
        var source = new DatasetSource(data) { Fault = (pass, row) => pass == 3 && row == 599 ? Fault.End : Fault.None };
        var error = Assert.Throws<InvalidOperationException>(() => new MlpTrainer(Options(threads: 1)).Fit(source));
        Assert.Contains("delivered 599 rows", error.Message);
        Assert.Contains("the first pass 600", error.Message);
    }

    [Fact]
    public void CancellingStopsTrainingAndTheReadingThread()
    {
        MlpDataset data = Synthetic.Blobs(4, 600, 6, 2, 1.5);
        var source = new DatasetSource(data);
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => new MlpTrainer(Options(threads: 1)).Fit(source, progress: _ => cancellation.Cancel(), cancellationToken: cancellation.Token));
        Assert.Equal(2, source.Opened);
        Assert.Equal(source.Opened, source.Disposed);

        // Cancelled while the reading thread reads: the token reaches the source.
        using var during = new CancellationTokenSource();
        var reading = new DatasetSource(data) { Fault = (pass, row) => { if (pass == 2 && row == 100) { during.Cancel(); } return Fault.None; } };
        Assert.ThrowsAny<OperationCanceledException>(() => new MlpTrainer(Options(threads: 1)).Fit(reading, cancellationToken: during.Token));
        Assert.Equal(reading.Opened, reading.Disposed);
    }

    [Fact]
    public void WarmStartAndProgressWorkAsInMemory()
    {
        MlpDataset data = Synthetic.Blobs(6, 500, 4, 2, 1.5);
        MlpOptions options = Options(threads: 1);
        options.MaxEpochs = 2;
        var reports = new List<MlpEpochReport>();
        MlpModel first = new MlpTrainer(options).Fit(new DatasetSource(data), progress: reports.Add);
        Assert.Equal([1, 2], reports.Select(r => r.Epoch));
        Assert.Equal(first.History.LossCurve, reports.Select(r => r.Loss));

        MlpModel continued = new MlpTrainer(options).Fit(new DatasetSource(data), first);
        Assert.Equal(4, continued.EpochsRun);
        Assert.Equal(first.History.LossCurve, continued.History.LossCurve.Take(2));
        Assert.True(continued.History.LossCurve[3] < first.History.LossCurve[0]);

        // The same continuation in memory gives the same model when the order is the source's.
        options.Shuffle = false;
        MlpModel start = new MlpTrainer(options).Fit(data);
        SerializerTests.AssertSameModel(new MlpTrainer(options).Fit(data, start), new MlpTrainer(options).Fit(new DatasetSource(data), start));
    }

    [Fact]
    public void EnsemblesStreamMemberByMemberAndRegressionScalesTargetsFromTheSample()
    {
        MlpDataset data = Synthetic.Linear(2, 800, 5, 1, 0.1);
        MlpOptions options = Options(threads: 1);
        options.EnsembleSize = 2;
        options.MaxEpochs = 20;
        options.StandardizeTargets = true;
        options.InputScaling = InputScaling.Robust;
        MlpModel first = new MlpTrainer(options).Fit(new DatasetSource(data, shuffles: true));
        MlpModel second = new MlpTrainer(options).Fit(new DatasetSource(data, shuffles: true));
        SerializerTests.AssertSameModel(first, second);
        Assert.Equal([16], first.HiddenLayerSizes);
        float[] scores = Synthetic.Scores(first, data);
        float[] targets = data.Targets!;
        double residual = 0, total = 0, mean = targets.Average();
        for (int i = 0; i < data.RowCount; i++)
        {
            residual += Math.Pow(scores[i] - targets[i], 2);
            total += Math.Pow(targets[i] - mean, 2);
        }

        Assert.True(1 - (residual / total) > 0.9, $"R² {1 - (residual / total)}");
    }

    [Fact]
    public void LbfgsDoesNotStream()
    {
        MlpOptions options = Options(threads: 1);
        options.Solver = new LbfgsSolver();
        var error = Assert.Throws<ArgumentException>(() => new MlpTrainer(options).Fit(new DatasetSource(Synthetic.Blobs(1, 50, 3, 2, 1))));
        Assert.Contains("L-BFGS", error.Message);
    }

    private static MlpOptions Options(int threads) => new()
    {
        HiddenLayerSizes = [8],
        Solver = new AdamSolver { LearningRate = 0.01 },
        BatchSize = 32,
        MaxEpochs = 3,
        Seed = 17,
        OptimizationTolerance = 0,
        EpochsWithoutImprovement = 100,
        NumberOfThreads = threads,
        MemoryBudgetBytes = TinyBudget,
    };

    /// <summary>Early stopping on a fifth of the rows, scored by accuracy, for <paramref name="epochs"/> epochs.</summary>
    private static MlpOptions HoldingOut(int epochs)
    {
        MlpOptions options = Options(threads: 1);
        options.EarlyStopping = true;
        options.ValidationFraction = 0.2;
        options.EarlyStoppingMetric = EarlyStoppingMetric.Score;
        options.MaxEpochs = epochs;
        return options;
    }

    /// <summary>The rows of <paramref name="data"/> (ids = row numbers) the hold-out rule holds out under <paramref name="options"/>.</summary>
    private static int[] HeldOutIds(MlpDataset data, MlpOptions options) =>
        Enumerable.Range(0, data.RowCount).Where(i => ValidationSplit.IsHeldOut((ulong)i, options.Seed!.Value, options.ValidationFraction)).ToArray();

    internal enum Fault
    {
        None,
        NaN,
        Throw,
        End,
    }

    /// <summary>
    /// An <see cref="MlpDataset"/>'s rows as a row source: ids are the row numbers; with <c>shuffles</c> a seeded pass
    /// comes in an order drawn from its seed. Records every pass's seed and ids, and can break a given row of a given pass
    /// (pass 1 is the trainer's first pass).
    /// </summary>
    internal sealed class DatasetSource(MlpDataset data, bool shuffles = false) : IMlpRowSource
    {
        public sealed record Pass(int? Seed, List<ulong> Ids);

        public List<Pass> Passes { get; } = [];

        public Func<int, int, Fault> Fault { get; init; } = (_, _) => Tests.StreamingTests.Fault.None;

        public int Opened { get; private set; }

        public int Disposed { get; set; }

        public MlpTask Task => data.Task;

        public int FeatureCount => data.FeatureCount;

        public int ClassCount => data.ClassCount;

        public int TargetCount => data.TargetCount;

        public bool HasWeights => data.Weights is not null;

        public IMlpRowReader Open(int? shuffleSeed)
        {
            int[] order = Enumerable.Range(0, data.RowCount).ToArray();
            if (shuffles && shuffleSeed is int seed)
            {
                new Random(seed).Shuffle(order);
            }

            var pass = new Pass(shuffleSeed, []);
            lock (Passes)
            {
                Passes.Add(pass);
                Opened++;
            }

            return new Reader(this, order, Passes.Count, pass);
        }

        private sealed class Reader(DatasetSource source, int[] order, int number, Pass pass) : IMlpRowReader
        {
            private int _next;

            public int Read(MlpRowBlock block, int start, CancellationToken cancellationToken)
            {
                MlpDataset data = source.DataSet;
                int d = data.FeatureCount, t = data.TargetCount;
                int i = start;
                for (; i < block.Capacity && _next < order.Length; i++, _next++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int row = order[_next];
                    Fault fault = source.Fault(number, _next);
                    if (fault == StreamingTests.Fault.End)
                    {
                        _next = order.Length;
                        break;
                    }

                    if (fault == StreamingTests.Fault.Throw)
                    {
                        throw new IOException($"The disk failed reading row {_next}.");
                    }

                    data.Features.AsSpan(row * d, d).CopyTo(block.RowFeatures(i));
                    if (fault == StreamingTests.Fault.NaN)
                    {
                        block.RowFeatures(i)[2] = float.NaN;
                    }

                    if (block.Labels is not null)
                    {
                        block.Labels[i] = data.Labels![row];
                    }
                    else
                    {
                        data.Targets.AsSpan(row * t, t).CopyTo(block.Targets.AsSpan(i * t, t));
                    }

                    if (block.Weights is not null)
                    {
                        block.Weights[i] = data.Weights![row];
                    }

                    block.RowIds[i] = (ulong)row;
                    pass.Ids.Add((ulong)row);
                }

                return i - start;
            }

            public void Dispose() => source.Disposed++;
        }

        private MlpDataset DataSet => data;
    }
}
