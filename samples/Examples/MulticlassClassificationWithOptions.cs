using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Multiclass classification with the Options overload: wine (3 cultivars), class probabilities by name.</summary>
public static class MulticlassClassificationWithOptions
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "wine.csv"),
            [new TextLoader.Column("Features", DataKind.Single, 0, 12), new TextLoader.Column("Cultivar", DataKind.Single, 13)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);

        var options = new MlpMulticlassTrainer.Options
        {
            HiddenLayerSizes = [32, 16],
            Activation = Activation.Relu,
            Solver = new AdamSolver { LearningRate = 0.01 },
            L2Regularization = 1e-2,
            MaximumNumberOfIterations = 300,
            Seed = 3,
        };
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", "Cultivar")
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(mlContext.MulticlassClassification.Trainers.Mlp(mlContext, options));
        var model = pipeline.Fit(split.TrainSet);

        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"Micro accuracy: {metrics.MicroAccuracy:F3}, log-loss: {metrics.LogLoss:F3}");
        Console.WriteLine($"Per-class log-loss: {string.Join(", ", metrics.PerClassLogLoss.Select(l => l.ToString("F3")))}");

        // Score slot k-1 is the probability of key k; the MLP's Classes name them in that order.
        MlpModelParameters mlp = model.LastTransformer.Model;
        float[] score = mlContext.Data.CreateEnumerable<Prediction>(model.Transform(split.TestSet), false).First().Score;
        Console.WriteLine(string.Join(", ", mlp.Classes.Select((name, k) => $"P(cultivar {name}) = {score[k]:F3}")));
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}

// Expected output (numbers within ±0.002):
//   Micro accuracy: 0.982, log-loss: 0.072
//   Per-class log-loss: 0.030, 0.146, 0.019
//   P(cultivar 0) = 0.986, P(cultivar 1) = 0.010, P(cultivar 2) = 0.004
