namespace MlNetMlp;

/// <summary>
/// Defaults shared by the catalog methods' optional parameters, which must be constants: the
/// <see cref="MlpRecipe.Tabular"/> recipe's values (<see cref="MlpRecipes"/> builds the recipe from them; a test
/// checks that the simple overloads and a fresh options object agree).
/// </summary>
internal static class MlpDefaults
{
    public const string LabelColumnName = "Label";
    public const string FeatureColumnName = "Features";
    public const int TabularWidth = 256;
    public const Activation Activation = MlNetMlp.Activation.Relu;
    public const double LearningRate = 2e-3;
    public const double L2Regularization = 0;
    /// <summary>0: automatic (<see cref="MlpRecipes.AutomaticEpochs"/>).</summary>
    public const int MaximumNumberOfIterations = 0;
    public const int BatchSize = 0;
    public const int PiecewiseLinearBins = 16;

    /// <summary>0: automatic (<see cref="MlpRecipes.AutomaticEnsembleSize"/>).</summary>
    public const int EnsembleSize = 0;
}
