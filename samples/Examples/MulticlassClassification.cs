using System;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Multiclass classification with the simple catalog overload: iris, text labels mapped to keys and back.</summary>
public static class MulticlassClassification
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"),
            [new TextLoader.Column("Measurements", DataKind.Single, 0, 3), new TextLoader.Column("Species", DataKind.String, 4)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);

        // The label must be a key: MapValueToKey. PredictedLabel is a key with the same values, so MapKeyToValue
        // turns it back into text. On a small set the default recipe picks small batches (rows / 16, at least 32)
        // and an epoch budget of about 1,024 steps, holding out 20% of the rows to keep its best epoch.
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features", "Measurements", fixZero: false))
            .Append(mlContext.MulticlassClassification.Trainers.Mlp(mlContext, hiddenLayerSizes: [16]))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"));
        var model = pipeline.Fit(split.TrainSet);

        IDataView scored = model.Transform(split.TestSet);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        Console.WriteLine($"Micro accuracy: {metrics.MicroAccuracy:F3}, macro accuracy: {metrics.MacroAccuracy:F3}, log-loss: {metrics.LogLoss:F3}");
        Console.Write(metrics.ConfusionMatrix.GetFormattedConfusionTable());

        var engine = mlContext.Model.CreatePredictionEngine<Flower, Prediction>(model);
        Prediction p = engine.Predict(new Flower { Measurements = [6.3f, 2.9f, 5.6f, 1.8f] });
        Console.WriteLine($"Predicted: {p.PredictedSpecies}, probabilities: {string.Join(", ", Array.ConvertAll(p.Score, s => s.ToString("F3")))}");
    }

    private sealed class Flower
    {
        [VectorType(4)]
        public float[] Measurements { get; set; } = [];
        public string Species { get; set; } = "";
    }

    private sealed class Prediction
    {
        public string PredictedSpecies { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}

// Expected output (numbers within ±0.002):
//   Micro accuracy: 0.955, macro accuracy: 0.965, log-loss: 0.213
//
//   Confusion table
//                 ||========================
//   PREDICTED     ||     0 |     1 |     2 | Recall
//   TRUTH         ||========================
//   0.     setosa ||    14 |     0 |     0 | 1.0000
//   1. versicolor ||     0 |    17 |     2 | 0.8947
//   2.  virginica ||     0 |     0 |    11 | 1.0000
//                 ||========================
//   Precision     ||1.0000 |1.0000 |0.8462 |
//   Predicted: virginica, probabilities: 0.020, 0.089, 0.891
