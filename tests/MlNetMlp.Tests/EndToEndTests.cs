using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>The seed workflows on real data, through ML.NET's own loaders, transforms, splits and evaluators.</summary>
public class EndToEndTests
{
    /// <summary>
    /// (64,32) relu Adam on an 80/20 split. A test set of about 114 rows moves accuracy by 0.9% per row, so the
    /// thresholds are checked on the mean over five different splits (scikit-learn itself ranges 0.956-0.991 here).
    /// </summary>
    [Fact]
    public void BreastCancerReachesAccuracyAndAucOverFiveSplits()
    {
        var accuracies = new List<double>();
        var aucs = new List<double>();
        for (int seed = 0; seed < 5; seed++)
        {
            var ml = new MLContext(seed);
            var split = ml.Data.TrainTestSplit(SampleData.BreastCancer(ml), testFraction: 0.2, seed: seed);
            var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
                .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [64, 32]))
                .Fit(split.TrainSet);
            CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
            accuracies.Add(metrics.Accuracy);
            aucs.Add(metrics.AreaUnderRocCurve);
            Assert.True(metrics.Accuracy > 0.93, $"split {seed}: accuracy {metrics.Accuracy}");
            Assert.InRange(metrics.F1Score, 0.93, 1.0);
            Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);
        }

        Assert.True(accuracies.Average() >= 0.96, $"mean accuracy {accuracies.Average():F4} ({string.Join(", ", accuracies.Select(a => a.ToString("F4")))})");
        Assert.True(aucs.Average() >= 0.99, $"mean AUC {aucs.Average():F4} ({string.Join(", ", aucs.Select(a => a.ToString("F4")))})");
    }

    [Fact]
    public void IrisWithTextLabelsRoundTripsThroughKeys()
    {
        var ml = new MLContext(seed: 3);
        var split = ml.Data.TrainTestSplit(SampleData.IrisColumns(ml), testFraction: 0.3, seed: 3);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth"))
            .Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [10], learningRate: 0.01))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"));
        var model = pipeline.Fit(split.TrainSet);
        IDataView scored = model.Transform(split.TestSet);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MicroAccuracy >= 0.93, $"micro accuracy {metrics.MicroAccuracy}");
        Assert.True(metrics.MacroAccuracy >= 0.9, $"macro accuracy {metrics.MacroAccuracy}");
        Assert.Equal(3, metrics.ConfusionMatrix.NumberOfClasses);

        string[] species = scored.GetColumn<string>("Species").ToArray();
        string[] predicted = scored.GetColumn<string>("PredictedSpecies").ToArray();
        Assert.All(predicted, p => Assert.Contains(p, new[] { "setosa", "versicolor", "virginica" }));
        double agreement = species.Zip(predicted).Count(t => t.First == t.Second) / (double)species.Length;
        Assert.Equal(metrics.MicroAccuracy, agreement, 10);

        // Score slots carry the class names, in key order.
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, slotNames.DenseValues().Select(v => v.ToString()));
        Assert.Equal(["setosa", "versicolor", "virginica"], model.GetModelParameters().Classes);
    }

    [Fact]
    public void AdultFiveFoldCrossValidationReachesAuc()
    {
        var ml = new MLContext(seed: 5);
        IDataView data = ml.Data.Cache(SampleData.Adult(ml));
        var pipeline = SampleData.AdultFeaturizer(ml)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { HiddenLayerSizes = [64, 32], MaximumNumberOfIterations = 10, L2Regularization = 1e-3 }));
        var folds = ml.BinaryClassification.CrossValidate(data, pipeline, numberOfFolds: 5);
        double auc = folds.Average(f => f.Metrics.AreaUnderRocCurve);
        Assert.Equal(5, folds.Count);
        Assert.True(auc >= 0.90, $"mean AUC {auc:F4} ({string.Join(", ", folds.Select(f => f.Metrics.AreaUnderRocCurve.ToString("F4")))})");
        Assert.All(folds, f => Assert.InRange(f.Metrics.Accuracy, 0.83, 1.0));
    }

    [Fact]
    public void HousingRegressionReachesRSquared()
    {
        var ml = new MLContext(seed: 7);
        var split = ml.Data.TrainTestSplit(SampleData.Housing(ml), testFraction: 0.2, seed: 7);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.Regression.Trainers.Mlp(ml, new MlpRegressionTrainer.Options
            {
                HiddenLayerSizes = [64, 32],
                Solver = new AdamSolver { LearningRate = 0.01 },
                MaximumNumberOfIterations = 500,
                L2Regularization = 1e-3,
            }));
        var model = pipeline.Fit(split.TrainSet);
        RegressionMetrics metrics = ml.Regression.Evaluate(model.Transform(split.TestSet));
        Assert.True(metrics.RSquared >= 0.8, $"R² {metrics.RSquared}");
        Assert.True(metrics.RootMeanSquaredError < 5, $"RMSE {metrics.RootMeanSquaredError}");
        Assert.True(metrics.MeanAbsoluteError < metrics.RootMeanSquaredError);
    }

    [Fact]
    public void CrossValidationWorksForAllThreeTasks()
    {
        var ml = new MLContext(seed: 11);
        var binary = ml.BinaryClassification.CrossValidate(
            SampleData.BreastCancer(ml),
            ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [16], maximumNumberOfIterations: 50)),
            numberOfFolds: 5);
        Assert.True(binary.Average(f => f.Metrics.Accuracy) > 0.94);

        var multiclass = ml.MulticlassClassification.CrossValidate(
            SampleData.IrisColumns(ml),
            ml.Transforms.Conversion.MapValueToKey("Label", "Species")
                .Append(ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth"))
                .Append(ml.Transforms.NormalizeMinMax("Features"))
                .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [16], learningRate: 0.01)),
            numberOfFolds: 5);
        Assert.True(multiclass.Average(f => f.Metrics.MicroAccuracy) > 0.9);
        Assert.All(multiclass, f => Assert.Equal(3, f.Metrics.PerClassLogLoss.Count));

        var regression = ml.Regression.CrossValidate(
            SampleData.Housing(ml),
            ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Append(ml.Regression.Trainers.Mlp(ml, hiddenLayerSizes: [32], learningRate: 0.01, maximumNumberOfIterations: 300)),
            numberOfFolds: 5);
        Assert.True(regression.Average(f => f.Metrics.RSquared) > 0.7, $"mean R² {regression.Average(f => f.Metrics.RSquared)}");
    }

    /// <summary>
    /// The MNIST sample file stores its 784 pixels sparsely. (Its rows are nearly all digit 0, so the task here is
    /// "is it a 0": the point is the sparse path.) Training on the sparse view and on a dense copy of the same
    /// values gives bit-identical scores.
    /// </summary>
    [Fact]
    public void SparseVectorsTrainExactlyLikeTheirDenseCopy()
    {
        var ml = new MLContext(seed: 13);
        IDataView sparse = ml.Transforms.CustomMapping<MnistRow, BinaryLabel>((row, label) => label.IsZero = row.Label == 0, contractName: null)
            .Fit(SampleData.MnistSparse(ml, "mnist_tiny_test.txt")).Transform(SampleData.MnistSparse(ml, "mnist_tiny_test.txt"));
        var dense = new List<DenseRow>();
        using (var cursor = sparse.GetRowCursor([sparse.Schema["Features"], sparse.Schema["IsZero"]]))
        {
            var features = cursor.GetGetter<VBuffer<float>>(sparse.Schema["Features"]);
            var label = cursor.GetGetter<bool>(sparse.Schema["IsZero"]);
            var buffer = default(VBuffer<float>);
            bool isZero = false;
            int sparseRows = 0;
            while (cursor.MoveNext())
            {
                features(ref buffer);
                label(ref isZero);
                sparseRows += buffer.IsDense ? 0 : 1;
                dense.Add(new DenseRow { Features = buffer.DenseValues().ToArray(), IsZero = isZero });
            }

            Assert.Equal(dense.Count, sparseRows);
        }

        IDataView denseView = ml.Data.LoadFromEnumerable(dense);
        var options = new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, LabelColumnName = "IsZero", HiddenLayerSizes = [32], MaximumNumberOfIterations = 20, Seed = 5 };
        float[] fromSparse = Scores(ml, ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(sparse), sparse);
        float[] fromDense = Scores(ml, ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(denseView), denseView);
        Assert.Equal(fromDense, fromSparse);
        var metrics = ml.BinaryClassification.EvaluateNonCalibrated(
            ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(sparse).Transform(sparse), labelColumnName: "IsZero");
        Assert.True(metrics.Accuracy > 0.95, $"training accuracy {metrics.Accuracy}");
    }

    private sealed class MnistRow
    {
        public float Label { get; set; }
    }

    private sealed class BinaryLabel
    {
        public bool IsZero { get; set; }
    }

    private sealed class DenseRow
    {
        [VectorType(784)]
        public float[] Features { get; set; } = [];

        public bool IsZero { get; set; }
    }

    [Fact]
    public void ExampleWeightsChangeTheModelAndUnitWeightsDoNot()
    {
        var ml = new MLContext(seed: 17);
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            float x = (i % 20) / 10f - 1f;
            return new WeightedRow { Features = [x, x * x], Label = x + (0.3f * x * x) > 0.1f, Unit = 1f, Skewed = x > 0 ? 5f : 0.2f };
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        MlpBinaryTrainer.Options Options(string? weight) => new() { HiddenLayerSizes = [8], ExampleWeightColumnName = weight, MaximumNumberOfIterations = 30, Seed = 1 };
        float[] none = Scores(ml, ml.BinaryClassification.Trainers.Mlp(ml, Options(null)).Fit(data), data);
        float[] unit = Scores(ml, ml.BinaryClassification.Trainers.Mlp(ml, Options("Unit")).Fit(data), data);
        float[] skewed = Scores(ml, ml.BinaryClassification.Trainers.Mlp(ml, Options("Skewed")).Fit(data), data);
        Assert.Equal(none, unit);
        Assert.NotEqual(none, skewed);
    }

    internal static float[] Scores(MLContext ml, ITransformer model, IDataView data) => model.Transform(data).GetColumn<float>("Score").ToArray();

    private sealed class WeightedRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }

        public float Unit { get; set; }

        public float Skewed { get; set; }
    }
}

internal static class ModelExtensions
{
    /// <summary>The MLP model inside a fitted chain.</summary>
    public static MlpModelParameters GetModelParameters(this ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<MlpPredictionTransformer>().Single().Model;
}
