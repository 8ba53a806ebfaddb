using System;
using System.Linq;
using Microsoft.ML;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>A class present in the label cannot vanish from training; the errors name it by its label value.</summary>
public class ClassCoverageTests
{
    [Fact]
    public void AClassWhoseWeightsAreAllZeroIsNamedByItsValue()
    {
        var ml = new MLContext(seed: 1);
        var rows = TwoClassMulticlassTests.TwoSpecies("setosa", "versicolor", "virginica")
            .Select(r => new WeightedIris { Features = r.Features, Species = r.Species, Weight = r.Species == "virginica" ? 0f : 1f })
            .ToArray();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(WeightedIris.Species))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, exampleWeightColumnName: nameof(WeightedIris.Weight), hiddenLayerSizes: [4], maximumNumberOfIterations: 3));
        var error = Assert.Throws<ArgumentException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("key 3 ('virginica')", error.Message, StringComparison.Ordinal);
        Assert.Contains("example weight 0", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(WeightedIris.Weight), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStoppingWithAOneRowClassIsNamedByItsValue()
    {
        var ml = new MLContext(seed: 1);
        var rows = TwoClassMulticlassTests.TwoSpecies("setosa", "versicolor").Append(TwoClassMulticlassTests.TwoSpecies("virginica")[0]).ToArray();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(TwoClassMulticlassTests.IrisRow.Species))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfIterations = 3, EarlyStopping = true }));
        var error = Assert.Throws<ArgumentException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("key 3 ('virginica') has only 1 row", error.Message, StringComparison.Ordinal);
        Assert.Contains("EarlyStopping", error.Message, StringComparison.Ordinal);
    }

    public sealed class WeightedIris
    {
        [Microsoft.ML.Data.VectorType(4)]
        public float[] Features { get; set; } = [];

        public string Species { get; set; } = string.Empty;

        public float Weight { get; set; }
    }
}
