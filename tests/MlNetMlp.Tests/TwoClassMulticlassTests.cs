using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// A key label with two values through the multiclass trainer: two softmax outputs, so Score has two probabilities
/// summing to 1, as ML.NET's multiclass evaluator and PredictionEngine expect (issue 11, item 1).
/// </summary>
public class TwoClassMulticlassTests
{
    /// <summary>Iris rows of two species (versicolor and virginica, which overlap a little), features as one vector.</summary>
    internal static IrisRow[] TwoSpecies(params string[] species) => File.ReadLines(SamplePaths.DataFile("iris.csv"))
        .Skip(1)
        .Select(line => line.Split(','))
        .Where(fields => species.Contains(fields[4]))
        .Select(fields => new IrisRow
        {
            Features = fields.Take(4).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray(),
            Species = fields[4],
        })
        .ToArray();

    [Fact]
    public void TwoClassKeyLabelGivesTwoProbabilitiesThatSumToOneAndEvaluates()
    {
        var ml = new MLContext(seed: 4);
        IDataView data = ml.Data.LoadFromEnumerable(TwoSpecies("versicolor", "virginica"));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", nameof(IrisRow.Species))
            .Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [8], learningRate: 0.01, maximumNumberOfIterations: 200))
            .Fit(data);
        MlpModelParameters parameters = model.LastTransformer.Model;
        Assert.Equal(MlpTask.MulticlassClassification, parameters.Network.Task);
        Assert.Equal(2, parameters.Network.OutputCount);
        Assert.Equal(["versicolor", "virginica"], parameters.Classes);

        IDataView scored = model.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 2), scored.Schema["Score"].Type);
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        uint[] predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        uint[] labels = scored.GetColumn<uint>("Label").ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(2, scores[i].Length);
            Assert.Equal(1.0, scores[i][0] + scores[i][1], 1e-6);
            Assert.Equal(scores[i][1] > scores[i][0] ? 2u : 1u, predicted[i]);
        }

        Assert.Contains(1u, predicted);
        Assert.Contains(2u, predicted);
        Assert.True(predicted.Zip(labels).Count(p => p.First == p.Second) >= 0.9 * labels.Length);

        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.True(metrics.MicroAccuracy >= 0.9, $"micro accuracy {metrics.MicroAccuracy}");
        Assert.True(double.IsFinite(metrics.LogLoss) && metrics.LogLoss < 0.4, $"log-loss {metrics.LogLoss}");

        var engine = ml.Model.CreatePredictionEngine<IrisRow, TwoClassPrediction>(model);
        IrisRow first = TwoSpecies("versicolor", "virginica")[0];
        TwoClassPrediction prediction = engine.Predict(first);
        Assert.Equal(scores[0], prediction.Score);
        Assert.Equal(predicted[0], prediction.PredictedLabel);

        using var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(seed: 5);
        ITransformer loaded = fresh.Model.LoadWithMlp(stream, out _);
        IDataView reloaded = loaded.Transform(fresh.Data.LoadFromEnumerable(TwoSpecies("versicolor", "virginica")));
        Assert.Equal(scores.SelectMany(s => s), reloaded.GetColumn<float[]>("Score").SelectMany(s => s));
        Assert.Equal(predicted, reloaded.GetColumn<uint>("PredictedLabel").ToArray());
        Assert.Equal(metrics.MicroAccuracy, fresh.MulticlassClassification.Evaluate(reloaded).MicroAccuracy);
        TwoClassPrediction again = fresh.Model.CreatePredictionEngine<IrisRow, TwoClassPrediction>(loaded).Predict(first);
        Assert.Equal(prediction.Score, again.Score);
    }

    public sealed class IrisRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public string Species { get; set; } = string.Empty;
    }

    public sealed class TwoClassPrediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
