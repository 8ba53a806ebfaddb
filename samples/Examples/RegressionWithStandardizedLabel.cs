using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetMlp;

namespace Examples;

/// <summary>Regression with the Options overload on a standardized label, metrics in the label's units (diabetes, 25-346).</summary>
public static class RegressionWithStandardizedLabel
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "diabetes.csv"),
            [new TextLoader.Column("Features", DataKind.Single, 0, 9), new TextLoader.Column("Label", DataKind.Single, 10)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

        // Standardize the label into "ScaledLabel" and train on it: the network predicts z-scores.
        var options = new MlpRegressionTrainer.Options
        {
            LabelColumnName = "ScaledLabel",
            HiddenLayerSizes = [32],
            Solver = new AdamSolver { LearningRate = 0.001 },
            L2Regularization = 10, // 442 rows and 10 noisy features: a strong penalty generalizes best
            MaximumNumberOfIterations = 200,
            Seed = 1,
        };
        var model = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(mlContext.Transforms.NormalizeMeanVariance("ScaledLabel", "Label", fixZero: false))
            .Append(mlContext.Regression.Trainers.Mlp(mlContext, options))
            .Fit(split.TrainSet);

        // The fitted label normalizer computes (label - offset) * scale; invert it on the Score.
        var labelNormalizer = model.OfType<NormalizingTransformer>().Last();
        var affine = (NormalizingTransformer.AffineNormalizerModelParameters<float>)labelNormalizer.GetNormalizerModelParameters(0);
        Console.WriteLine($"Label mean: {affine.Offset:F1}, standard deviation: {1 / affine.Scale:F1}");
        IDataView scored = mlContext.Transforms.CustomMapping<ScaledScore, Units>(
                (input, output) => output.Prediction = (input.Score / affine.Scale) + affine.Offset, contractName: null)
            .Fit(model.Transform(split.TestSet)).Transform(model.Transform(split.TestSet));

        var metrics = mlContext.Regression.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Prediction");
        Console.WriteLine($"RMSE: {metrics.RootMeanSquaredError:F1}, MAE: {metrics.MeanAbsoluteError:F1} (progression units), R²: {metrics.RSquared:F3}");
    }

    private sealed class ScaledScore
    {
        public float Score { get; set; }
    }

    private sealed class Units
    {
        public float Prediction { get; set; }
    }
}

// Expected output (numbers within ±0.2):
//   Label mean: 153.3, standard deviation: 78.3
//   RMSE: 57.6, MAE: 47.5 (progression units), R²: 0.360
