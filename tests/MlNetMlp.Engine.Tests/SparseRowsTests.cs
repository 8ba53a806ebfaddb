using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>Sparse rows train through the first layer over their stored values only, with the dense path's results.</summary>
public class SparseRowsTests
{
    /// <summary>Rows with about one slot in five set (seeded), as dense and as compressed rows of the same values.</summary>
    /// <summary>(capacity, threads) for 96 sparse rows into [64, 300]: whole chunks on one and two threads, parallel chunks of 40, layer by layer in 8s.</summary>
    internal static readonly (int Capacity, int Threads)[] SparseCases = [(96, 1), (96, 2), (40, 2), (8, 1)];

    internal static (MlpDataset Dense, MlpDataset Sparse) Both(int seed, int rows, int features, int classes)
    {
        var random = new Random(seed);
        var x = new float[rows * features];
        var labels = new int[rows];
        var starts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % classes;
            for (int j = 0; j < features; j++)
            {
                if (random.Next(5) == 0 || j == labels[i])
                {
                    float v = (float)((random.NextDouble() * 2) - 1 + (j == labels[i] ? 2 : 0));
                    x[(i * features) + j] = v;
                    indices.Add(j);
                    values.Add(v);
                }
            }

            starts.Add(indices.Count);
        }

        var sparse = new MlpSparseFeatures(features, starts.ToArray(), indices.ToArray(), values.ToArray());
        return (MlpDataset.ForClassification(x, features, labels, classes), MlpDataset.ForClassification(sparse, labels, classes));
    }

    public static IEnumerable<object[]> Settings()
    {
        // Small networks run chunks layer by layer on one thread; [256, 64] over 200-row batches is large enough for
        // the two-phase path split between threads.
        yield return [Activation.Relu, new AdamSolver(), 1, false, new[] { 24, 8 }];
        yield return [Activation.Tanh, new SgdSolver { Momentum = 0.9, Nesterov = true }, 2, true, new[] { 24, 8 }];
        yield return [Activation.Logistic, new LbfgsSolver(), 2, false, new[] { 24, 8 }];
        yield return [Activation.Relu, new AdamSolver(), 2, true, new[] { 256, 64 }];
        yield return [Activation.Elu, new SgdSolver(), 2, false, Array.Empty<int>()];
    }

    /// <summary>
    /// Bit-identical, not merely close: every output is the dense path's chain of fused multiply-adds in ascending
    /// slot order less the terms whose input is 0, and each of those adds exactly 0.
    /// </summary>
    [Theory]
    [MemberData(nameof(Settings))]
    public void SparseRowsTrainToTheDenseModelBitForBit(Activation activation, MlpSolver solver, int threads, bool earlyStopping, int[] hidden)
    {
        (MlpDataset dense, MlpDataset sparse) = Both(3, 300, 40, 3);
        MlpOptions Options() => new() { HiddenLayerSizes = hidden, Activation = activation, Solver = solver, Seed = 4, MaxEpochs = 6, NumberOfThreads = threads, EarlyStopping = earlyStopping, L2Regularization = 1e-3 };
        MlpModel fromDense = new MlpTrainer(Options()).Fit(dense);
        MlpModel fromSparse = new MlpTrainer(Options()).Fit(sparse);
        Assert.Equal(fromDense.GetParameters(), fromSparse.GetParameters());
        Assert.Equal(fromDense.History.LossCurve, fromSparse.History.LossCurve);
        Assert.Equal(fromDense.History.ValidationScores, fromSparse.History.ValidationScores);

        // Scoring the sparse rows gives the dense rows' scores, bit for bit.
        var denseScores = new float[dense.RowCount * fromDense.OutputCount];
        var sparseScores = new float[denseScores.Length];
        fromDense.CreatePredictor().ComputeScores(dense.Features, dense.RowCount, denseScores);
        fromDense.CreatePredictor().ComputeScores(sparse.SparseFeatures!, sparseScores);
        Assert.Equal(Synthetic.Bits(denseScores), Synthetic.Bits(sparseScores));
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => fromDense.CreatePredictor().ComputeScores(new MlpSparseFeatures(41, [0, 0], [], []), new float[fromDense.OutputCount])).ParamName);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => fromDense.CreatePredictor().ComputeScores(sparse.SparseFeatures!, new float[3])).ParamName);
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    public void SparseGradientsMatchDenseForEveryChunkSizeAndThreadCount(Activation activation)
    {
        // 96 rows of 40 slots into [64, 300]: a chunk of all 96 rows runs in the two parallel phases, chunks of 40 or
        // fewer layer by layer; every combination gives the dense rows' loss and gradient bit for bit.
        (MlpDataset dense, MlpDataset sparse) = Both(6, 96, 40, 3);
        var layout = new ParameterLayout([40, 64, 300, 3]);
        var random = new Random(8);
        var parameters = new float[layout.Count];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)((random.NextDouble() - 0.5) * 0.4);
        }

        var hidden = new HiddenActivation(activation, 0.05f, 0.7f);
        int[] all = Enumerable.Range(0, 96).Reverse().ToArray();
        var expected = new float[layout.Count];
        double expectedLoss = new Backprop(layout, hidden, 96, threads: 1).LossAndGradient(parameters, dense, all, 0.3, expected);
        ChunkingTests.AssertSameBits(expectedLoss, expected, SparseCases, (capacity, threads) => new Backprop(layout, hidden, capacity, threads, sparseInput: true), parameters, sparse, all);

        Assert.True(Backprop.WorkBytes(layout, 96, sparseInput: true) < Backprop.WorkBytes(layout, 96));
        Assert.Throws<ArgumentException>(() => new Backprop(layout, hidden, 8, 1).LossAndGradient(parameters, sparse, all, 0.3, new float[layout.Count]));
    }

    [Fact]
    public void AMillionSlotsWithFiveStoredValuesPerRowTrainWithinTheParametersMemory()
    {
        const int slots = 1_000_000, rows = 3_000, perRow = 5;
        var random = new Random(7);
        var starts = new int[rows + 1];
        var indices = new int[rows * perRow];
        var values = new float[rows * perRow];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r % 2;
            var slotsOfRow = new SortedSet<int> { labels[r] };
            while (slotsOfRow.Count < perRow)
            {
                slotsOfRow.Add(random.Next(2, slots));
            }

            int i = r * perRow;
            foreach (int slot in slotsOfRow)
            {
                indices[i] = slot;
                values[i++] = 1f;
            }

            starts[r + 1] = i;
        }

        var data = MlpDataset.ForClassification(new MlpSparseFeatures(slots, starts, indices, values), labels, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], Seed = 1, MaxEpochs = 3, NumberOfThreads = 1, Solver = new AdamSolver { LearningRate = 0.01 } }).Fit(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Parameters (4 M floats), their gradient and Adam's two moments: about 80 MB. Dense rows would be 12 GB.
        long parameterBytes = 4L * ((slots * 4) + 4 + 4 + 1);
        Assert.InRange(allocated, parameterBytes, 8 * parameterBytes);
        Assert.Equal(1, model.CreatePredictor().PredictClass(Dense(slots, 1, 17)));
        Assert.Equal(0, model.CreatePredictor().PredictClass(Dense(slots, 0, 17)));
    }

    private static float[] Dense(int slots, params int[] set)
    {
        var row = new float[slots];
        foreach (int slot in set)
        {
            row[slot] = 1f;
        }

        return row;
    }

    [Fact]
    public void BadSparseRowsAreRejectedWithTheRowAndSlot()
    {
        Assert.Contains("slots must ascend", Assert.Throws<ArgumentException>(() => new MlpSparseFeatures(4, [0, 2], [2, 1], [1f, 1f])).Message, StringComparison.Ordinal);
        Assert.Contains("Row 1 stores slot 4", Assert.Throws<ArgumentException>(() => new MlpSparseFeatures(4, [0, 1, 2], [0, 4], [1f, 1f])).Message, StringComparison.Ordinal);
        Assert.Contains("Feature 3 of row 0 is NaN", Assert.Throws<ArgumentException>(() => new MlpSparseFeatures(4, [0, 1], [3], [float.NaN])).Message, StringComparison.Ordinal);
        Assert.Equal("rowStarts", Assert.Throws<ArgumentException>(() => new MlpSparseFeatures(4, [0, 2, 1], [0, 1], [1f, 1f])).ParamName);
        Assert.Equal("rowStarts", Assert.Throws<ArgumentException>(() => new MlpSparseFeatures(4, [0, 1], [0, 1], [1f, 1f])).ParamName);
    }
}
