using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Early stopping: hold out 10% of the training rows, stop when their accuracy stops improving, keep the best weights.</summary>
public static class EarlyStopping
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "digits.csv"),
            [new TextLoader.Column("Pixels", DataKind.Single, 0, 63), new TextLoader.Column("Digit", DataKind.Single, 64)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.25, seed: 1);

        var options = new MlpMulticlassTrainer.Options
        {
            HiddenLayerSizes = [128, 64],
            MaximumNumberOfIterations = 500,
            EarlyStopping = true,          // scikit-learn's early_stopping=True
            EarlyStoppingMetric = EarlyStoppingMetric.Score, // stop on validation accuracy, as scikit-learn does (the tabular recipe's default is the validation loss)
            ValidationFraction = 0.1,      // stratified by class
            EpochsWithoutImprovement = 10, // n_iter_no_change
            OptimizationTolerance = 1e-4,
            Seed = 1,
        };
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label", "Digit")
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features", "Pixels", fixZero: false))
            .Append(mlContext.MulticlassClassification.Trainers.Mlp(mlContext, options))
            .Fit(split.TrainSet);

        MlpModelParameters mlp = model.LastTransformer.Model;
        double best = mlp.ValidationScores.Max();
        int bestEpoch = mlp.ValidationScores.ToList().IndexOf(best) + 1;
        Console.WriteLine($"Stopped after {mlp.EpochsRun} of {options.MaximumNumberOfIterations} epochs; best validation accuracy {best:F3} at epoch {bestEpoch}");
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:F3}");
    }
}

// Expected output (numbers within ±0.002):
//   Stopped after 13 of 500 epochs; best validation accuracy 0.978 at epoch 2
//   Test accuracy: 0.957
