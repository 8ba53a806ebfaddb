using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>Warm start maps classes by their label values, not by key number (issue 11, item 4).</summary>
public class WarmStartClassTests
{
    private static readonly string[] Species = ["setosa", "versicolor", "virginica"];

    /// <summary>Iris keyed in the order its rows list the species: reversed rows key virginica first.</summary>
    private static IDataView Keyed(MLContext ml, TwoClassMulticlassTests.IrisRow[] rows)
    {
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label", nameof(TwoClassMulticlassTests.IrisRow.Species)).Fit(data).Transform(data);
    }

    private static double Accuracy(MLContext ml, MlpPredictionTransformer model, IDataView data) =>
        ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;

    [Fact]
    public void TheSameClassesInAnotherKeyOrderAreMappedByName()
    {
        var ml = new MLContext(seed: 1);
        TwoClassMulticlassTests.IrisRow[] rows = TwoClassMulticlassTests.TwoSpecies(Species);
        IDataView forward = Keyed(ml, rows);
        IDataView backward = Keyed(ml, rows.Reverse().ToArray());
        var trainer = ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [10], Solver = new AdamSolver { LearningRate = 0.02 }, MaximumNumberOfIterations = 300, Seed = 2 });
        MlpPredictionTransformer first = trainer.Fit(forward);
        Assert.Equal(Species, first.Model.Classes);
        double before = Accuracy(ml, first, forward);
        Assert.True(before >= 0.95, $"accuracy {before}");

        var oneEpoch = ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [10], Solver = new AdamSolver { LearningRate = 1e-4 }, MaximumNumberOfIterations = 1, Seed = 2 });
        MlpPredictionTransformer second = oneEpoch.Fit(backward, first.Model);
        Assert.Equal(Species.Reverse(), second.Model.Classes);
        double after = Accuracy(ml, second, backward);
        Assert.True(after >= before - 0.02, $"accuracy {before} before, {after} after one epoch on the reversed keys");

        // The same row gets the same class name from both models.
        string[] named = ml.Transforms.Conversion.MapKeyToValue("Predicted", "PredictedLabel").Fit(first.Transform(forward)).Transform(first.Transform(forward)).GetColumn<string>("Predicted").ToArray();
        string[] renamed = ml.Transforms.Conversion.MapKeyToValue("Predicted", "PredictedLabel").Fit(second.Transform(backward)).Transform(second.Transform(backward)).GetColumn<string>("Predicted").ToArray();
        Assert.True(named.Zip(renamed.Reverse()).Count(p => p.First == p.Second) >= 0.97 * named.Length);
    }

    [Fact]
    public void ADifferentClassSetIsRejectedNamingBoth()
    {
        var ml = new MLContext(seed: 1);
        TwoClassMulticlassTests.IrisRow[] rows = TwoClassMulticlassTests.TwoSpecies(Species);
        var trainer = ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [4], MaximumNumberOfIterations = 2, Seed = 2 });
        MlpPredictionTransformer first = trainer.Fit(Keyed(ml, rows));
        TwoClassMulticlassTests.IrisRow[] renamed = rows.Select(r => new TwoClassMulticlassTests.IrisRow { Features = r.Features, Species = r.Species == "virginica" ? "other" : r.Species }).ToArray();
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(Keyed(ml, renamed), first.Model));
        Assert.Contains("[setosa, versicolor, virginica]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[setosa, versicolor, other]", error.Message, StringComparison.Ordinal);
    }
}
