namespace MlNetMlp;

/// <summary>
/// Defaults shared by the options classes and the catalog methods' optional parameters, which must be constants;
/// they equal the engine's <see cref="Engine.MlpOptions"/> defaults (a test checks it).
/// </summary>
internal static class MlpDefaults
{
    public const string LabelColumnName = "Label";
    public const string FeatureColumnName = "Features";
    public const double LearningRate = 1e-3;
    public const double L2Regularization = 1e-4;
    public const int NumberOfIterations = 200;
    public const int BatchSize = 0;
}
