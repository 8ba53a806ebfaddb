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
    private static (MlpDataset Dense, MlpDataset Sparse) Both(int seed, int rows, int features, int classes)
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
        yield return [Activation.Relu, new AdamSolver(), 1, false];
        yield return [Activation.Tanh, new SgdSolver { Momentum = 0.9, Nesterov = true }, 2, true];
        yield return [Activation.Logistic, new LbfgsSolver(), 2, false];
    }

    /// <summary>
    /// Bit-identical, not merely close: every output is the dense path's chain of fused multiply-adds in ascending
    /// slot order less the terms whose input is 0, and each of those adds exactly 0.
    /// </summary>
    [Theory]
    [MemberData(nameof(Settings))]
    public void SparseRowsTrainToTheDenseModelBitForBit(Activation activation, MlpSolver solver, int threads, bool earlyStopping)
    {
        (MlpDataset dense, MlpDataset sparse) = Both(3, 300, 40, 3);
        MlpOptions Options() => new() { HiddenLayerSizes = [24, 8], Activation = activation, Solver = solver, Seed = 4, MaxEpochs = 6, NumberOfThreads = threads, EarlyStopping = earlyStopping, L2Regularization = 1e-3 };
        MlpModel fromDense = new MlpTrainer(Options()).Fit(dense);
        MlpModel fromSparse = new MlpTrainer(Options()).Fit(sparse);
        Assert.Equal(fromDense.GetParameters(), fromSparse.GetParameters());
        Assert.Equal(fromDense.History.LossCurve, fromSparse.History.LossCurve);
        Assert.Equal(fromDense.History.ValidationScores, fromSparse.History.ValidationScores);
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
