using System;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>A complete set of defaults for the MLP trainers' settings; any setting given explicitly overrides its recipe value.</summary>
public enum MlpRecipe
{
    /// <summary>
    /// The default: a recipe for tabular data chosen by cross-validated measurement against ML.NET's boosted trees
    /// (see the README's leaderboard). The trainer scales the features itself (robust scaling, folded into the first
    /// layer), so no normalizer is needed in front; it standardizes regression targets and maps predictions back;
    /// it trains with Adam, decoupled weight decay and a cosine learning-rate schedule over a fixed epoch budget, and
    /// keeps the epoch with the lowest loss on a held-out share of the rows.
    /// </summary>
    Tabular,

    /// <summary>
    /// scikit-learn's <c>MLPClassifier</c>/<c>MLPRegressor</c> defaults, exactly: hidden layers { 100 }, relu, Adam
    /// 0.001, alpha 0.0001, batch min(200, rows), 200 epochs, stop on the training loss; normalize the features
    /// (and scale regression targets) in front of the trainer.
    /// </summary>
    ScikitLearn,
}

/// <summary>The engine settings each <see cref="MlpRecipe"/> stands for: the one place the recipes are defined.</summary>
internal static class MlpRecipes
{
    private static readonly MlpOptions ScikitLearn = new();

    private static readonly MlpOptions Tabular = new()
    {
        HiddenLayerSizes = [MlpDefaults.TabularWidth, MlpDefaults.TabularWidth],
        Activation = Activation.Relu,
        Solver = new AdamSolver { LearningRate = MlpDefaults.LearningRate },
        L2Regularization = MlpDefaults.L2Regularization,
        BatchSize = MlpDefaults.BatchSize,
        MaxEpochs = MaxTabularEpochs,
        EarlyStopping = true,
        ValidationFraction = 0.2,
        EarlyStoppingMetric = EarlyStoppingMetric.Loss,
        EpochsWithoutImprovement = 8,
        InputScaling = InputScaling.Robust,
        StandardizeTargets = true,
        PiecewiseLinearBins = MlpDefaults.PiecewiseLinearBins,
        PiecewiseLinearDistinctValues = 128,
        WeightDecay = 0,
        LearningRateDecay = LearningRateDecay.Cosine,
        WarmupFraction = 0,
    };

    /// <summary>
    /// The mini-batch size a batch size of 0 stands for: scikit-learn's <c>min(200, rows)</c> (the engine's rule), or
    /// for the tabular recipe a sixteenth of the rows, clamped to [32, 256], so a small data set still gets enough
    /// steps per epoch and a large one runs the kernels on large blocks.
    /// </summary>
    public static int AutomaticBatchSize(MlpRecipe recipe, int rows) =>
        recipe == MlpRecipe.Tabular ? Math.Clamp(rows / 16, MinTabularBatch, MaxTabularBatch) : Math.Min(MlpOptions.AutomaticBatchCap, rows);

    /// <summary>
    /// The epoch budget a <see cref="MlpTrainerOptions.NumberOfIterations"/> of 0 stands for: enough epochs for about
    /// 1024 optimizer steps, clamped to [12, 64]. Small data sets (a few dozen steps per epoch) get 64 epochs; census
    /// income (about 80 steps per epoch) gets 12, with the cosine schedule annealed over those instead of stopping
    /// early at a high learning rate.
    /// </summary>
    public static int AutomaticEpochs(int rows, int batchSize, double trainingShare)
    {
        long steps = Math.Max(1, (long)Math.Ceiling(rows * trainingShare / batchSize));
        return (int)Math.Clamp(TabularSteps / steps, MinTabularEpochs, MaxTabularEpochs);
    }

    /// <summary>
    /// The member count an <see cref="MlpTrainerOptions.EnsembleSize"/> of 0 stands for: 3 below 10,000 rows, where
    /// members are cheap and a single network's seed moves the scores most; 2 from 10,000 rows, which keeps census
    /// income's fit within about 2.5 times LightGbm's.
    /// </summary>
    public static int AutomaticEnsembleSize(int rows) => rows < 10_000 ? 3 : 2;

    /// <summary>The most epochs <see cref="AutomaticEpochs"/> gives (what options validation assumes before the rows are known).</summary>
    public const int MaxTabularEpochs = 64;

    private const int MinTabularEpochs = 12;
    private const long TabularSteps = 1024;
    private const int MinTabularBatch = 32;
    private const int MaxTabularBatch = 256;

    /// <summary>The engine defaults of <paramref name="recipe"/> (shared: callers copy what they hand out).</summary>
    public static MlpOptions Of(MlpRecipe recipe) => recipe switch
    {
        MlpRecipe.Tabular => Tabular,
        MlpRecipe.ScikitLearn => ScikitLearn,
        _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe, $"Recipe must be one of {string.Join(", ", Enum.GetNames<MlpRecipe>())}; got {(int)recipe}."),
    };
}
