using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// Memory follows the work, not the width or the core count: a Transform cursor stays within its budget, and sparse
/// features stay sparse through the first layer in training and scoring, with the dense path's results.
/// </summary>
public class MemoryBoundTests
{
    /// <summary>Reads every row's <paramref name="column"/> (a float) through a cursor; returns the values and the bytes this thread allocated.</summary>
    private static (float[] Values, long Allocated) ReadAll(IDataView scored, string column)
    {
        var values = new List<float>();
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema[column]]))
        {
            ValueGetter<float> getter = cursor.GetGetter<float>(scored.Schema[column]);
            float value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                values.Add(value);
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (values.ToArray(), allocated);
    }

    [Fact]
    public void ACursorOverAWideNetworkStaysWithinItsBudget()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).Select(i => new Row { Features = [i / 40f, (i % 3) / 3f, 1, -1], Label = i % 2 == 0 }));
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [65536], MaximumNumberOfIterations = 1 }).Fit(data);
        IDataView scored = model.Transform(data);

        // The first cursor also builds the model's padded weight copy that every later predictor shares: 4 x 65536
        // and 65536 x 16 floats (one output padded to 16) and the biases, about 5.3 MB.
        long paddedWeights = 4L * ((4 * 65536) + 65536 + (65536 * 16) + 16);
        (float[] first, long firstAllocated) = ReadAll(scored, "Score");
        (float[] second, long secondAllocated) = ReadAll(scored, "Score");
        Assert.Equal(first, second);
        Assert.Equal(40, first.Length);

        // 140 MiB per cursor before the budget (two buffers of 128 rows x 65536 floats per core).
        Assert.InRange(secondAllocated, 1, BlockScorer.BudgetBytes + (1 << 20));
        Assert.InRange(firstAllocated, paddedWeights, BlockScorer.BudgetBytes + paddedWeights + (1 << 20));
    }

    /// <summary>Rows of <paramref name="slots"/> slots with about <paramref name="perRow"/> non-zeros; the label is whether slot 1 is set.</summary>
    private static HandMadeDataView SparseRows(int slots, int rows, int perRow, bool dense, int seed)
    {
        var random = new Random(seed);
        var stored = new (int[] Indices, float[] Values)[rows];
        for (int r = 0; r < rows; r++)
        {
            var set = new SortedDictionary<int, float> { [r % 2] = 1f };
            while (set.Count < perRow)
            {
                set[random.Next(2, slots)] = (float)((random.NextDouble() * 2) - 1);
            }

            stored[r] = (set.Keys.ToArray(), set.Values.ToArray());
        }

        return new HandMadeDataView(
            slots,
            rows,
            r =>
            {
                (int[] indices, float[] values) = stored[r];
                if (!dense)
                {
                    return new VBuffer<float>(slots, values.Length, (float[])values.Clone(), (int[])indices.Clone());
                }

                var all = new float[slots];
                for (int i = 0; i < indices.Length; i++)
                {
                    all[indices[i]] = values[i];
                }

                return new VBuffer<float>(slots, all);
            },
            r => r % 2 == 1);
    }

    /// <summary>
    /// Bit-identical, not merely close: the sparse first layer computes each output as the dense product's chain of
    /// fused multiply-adds in ascending slot order, less the terms whose input is 0, each of which adds exactly 0.
    /// </summary>
    [Fact]
    public void SparseFeaturesTrainAndScoreExactlyAsTheSameRowsDense()
    {
        var options = new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [16, 8], MaximumNumberOfIterations = 5, Seed = 3, EarlyStopping = true };
        var ml = new MLContext(seed: 1);
        IDataView sparse = SparseRows(300, 500, 12, dense: false, seed: 2);
        IDataView dense = SparseRows(300, 500, 12, dense: true, seed: 2);
        var fromSparse = ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(sparse);
        var fromDense = ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(dense);
        Assert.Equal(fromDense.Model.Network.GetParameters(), fromSparse.Model.Network.GetParameters());
        Assert.Equal(fromDense.Model.LossCurve, fromSparse.Model.LossCurve);

        // Scoring sparse rows (sparse first layer) and dense rows (matrix products) with the same model; and one row
        // at a time through PredictionEngine's row mapper.
        float[] sparseScores = ReadAll(fromDense.Transform(sparse), "Score").Values;
        float[] denseScores = ReadAll(fromDense.Transform(dense), "Score").Values;
        Assert.Equal(denseScores, sparseScores);
        var engine = ml.Model.CreatePredictionEngine<SparseInput, Prediction>(fromDense, ignoreMissingColumns: true, inputSchemaDefinition: null);
        using DataViewRowCursor rows = sparse.GetRowCursor(sparse.Schema);
        ValueGetter<VBuffer<float>> features = rows.GetGetter<VBuffer<float>>(sparse.Schema["Features"]);
        for (int r = 0; r < 20 && rows.MoveNext(); r++)
        {
            var input = new SparseInput();
            features(ref input.Features);
            Assert.Equal(denseScores[r], engine.Predict(input).Score);
        }
    }

    [Fact]
    public void AMillionSlotSparseFeatureTrainsAndScoresWithinBoundedMemory()
    {
        const int slots = 1_000_000;
        var ml = new MLContext(seed: 1);
        HandMadeDataView data = SparseRows(slots, 3_000, 5, dense: false, seed: 4);
        var trainer = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [4], MaximumNumberOfIterations = 8, NumberOfThreads = 1, Solver = new AdamSolver { LearningRate = 0.01 } });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var model = trainer.Fit(data);
        long trainingAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Parameters 4 M floats (16 MB); with their gradient, Adam's moments and the model: well under 10x that.
        // Dense rows would be 3,000 x 1,000,000 floats, 12 GB.
        long parameterBytes = 4L * ((slots * 4) + 4 + 4 + 1);
        Assert.InRange(trainingAllocated, parameterBytes, 10 * parameterBytes);

        IDataView scored = model.Transform(data);
        (_, long first) = ReadAll(scored, "Probability");
        (float[] probabilities, long second) = ReadAll(scored, "Probability");

        // The first cursor builds the model's padded weights (1,000,000 x 16 floats, 64 MB); every later cursor only
        // its budget. Before, each block of up to 1,024 rows was densified: 4 GB.
        Assert.InRange(first, 1, BlockScorer.BudgetBytes + (5 * parameterBytes));
        Assert.InRange(second, 1, BlockScorer.BudgetBytes + (1 << 20));
        int correct = probabilities.Where((p, r) => (p > 0.5f) == (r % 2 == 1)).Count();
        Assert.True(correct > 2_900, $"{correct} of 3000 rows right; loss {string.Join(", ", model.Model.LossCurve)}; p {string.Join(", ", probabilities.Take(6))}");
    }

    private sealed class Row
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class SparseInput
    {
        [VectorType(300)]
        public VBuffer<float> Features;
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
    }
}
