using System;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Warm start (scikit-learn's warm_start=True): continue training a fitted network with trainer.Fit(data, model).</summary>
public static class WarmStart
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv"),
            [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
            separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

        // Fit the normalizer once, so that both fits see the same features.
        var normalizer = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(split.TrainSet);
        IDataView train = normalizer.Transform(split.TrainSet);
        IDataView test = normalizer.Transform(split.TestSet);

        // Warm start continues one network on features as given: the scikit-learn recipe (the default tabular recipe
        // encodes the features and averages several networks inside the model, which cannot be continued).
        var trainer = mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
        {
            Recipe = MlpRecipe.ScikitLearn,
            HiddenLayerSizes = [32],
            MaximumNumberOfIterations = 10,
            Seed = 1,
        });
        MlpPredictionTransformer first = trainer.Fit(train);
        Report("First 10 epochs", first);

        // The second fit starts from the first one's weights (and extends its loss curve) instead of a fresh start.
        MlpPredictionTransformer second = trainer.Fit(train, first.Model);
        Report("10 more epochs", second);

        void Report(string name, MlpPredictionTransformer model)
        {
            var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(test));
            Console.WriteLine($"{name}: {model.Model.LossCurve.Count} epochs in the loss curve, last loss {model.Model.LossCurve[^1]:F4}, test accuracy {metrics.Accuracy:F3}");
        }
    }
}

// Expected output (numbers within ±0.002):
//   First 10 epochs: 10 epochs in the loss curve, last loss 0.3126, test accuracy 0.877
//   10 more epochs: 20 epochs in the loss curve, last loss 0.1553, test accuracy 0.939
