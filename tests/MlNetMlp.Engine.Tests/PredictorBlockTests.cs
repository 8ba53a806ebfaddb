using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// The predictor's single-row and block paths against each other: every row of a block, scored alone, in blocks split
/// over threads, or in a block that starts elsewhere, gets the same bits. (The kernels themselves are checked against
/// their scalar reference in <see cref="KernelOracleTests"/>.)
/// </summary>
public class PredictorBlockTests
{
    public static IEnumerable<object[]> PredictorCases() =>
        from activation in Enum.GetValues<Activation>()
        from shape in new[] { "odd", "blocked" }
        select new object[] { activation, shape };

    [Theory]
    [MemberData(nameof(PredictorCases))]
    public void SingleRowAndBlockPredictionsAreBitIdentical(Activation activation, string shape)
    {
        // Odd widths take the kernels' tail paths; multiples of 16 the 4 x 16 register blocks. 301 rows make two
        // full 128-row chunks and a 45-row one, which is not a multiple of 4.
        (int inputs, int[] hidden, int outputs) = shape == "odd" ? (13, new[] { 37, 19 }, 3) : (32, new[] { 48, 64 }, 16);
        int rows = 301;
        var random = new Random(99);
        int[] sizes = [inputs, .. hidden, outputs];
        long count = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            count += ((long)sizes[l] * sizes[l + 1]) + sizes[l + 1];
        }

        MlpModel model = MlpModel.FromParameters(MlpTask.MulticlassClassification, inputs, hidden, outputs, activation, RandomValues(random, (int)count), leakyReluSlope: 0.1f, eluAlpha: 0.8f);
        float[] features = RandomValues(random, rows * inputs, scale: 3);
        MlpPredictor predictor = model.CreatePredictor();
        var block = new float[rows * outputs];
        predictor.ComputeScores(features, rows, block);

        var row = new float[outputs];
        for (int i = 0; i < rows; i++)
        {
            predictor.ComputeScores(features.AsSpan(i * inputs, inputs), row);
            Assert.Equal(Synthetic.Bits(block[(i * outputs)..((i + 1) * outputs)]), Synthetic.Bits(row));
        }

        // Blocks split over threads (the "blocked" network is large enough for that) give the same bits.
        foreach (int threads in new[] { 2, 3 })
        {
            var parallel = new float[rows * outputs];
            predictor.ComputeScores(features, rows, parallel, threads);
            Assert.Equal(Synthetic.Bits(block), Synthetic.Bits(parallel));
        }

        // A fresh predictor, and blocks that start at other rows, give the same bits too.
        var tail = new float[(rows - 5) * outputs];
        model.CreatePredictor().ComputeScores(features.AsSpan(5 * inputs), rows - 5, tail);
        Assert.Equal(Synthetic.Bits(block[(5 * outputs)..]), Synthetic.Bits(tail));
    }

    [Fact]
    public void PartsScoredByTheCallerEqualTheBlockAndBadSparseSlotsAreRejected()
    {
        var random = new Random(7);
        int inputs = 6, outputs = 2, rows = 20;
        int[] hidden = [5];
        MlpModel model = MlpModel.FromParameters(MlpTask.Regression, inputs, hidden, outputs, Activation.Tanh, RandomValues(random, (inputs * 5) + 5 + (5 * outputs) + outputs));
        float[] features = RandomValues(random, rows * inputs);
        MlpPredictor predictor = model.CreatePredictor();
        var whole = new float[rows * outputs];
        predictor.ComputeScores(features, rows, whole);

        // Two parts of 8 rows per product, each scoring half the rows, as a caller with its own threads would.
        predictor.ReserveParts(2, 8);
        var parts = new float[rows * outputs];
        predictor.ComputeScoresInPart(features.AsSpan(0, 10 * inputs), 10, parts.AsSpan(0, 10 * outputs), 0);
        predictor.ComputeScoresInPart(features.AsSpan(10 * inputs), 10, parts.AsSpan(10 * outputs), 1);
        Assert.Equal(Synthetic.Bits(whole), Synthetic.Bits(parts));

        // Row 0 of the sparse form holds features 1 and 4 of dense row 0 zeroed elsewhere: the same scores as that dense row.
        var dense = new float[inputs];
        dense[1] = features[1];
        dense[4] = features[4];
        var expected = new float[outputs];
        predictor.ComputeScores(dense, expected);
        var sparse = new float[outputs];
        predictor.ComputeScoresInPart([0, 2], [1, 4], [features[1], features[4]], 1, sparse, 1);
        Assert.Equal(Synthetic.Bits(expected), Synthetic.Bits(sparse));

        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => predictor.ComputeScoresInPart([0, 1], [inputs], [1f], 1, sparse, 0));
        Assert.Contains($"slot {inputs}", outside.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.ComputeScoresInPart([0, 2], [4, 1], [1f, 1f], 1, sparse, 0));
        Assert.Throws<ArgumentException>(() => predictor.ComputeScoresInPart(features, rows, whole, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.ReserveParts(0));
    }

    private static float[] RandomValues(Random random, int count, float scale = 1)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * scale);
        }

        return values;
    }
}
