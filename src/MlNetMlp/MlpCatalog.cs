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
    /// <summary>A binary-classification MLP with the tabular recipe (<see cref="MlpRecipe.Tabular"/>).</summary>
    /// <example>
    /// Breast cancer, standardized, with the simple parameters: <c>samples/Examples/BinaryClassification.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- BinaryClassification</c>.
    /// </example>
    /// <param name="catalog">The binary-classification trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The Boolean label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for the tabular recipe's: { 256, 256 } below 10,000 rows, { 128, 128 } from 10,000.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/> (another activation makes the recipe scale the features instead of encoding them).</param>
    /// <param name="learningRate">Adam's step size, the peak of the cosine schedule. Default 0.002.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.</param>
    /// <param name="maximumNumberOfIterations">The most epochs (L-BFGS: iterations), which early stopping or the tolerance may cut short, and the budget the learning-rate schedule spans; 0 (the default) for about 1024 optimizer steps, 12 to 64 epochs.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for rows / 16, clamped to [32, 256].</param>
    /// <remarks>Every other setting is the <see cref="MlpRecipe.Tabular"/> recipe's; use the overload taking options with <c>Recipe = MlpRecipe.ScikitLearn</c> for scikit-learn's defaults.</remarks>
    public static MlpBinaryTrainer Mlp(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = MlpDefaults.Activation,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int maximumNumberOfIterations = MlpDefaults.MaximumNumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpBinaryTrainer(mlContext, Fill(new MlpBinaryTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, maximumNumberOfIterations, batchSize));
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

    /// <summary>A multiclass MLP with the tabular recipe (<see cref="MlpRecipe.Tabular"/>). The label must be a key (MapValueToKey).</summary>
    /// <example>
    /// Iris, text labels mapped to keys and back: <c>samples/Examples/MulticlassClassification.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- MulticlassClassification</c>.
    /// </example>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for the tabular recipe's: { 256, 256 } below 10,000 rows, { 128, 128 } from 10,000.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/> (another activation makes the recipe scale the features instead of encoding them).</param>
    /// <param name="learningRate">Adam's step size, the peak of the cosine schedule. Default 0.002.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.</param>
    /// <param name="maximumNumberOfIterations">The most epochs (L-BFGS: iterations), which early stopping or the tolerance may cut short, and the budget the learning-rate schedule spans; 0 (the default) for about 1024 optimizer steps, 12 to 64 epochs.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for rows / 16, clamped to [32, 256].</param>
    /// <remarks>Every other setting is the <see cref="MlpRecipe.Tabular"/> recipe's; use the overload taking options with <c>Recipe = MlpRecipe.ScikitLearn</c> for scikit-learn's defaults.</remarks>
    public static MlpMulticlassTrainer Mlp(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = MlpDefaults.Activation,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int maximumNumberOfIterations = MlpDefaults.MaximumNumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpMulticlassTrainer(mlContext, Fill(new MlpMulticlassTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, maximumNumberOfIterations, batchSize));
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

    /// <summary>A regression MLP with the tabular recipe (<see cref="MlpRecipe.Tabular"/>).</summary>
    /// <example>
    /// Boston housing with the simple parameters: <c>samples/Examples/Regression.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Regression</c>.
    /// </example>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="mlContext">The context the pipeline runs in.</param>
    /// <param name="labelColumnName">The Single label column.</param>
    /// <param name="featureColumnName">The features column: a known-size vector of float.</param>
    /// <param name="exampleWeightColumnName">Optional example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null (the default) for the tabular recipe's: { 256, 256 } below 10,000 rows, { 128, 128 } from 10,000.</param>
    /// <param name="activation">Hidden activation. Default <see cref="Activation.Relu"/> (another activation makes the recipe scale the features instead of encoding them).</param>
    /// <param name="learningRate">Adam's step size, the peak of the cosine schedule. Default 0.002.</param>
    /// <param name="l2Regularization">L2 penalty on the weights (scikit-learn's alpha). Default 0.</param>
    /// <param name="maximumNumberOfIterations">The most epochs (L-BFGS: iterations), which early stopping or the tolerance may cut short, and the budget the learning-rate schedule spans; 0 (the default) for about 1024 optimizer steps, 12 to 64 epochs.</param>
    /// <param name="batchSize">Rows per mini-batch; 0 (the default) for rows / 16, clamped to [32, 256].</param>
    /// <remarks>Every other setting is the <see cref="MlpRecipe.Tabular"/> recipe's; use the overload taking options with <c>Recipe = MlpRecipe.ScikitLearn</c> for scikit-learn's defaults.</remarks>
    public static MlpRegressionTrainer Mlp(
        this RegressionCatalog.RegressionTrainers catalog,
        MLContext mlContext,
        string labelColumnName = MlpDefaults.LabelColumnName,
        string featureColumnName = MlpDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        Activation activation = MlpDefaults.Activation,
        double learningRate = MlpDefaults.LearningRate,
        double l2Regularization = MlpDefaults.L2Regularization,
        int maximumNumberOfIterations = MlpDefaults.MaximumNumberOfIterations,
        int batchSize = MlpDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpRegressionTrainer(mlContext, Fill(new MlpRegressionTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, activation, learningRate, l2Regularization, maximumNumberOfIterations, batchSize));
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
        if (hidden is not null)
        {
            options.HiddenLayerSizes = hidden;
        }

        options.Activation = activation;
        options.Solver = new AdamSolver { LearningRate = learningRate };
        options.L2Regularization = l2;
        options.MaximumNumberOfIterations = iterations;
        options.BatchSize = batchSize;
        return options;
    }
}
