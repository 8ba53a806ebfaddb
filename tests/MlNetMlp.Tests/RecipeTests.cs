using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>The tabular recipe through ML.NET: the default of both entry points, no normalizer needed, raw regression labels, persistence.</summary>
public class RecipeTests
{
    [Fact]
    public void TheSimpleOverloadAndAFreshOptionsObjectTrainTheSameModel()
    {
        IDataView data = SampleData.BreastCancer(new MLContext(1));
        var a = new MLContext(seed: 3);
        var b = new MLContext(seed: 3);
        float[] simple = Scores(a.BinaryClassification.Trainers.Mlp(a).Fit(data).Transform(data));
        float[] options = Scores(b.BinaryClassification.Trainers.Mlp(b, new MlpBinaryTrainer.Options()).Fit(data).Transform(data));
        Assert.Equal(simple, options);
    }

    [Fact]
    public void ChangingTheOptionsAfterCreatingTheTrainerDoesNotChangeWhatItTrains()
    {
        IDataView data = SampleData.BreastCancer(new MLContext(1));
        MlpBinaryTrainer.Options Options() => new() { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [8], Solver = new AdamSolver { LearningRate = 0.01 }, MaximumNumberOfIterations = 5, Seed = 4 };
        var ml = new MLContext(seed: 1);
        float[] untouched = Scores(ml.BinaryClassification.Trainers.Mlp(ml, Options()).Fit(data).Transform(data));

        MlpBinaryTrainer.Options options = Options();
        MlpBinaryTrainer trainer = ml.BinaryClassification.Trainers.Mlp(ml, options);
        options.HiddenLayerSizes[0] = 64;
        ((AdamSolver)options.Solver).LearningRate = 0.5;
        options.MaximumNumberOfIterations = 50;
        MlpPredictionTransformer model = trainer.Fit(data);
        Assert.Equal([8], model.Model.HiddenLayerSizes);
        Assert.Equal(5, model.Model.EpochsRun);
        Assert.Equal(untouched, Scores(model.Transform(data)));
    }

    [Fact]
    public void RawFeaturesNeedNoNormalizer()
    {
        // Breast cancer's measurements range from 0.001 to 4000: without a normalizer in front the scikit-learn
        // recipe loses accuracy; the tabular recipe scales (encodes) them itself.
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(SampleData.BreastCancer(ml), testFraction: 0.3, seed: 2);
        var tabular = ml.BinaryClassification.Evaluate(ml.BinaryClassification.Trainers.Mlp(ml).Fit(split.TrainSet).Transform(split.TestSet));
        var sklearn = ml.BinaryClassification.Evaluate(ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn }).Fit(split.TrainSet).Transform(split.TestSet));
        Assert.True(tabular.AreaUnderRocCurve > 0.98, $"tabular AUC {tabular.AreaUnderRocCurve:F4}");
        Assert.True(tabular.Accuracy > sklearn.Accuracy, $"tabular accuracy {tabular.Accuracy:F4}, scikit-learn recipe on raw features {sklearn.Accuracy:F4}");
    }

    [Fact]
    public void ARawRegressionLabelIsStandardizedInsideAndPredictedInItsUnits()
    {
        // Housing's label is in $1000s (5 to 50); on the raw label the scikit-learn recipe is far below a linear model.
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(SampleData.Housing(ml), testFraction: 0.25, seed: 3);
        IDataView scored = ml.Regression.Trainers.Mlp(ml).Fit(split.TrainSet).Transform(split.TestSet);
        RegressionMetrics metrics = ml.Regression.Evaluate(scored);
        Assert.True(metrics.RSquared > 0.75, $"R² {metrics.RSquared:F4}");
        float[] predictions = scored.GetColumn<float>("Score").ToArray();
        Assert.InRange(predictions.Average(), 15, 30);
    }

    [Fact]
    public void ATabularPipelineReloadsWithBitIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(i => new Row { Features = [i % 7, (float)System.Math.Exp(i % 13), i % 2 * 1000], Label = (i % 7) + (i % 2 * 3) > 4 }));
        ITransformer model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { MaximumNumberOfIterations = 5 }).Fit(data);
        var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = new MLContext().Model.LoadWithMlp(stream, out _);
        Assert.Equal(Scores(model.Transform(data)), Scores(loaded.Transform(data)));
    }

    [Fact]
    public void TheTabularRecipesAutomaticSettingsFollowTheDataSize()
    {
        // Housing's 404 training rows: batches of 32, 64 epochs (about 11 steps each), 3 networks, early stopping.
        Assert.Equal(32, MlpRecipes.AutomaticBatchSize(MlpRecipe.Tabular, 404));
        Assert.Equal(64, MlpRecipes.AutomaticEpochs(404, 32, 0.8));
        Assert.Equal(3, MlpRecipes.AutomaticEnsembleSize(404));
        Assert.True(MlpRecipes.AutomaticEarlyStopping(404));
        Assert.Equal(0.05, MlpRecipes.AutomaticLabelSmoothing(404));
        Assert.Equal([256, 256], MlpRecipes.AutomaticHiddenLayerSizes(404));

        // Census income's 26,048: batches of 256, 12 epochs (about 100 steps each), 2 networks, all rows for training.
        Assert.Equal(256, MlpRecipes.AutomaticBatchSize(MlpRecipe.Tabular, 26_048));
        Assert.Equal(12, MlpRecipes.AutomaticEpochs(26_048, 256, 1));
        Assert.Equal(2, MlpRecipes.AutomaticEnsembleSize(26_048));
        Assert.False(MlpRecipes.AutomaticEarlyStopping(26_048));
        Assert.Equal(0, MlpRecipes.AutomaticLabelSmoothing(26_048));
        Assert.Equal([128, 128], MlpRecipes.AutomaticHiddenLayerSizes(26_048));

        // The scikit-learn recipe's batch of 0 is min(200, rows), and its settings are never automatic.
        Assert.Equal(150, MlpRecipes.AutomaticBatchSize(MlpRecipe.ScikitLearn, 150));
        var sklearn = new MlpRegressionTrainer.Options { Recipe = MlpRecipe.ScikitLearn };
        Assert.False(sklearn.EarlyStoppingIsAutomatic);
        Assert.Equal(1, sklearn.EnsembleSize);
        Assert.Equal(200, sklearn.MaximumNumberOfIterations);
        Assert.True(new MlpRegressionTrainer.Options().EarlyStoppingIsAutomatic);
        Assert.False(new MlpRegressionTrainer.Options { EarlyStopping = true }.EarlyStoppingIsAutomatic);
        Assert.True(new MlpBinaryTrainer.Options().LabelSmoothingIsAutomatic);
        Assert.False(new MlpBinaryTrainer.Options { LabelSmoothing = 0.05 }.LabelSmoothingIsAutomatic);
        Assert.False(new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn }.LabelSmoothingIsAutomatic);
        Assert.Equal(0, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn }.LabelSmoothing);

        // The widths follow the size until they are set, also to the recipe's own values, or changed in place.
        Assert.True(new MlpRegressionTrainer.Options().HiddenLayerSizesAreAutomatic);
        Assert.False(new MlpRegressionTrainer.Options { HiddenLayerSizes = [256, 256] }.HiddenLayerSizesAreAutomatic);
        Assert.False(sklearn.HiddenLayerSizesAreAutomatic);
        var edited = new MlpRegressionTrainer.Options();
        Assert.True(edited.HiddenLayerSizes.Length == 2 && edited.HiddenLayerSizesAreAutomatic);
        edited.HiddenLayerSizes[1] = 32;
        Assert.False(edited.HiddenLayerSizesAreAutomatic);
    }

    [Fact]
    public void ALargeDataSetGetsTheNarrowerLayersAndNoLabelSmoothingUnlessGiven()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 10_000).Select(i => new LargeRow { Features = [i % 7, (i * 13) % 11], Label = i % 3 == 0 }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        // (The model's first hidden layer is the fixed piecewise-linear encoding; the trained ones follow it.)
        var log = new System.Collections.Generic.List<string>();
        ml.Log += (_, e) =>
        {
            lock (log)
            {
                log.Add(e.Message);
            }
        };
        var automatic = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { MaximumNumberOfIterations = 1, EnsembleSize = 1, Seed = 1 }).Fit(data);
        Assert.Equal([128, 128], automatic.Model.HiddenLayerSizes.TakeLast(2));
        Assert.Contains(log, m => m.Contains("early stopping off", System.StringComparison.Ordinal));
        Assert.DoesNotContain(log, m => m.Contains("label smoothing", System.StringComparison.Ordinal));
        log.Clear();
        var simple = ml.BinaryClassification.Trainers.Mlp(ml, maximumNumberOfIterations: 1).Fit(data);
        Assert.Equal([2 * 128, 2 * 128], simple.Model.HiddenLayerSizes.TakeLast(2)); // its 2 members, merged side by side
        var given = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { HiddenLayerSizes = [256, 256], MaximumNumberOfIterations = 1, EnsembleSize = 1, Seed = 1 }).Fit(data);
        Assert.Equal([256, 256], given.Model.HiddenLayerSizes.TakeLast(2));
        var small = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { MaximumNumberOfIterations = 1, EnsembleSize = 1, Seed = 1 }).Fit(ml.Data.TakeRows(data, 9_999));
        Assert.Equal([256, 256], small.Model.HiddenLayerSizes.TakeLast(2));
        Assert.Contains(log, m => m.Contains("early stopping on, label smoothing 0.05,", System.StringComparison.Ordinal));
    }

    private sealed class LargeRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    [Fact]
    public void AnotherActivationSwitchesTheRecipesEncodingToScalingUnlessTheEncodingIsAskedFor()
    {
        Assert.Equal(0, new MlpBinaryTrainer.Options { Activation = Activation.Tanh }.ToEngineOptions(0).PiecewiseLinearBins);
        Assert.Equal(InputScaling.Robust, new MlpBinaryTrainer.Options { Activation = Activation.Tanh }.ToEngineOptions(0).InputScaling);
        Assert.Equal(MlpDefaults.PiecewiseLinearBins, new MlpBinaryTrainer.Options().ToEngineOptions(0).PiecewiseLinearBins);
        var error = Assert.Throws<System.ArgumentException>(() => new MlpBinaryTrainer.Options { Activation = Activation.Tanh, PiecewiseLinearBins = 8 }.ToEngineOptions(0));
        Assert.Equal("PiecewiseLinearBins", error.ParamName);
    }

    [Fact]
    public void TheLogSaysWhatTheTrainerDoesToTheFeatures()
    {
        var ml = new MLContext(seed: 1);
        var log = new System.Collections.Generic.List<string>();
        ml.Log += (_, e) =>
        {
            lock (log)
            {
                log.Add(e.Message);
            }
        };
        IDataView data = SampleData.Housing(ml);
        ml.Regression.Trainers.Mlp(ml, new MlpRegressionTrainer.Options { MaximumNumberOfIterations = 2 }).Fit(data);
        Assert.Contains(log, m => m.Contains("normalization not required", System.StringComparison.Ordinal) && m.Contains("3 network(s)", System.StringComparison.Ordinal) && m.Contains("batch 32", System.StringComparison.Ordinal));
        Assert.DoesNotContain(log, m => m.Contains("label smoothing", System.StringComparison.Ordinal));

        // A small classification set gets the recipe's label smoothing; an explicit value replaces it.
        log.Clear();
        ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { MaximumNumberOfIterations = 2, EnsembleSize = 1 }).Fit(SampleData.BreastCancer(ml));
        Assert.Contains(log, m => m.Contains("early stopping on, label smoothing 0.05,", System.StringComparison.Ordinal));
        log.Clear();
        ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { MaximumNumberOfIterations = 2, EnsembleSize = 1, LabelSmoothing = 0.2, Dropout = 0.2 }).Fit(SampleData.BreastCancer(ml));
        Assert.Contains(log, m => m.Contains("label smoothing 0.2, dropout 0.2,", System.StringComparison.Ordinal));
    }

    [Fact]
    public void OneHotColumnsBesideNumericOnesAreEncodedToo()
    {
        // One-hot encoding makes the features column sparse; narrow sparse rows like these are made dense and get
        // the recipe's encoding (a first layer of its own), not used raw with the numeric column in the thousands.
        var ml = new MLContext(seed: 1);
        var random = new System.Random(5);
        string[] colours = ["red", "green", "blue"];
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            string colour = colours[random.Next(3)];
            float amount = (float)(random.NextDouble() * 5000);
            return new Mixed { Colour = colour, Amount = amount, Label = (colour == "red") ^ (amount > 2500) };
        }).ToList();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("ColourOneHot", "Colour")
            .Append(ml.Transforms.Concatenate("Features", "ColourOneHot", "Amount"))
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [8]));
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);
        var model = pipeline.Fit(split.TrainSet);
        MlpModelParameters mlp = model.LastTransformer.Model;
        Assert.Equal(2, mlp.HiddenLayerSizes.Count); // the encoding layer, then the members' (8) side by side
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        Assert.True(metrics.Accuracy > 0.95, $"accuracy {metrics.Accuracy:F3}");
    }

    private sealed class Mixed
    {
        public string Colour { get; set; } = string.Empty;

        public float Amount { get; set; }

        public bool Label { get; set; }
    }

    private static float[] Scores(IDataView scored) => scored.GetColumn<float>("Score").ToArray();

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
