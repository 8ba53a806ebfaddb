using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Binary classification with the simple catalog overload: breast cancer, 80/20 split.</summary>
public static class BinaryClassification
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);

        // 30 measurements as one "Features" vector; the last column (1 = benign) as a Boolean "Label".
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv"),
            [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

        // Standardize (fixZero: false also centers), then an MLP with two hidden layers. Unset parameters keep
        // their defaults: ReLU, Adam with learning rate 0.001, L2 0.0001, 200 epochs, batches of min(200, rows).
        var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, hiddenLayerSizes: [64, 32]));
        var model = pipeline.Fit(split.TrainSet);

        IDataView scored = model.Transform(split.TestSet);
        var metrics = mlContext.BinaryClassification.Evaluate(scored);
        Console.WriteLine($"Accuracy: {metrics.Accuracy:F3}, AUC: {metrics.AreaUnderRocCurve:F3}, F1: {metrics.F1Score:F3}");

        // Score is the logit (decision rule Score > 0), Probability its sigmoid.
        foreach (var p in mlContext.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Take(3))
        {
            Console.WriteLine($"Label: {p.Label}, predicted: {p.PredictedLabel}, probability: {p.Probability:F3}, score: {p.Score:F2}");
        }
    }

    private sealed class Prediction
    {
        public bool Label { get; set; }
        public bool PredictedLabel { get; set; }
        public float Probability { get; set; }
        public float Score { get; set; }
    }
}

// Expected output (numbers within ±0.002):
//   Accuracy: 0.974, AUC: 0.991, F1: 0.977
//   Label: False, predicted: False, probability: 0.008, score: -4.87
//   Label: False, predicted: False, probability: 0.017, score: -4.05
//   Label: False, predicted: False, probability: 0.179, score: -1.52
