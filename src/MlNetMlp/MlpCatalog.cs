using System;
using Microsoft.ML;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Catalog entry points: <c>mlContext.BinaryClassification.Trainers.Mlp(mlContext, ...)</c> and its multiclass and
/// regression siblings. The context is passed because ML.NET's trainer catalogs do not expose it publicly; the
/// trainer uses it for logging and, when no seed is set, for its random seed.
/// </summary>
public static class MlpCatalog
{
    /// <summary>A binary-classification MLP with Adam: the defaults are scikit-learn's <c>MLPClassifier</c>'s.</summary>
    /// <example>
    /// Breast cancer, standardized, with the simple parameters: <c>samples/Examples/BinaryClassification.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- BinaryClassification</c>.
    /// </example>
    /// <param name="catalog">The binary-classification trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The Boolean label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for one layer of 100.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/>.</param>
    /// <param name="learningRate">Adam's step size. Default 0.001.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.0001.</param>
    /// <param name="numberOfIterations">Maximum epochs. Default 200: a small data set (one mini-batch per epoch) may stop short of converging, which only an Info line in <c>mlContext.Log</c> reports; raise it then.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for min(200, rows).</param>
    public static MlpBinaryTrainer Mlp(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = Activation.Relu,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int numberOfIterations = MlpDefaults.NumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpBinaryTrainer(mlContext, Fill(new MlpBinaryTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, numberOfIterations, batchSize));
    }

    /// <summary>A binary-classification MLP with every option.</summary>
    /// <example>
    /// Every option, a progress callback and the fitted network: <c>samples/Examples/BinaryClassificationWithOptions.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- BinaryClassificationWithOptions</c>.
    /// </example>
    public static MlpBinaryTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, MLContext mlContext, MlpBinaryTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpBinaryTrainer(mlContext, options);
    }

    /// <summary>A multiclass MLP with Adam. The label must be a key (MapValueToKey).</summary>
    /// <example>
    /// Iris, text labels mapped to keys and back: <c>samples/Examples/MulticlassClassification.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- MulticlassClassification</c>.
    /// </example>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for one layer of 100.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/>.</param>
    /// <param name="learningRate">Adam's step size. Default 0.001.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.0001.</param>
    /// <param name="numberOfIterations">Maximum epochs. Default 200: a small data set (one mini-batch per epoch) may stop short of converging, which only an Info line in <c>mlContext.Log</c> reports; raise it then.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for min(200, rows).</param>
    public static MlpMulticlassTrainer Mlp(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = Activation.Relu,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int numberOfIterations = MlpDefaults.NumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpMulticlassTrainer(mlContext, Fill(new MlpMulticlassTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, numberOfIterations, batchSize));
    }

    /// <summary>A multiclass MLP with every option.</summary>
    /// <example>
    /// Wine, every option, class probabilities by name: <c>samples/Examples/MulticlassClassificationWithOptions.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- MulticlassClassificationWithOptions</c>.
    /// </example>
    public static MlpMulticlassTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MLContext mlContext, MlpMulticlassTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpMulticlassTrainer(mlContext, options);
    }

    /// <summary>A regression MLP with Adam.</summary>
    /// <example>
    /// Boston housing with the simple parameters: <c>samples/Examples/Regression.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Regression</c>.
    /// </example>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The Single label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for one layer of 100.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/>.</param>
    /// <param name="learningRate">Adam's step size. Default 0.001.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.0001.</param>
    /// <param name="numberOfIterations">Maximum epochs. Default 200: a small data set (one mini-batch per epoch) may stop short of converging, which only an Info line in <c>mlContext.Log</c> reports; raise it then.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for min(200, rows).</param>
    public static MlpRegressionTrainer Mlp(
        this RegressionCatalog.RegressionTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = Activation.Relu,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int numberOfIterations = MlpDefaults.NumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpRegressionTrainer(mlContext, Fill(new MlpRegressionTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, numberOfIterations, batchSize));
    }

    /// <summary>A regression MLP with every option.</summary>
    /// <example>
    /// Training on a standardized label and reporting metrics in the label's units: <c>samples/Examples/RegressionWithStandardizedLabel.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- RegressionWithStandardizedLabel</c>.
    /// </example>
    public static MlpRegressionTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog, MLContext mlContext, MlpRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpRegressionTrainer(mlContext, options);
    }

    private static T Fill<T>(T options, string label, string features, string? weight, int[]? hidden, Activation activation, double learningRate, double l2, int iterations, int batchSize)
        where T : MlpTrainerOptions
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.ExampleWeightColumnName = weight;
        options.HiddenLayerSizes = hidden ?? [100];
        options.Activation = activation;
        options.Solver = new AdamSolver { LearningRate = learningRate };
        options.L2Regularization = l2;
        options.NumberOfIterations = iterations;
        options.BatchSize = batchSize;
        return options;
    }
}
