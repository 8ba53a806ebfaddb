using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>Behaviour the README and the XML docs promise where a choice was made rather than an error raised.</summary>
public class DocumentedBehaviourTests
{
    private static IDataView Rows(MLContext ml, int count = 60) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, count)
        .Select(i => new Row { Features = [(i % 2 == 0 ? 1 : -1) + (i / (float)count), (i % 5) / 5f, 1f], Label = i % 2 == 0 }));

    [Fact]
    public void NaNAndInfiniteFeaturesAtPredictionGiveNaNScoresAndTheDocumentedLabels()
    {
        var ml = new MLContext(seed: 1);
        var binary = ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 5).Fit(Rows(ml));
        var engine = ml.Model.CreatePredictionEngine<Row, BinaryOutput>(binary);

        // NaN propagates through every layer (relu included): Score and Probability are NaN, and the decision rule
        // Score > 0 is false for NaN, so PredictedLabel is false.
        BinaryOutput nan = engine.Predict(new Row { Features = [float.NaN, 0, 1] });
        Assert.True(float.IsNaN(nan.Score));
        Assert.True(float.IsNaN(nan.Probability));
        Assert.False(nan.PredictedLabel);

        // An infinite feature gives an infinite or NaN first-layer sum (inf times a weight, or inf - inf), so the Score
        // is NaN or infinite; whichever, PredictedLabel is Score > 0, as for any Score.
        BinaryOutput infinite = engine.Predict(new Row { Features = [float.PositiveInfinity, 0, 1] });
        Assert.False(float.IsFinite(infinite.Score));
        Assert.Equal(infinite.Score > 0, infinite.PredictedLabel);

        // Multiclass: every probability is NaN, and PredictedLabel (the first largest) is key 1.
        var threeRows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 60).Select(i => new ClassRow { Features = [i % 3, (i % 5) / 5f, 1f], Label = (i % 3).ToString() }));
        var multiclass = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 5))
            .Fit(threeRows);
        var multiEngine = ml.Model.CreatePredictionEngine<ClassRow, MulticlassOutput>(multiclass);
        MulticlassOutput nanClass = multiEngine.Predict(new ClassRow { Features = [float.NaN, 0, 1], Label = "0" });
        Assert.All(nanClass.Score, p => Assert.True(float.IsNaN(p)));
        Assert.Equal(1u, nanClass.PredictedLabel);
    }

    [Fact]
    public void EachFitDrawsItsSeedFromTheContextUnlessSeedIsSet()
    {
        float[] Weights(MLContext ml, int? seed) =>
            ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfIterations = 2, Seed = seed })
                .Fit(Rows(ml)).Model.Network.GetParameters();

        var context = new MLContext(seed: 7);
        float[] first = Weights(context, null);
        float[] second = Weights(context, null);
        Assert.NotEqual(first, second);
        Assert.Equal(first, Weights(new MLContext(seed: 7), null));

        var seeded = new MLContext(seed: 7);
        Assert.Equal(Weights(seeded, 5), Weights(seeded, 5));
    }

    [Fact]
    public void BestLossUnderEarlyStoppingIsTheLowestTrainingLoss()
    {
        var ml = new MLContext(seed: 2);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [4],
            MaximumNumberOfIterations = 30,
            EarlyStopping = true,
            Seed = 3,
        }).Fit(Rows(ml, 200)).Model;
        Assert.Equal(model.LossCurve.Count, model.ValidationScores.Count);
        Assert.Equal(model.LossCurve.Min(), model.BestLoss);
    }

    [Fact]
    public void TheDictionaryOverloadOfPermutationFeatureImportanceCannotTakeThisTransformer()
    {
        // ML.NET's dictionary overload looks for its own internal predictor types in the model and refuses others;
        // the generic overload (PipelineTests.PermutationFeatureImportanceRunsThroughTheGenericOverload) works.
        var ml = new MLContext(seed: 1);
        IDataView data = Rows(ml);
        ITransformer model = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2)).Fit(data);
        Exception error = Assert.ThrowsAny<Exception>(() => ml.BinaryClassification.PermutationFeatureImportanceNonCalibrated(model, data, permutationCount: 1));
        Assert.IsType<ArgumentNullException>(error);
        Assert.StartsWith("The model provided does not have a compat", error.Message, StringComparison.Ordinal);
    }

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class ClassRow
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    private sealed class BinaryOutput
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    private sealed class MulticlassOutput
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
