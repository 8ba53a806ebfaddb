using System;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>No class present in the data may vanish from what training sees (issue 11, item 7).</summary>
public class ClassCoverageTests
{
    /// <summary>Blobs with the given number of rows per class.</summary>
    private static MlpDataset WithClassSizes(float[]? weights, params int[] sizes)
    {
        int[] labels = sizes.SelectMany((count, c) => Enumerable.Repeat(c, count)).ToArray();
        var random = new Random(3);
        float[] x = labels.SelectMany(c => new[] { (float)(c + random.NextDouble()), (float)random.NextDouble() }).ToArray();
        return MlpDataset.ForClassification(x, 2, labels, sizes.Length, weights);
    }

    [Fact]
    public void EarlyStoppingWithAOneRowClassIsRejectedNamingTheClass()
    {
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], EarlyStopping = true, MaxEpochs = 5, Seed = 1 });
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(WithClassSizes(null, 30, 29, 1)));
        Assert.Contains("Class 2 has only 1 row", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(MlpOptions.EarlyStopping), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStoppingOnTwoRowsIsRejectedNamingAClass()
    {
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], EarlyStopping = true, MaxEpochs = 5, Seed = 1 });
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(WithClassSizes(null, 1, 1)));
        Assert.Contains("Class 0 has only 1 row", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStoppingKeepsEveryClassOfTwoRowsInTraining()
    {
        // 56 of 62 rows held out: class 2's exact share is 1.81 of its 2 rows, so the largest remainder would take both.
        MlpDataset data = WithClassSizes(null, 30, 30, 2);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], EarlyStopping = true, ValidationFraction = 0.9, MaxEpochs = 3, Seed = 1 });
        for (int seed = 0; seed < 5; seed++)
        {
            (int[] train, int[] validation) = ValidationSplit.Split(data, 0.9, new SeededRandom(seed));
            Assert.Equal(56, validation.Length);
            Assert.Equal([0, 1, 2], train.Select(r => data.Labels![r]).Distinct().Order());
        }

        trainer.Fit(data);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void AClassWhoseWeightsAreAllZeroIsRejectedNamingTheClass(int classes)
    {
        int[] sizes = Enumerable.Repeat(10, classes).ToArray();
        float[] weights = Enumerable.Range(0, 10 * classes).Select(i => i / 10 == 1 ? 0f : 1f).ToArray();
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], MaxEpochs = 5, Seed = 1 });
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(WithClassSizes(weights, sizes)));
        Assert.Contains("Class 1 has 10 rows, all of example weight 0", error.Message, StringComparison.Ordinal);
    }
}
