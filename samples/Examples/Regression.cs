using System;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Regression with the simple catalog overload: Boston housing, median home value in $1,000s.</summary>
public static class Regression
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "housing.txt"),
            [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 13)],
            separatorChar: '\t', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

        // The label (5 to 50) is small enough to train on as it is; see RegressionWithStandardizedLabel otherwise.
        var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(mlContext.Regression.Trainers.Mlp(mlContext, hiddenLayerSizes: [64, 32], learningRate: 0.01, maximumNumberOfIterations: 500));
        var model = pipeline.Fit(split.TrainSet);

        var metrics = mlContext.Regression.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"RMSE: {metrics.RootMeanSquaredError:F2} ($1,000s), MAE: {metrics.MeanAbsoluteError:F2} ($1,000s), R²: {metrics.RSquared:F3}");
        Console.WriteLine($"Epochs: {model.LastTransformer.Model.EpochsRun}");
    }
}

// Expected output (numbers within ±0.02):
//   RMSE: 3.40 ($1,000s), MAE: 2.09 ($1,000s), R²: 0.845
//   Epochs: 24
