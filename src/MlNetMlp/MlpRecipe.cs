using System;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>A complete set of defaults for the MLP trainers' settings; any setting given explicitly overrides its recipe value.</summary>
public enum MlpRecipe
{
    /// <summary>
    /// The default: a recipe for tabular data chosen by cross-validated measurement against ML.NET's boosted trees
    /// (benchmarks/MlNetMlp.Leaderboard). The trainer encodes every feature piecewise-linearly itself (16 quantile
    /// bins, or each distinct value as an edge for discrete features; kept in the model as a fixed relu layer), so
    /// no normalizer is needed in front; it standardizes regression targets and maps predictions back; hidden layers
    /// { 256, 256 } relu ({ 128, 128 } from 10,000 rows), Adam 0.002 with a cosine schedule over an automatic budget of about 1024 steps (12 to 64
    /// epochs), batches of rows / 16 in [32, 256], no L2; below 10,000 rows it holds out 20% and keeps the epoch with
    /// the lowest validation loss (patience 8) and smooths classification labels by 0.05; and it averages 3 networks (2
    /// from 10,000 rows) merged into one.
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
        Activation = MlpDefaults.Activation,
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
        LabelSmoothing = TabularLabelSmoothing,
        Dropout = 0,
    };

    /// <summary>
    /// The mini-batch size a batch size of 0 stands for: scikit-learn's <c>min(200, rows)</c> (the engine's rule), or
    /// for the tabular recipe a sixteenth of the rows, clamped to [32, 256], so a small data set still gets enough
    /// steps per epoch and a large one runs the kernels on large blocks.
    /// </summary>
    public static int AutomaticBatchSize(MlpRecipe recipe, int rows) =>
        recipe == MlpRecipe.Tabular ? Math.Clamp(rows / 16, MinTabularBatch, MaxTabularBatch) : Math.Min(MlpOptions.AutomaticBatchCap, rows);

    /// <summary>
    /// The epoch budget a <see cref="MlpTrainerOptions.MaximumNumberOfIterations"/> of 0 stands for: enough epochs for about
    /// 1024 optimizer steps, clamped to [12, 64]. Small data sets (a few dozen steps per epoch) get 64 epochs; census
    /// income (about 100 steps per epoch) gets 12, with the cosine schedule annealed over those instead of stopping
    /// early at a high learning rate.
    /// </summary>
    public static int AutomaticEpochs(int rows, int batchSize, double trainingShare)
    {
        long steps = Math.Max(1, (long)Math.Ceiling(rows * trainingShare / batchSize));
        return (int)Math.Clamp(TabularSteps / steps, MinTabularEpochs, MaxTabularEpochs);
    }

    /// <summary>
    /// The hidden layers the tabular recipe uses when <see cref="MlpTrainerOptions.HiddenLayerSizes"/> is left to it:
    /// { 256, 256 } below 10,000 rows, where the wider network scores higher (housing R² 0.882 against 0.871) and costs
    /// little; { 128, 128 } from 10,000 rows, which scores the same on census income (AUC 0.9283 against 0.9282) in
    /// half the time.
    /// </summary>
    public static int[] AutomaticHiddenLayerSizes(int rows) => rows < LargeRows
        ? [MlpDefaults.TabularWidth, MlpDefaults.TabularWidth]
        : [LargeTabularWidth, LargeTabularWidth];

    /// <summary>
    /// The member count an <see cref="MlpTrainerOptions.EnsembleSize"/> of 0 stands for: 3 below 10,000 rows, where
    /// members are cheap and a single network's seed moves the scores most; 2 from 10,000 rows, which keeps census
    /// income's fit time low beside LightGbm's.
    /// </summary>
    public static int AutomaticEnsembleSize(int rows) => rows < LargeRows ? 3 : 2;

    /// <summary>
    /// Whether the tabular recipe holds rows out for early stopping: below 10,000 rows, where the held-out rows pick
    /// the epoch (diabetes: R² 0.47 instead of 0.33); not from 10,000, where the cosine schedule over the automatic
    /// budget does not overfit and the rows are worth more for training (census income: AUC +0.001).
    /// </summary>
    public static bool AutomaticEarlyStopping(int rows) => rows < LargeRows;

    /// <summary>
    /// The label smoothing (classification) the tabular recipe uses when <see cref="MlpTrainerOptions.LabelSmoothing"/>
    /// is left to it: 0.05 below 10,000 rows, where over three seeds it raised every small classification set (digits
    /// accuracy +0.007, iris +0.007, titanic AUC +0.003; 0.1 and 0.2 gained less or as much); none from 10,000, where it
    /// did not help census income (AUC +0.0000 with 0.05, -0.0004 with 0.1, -0.0007 with 0.2, and -0.0005 in the
    /// leaderboard's own run with 0.05).
    /// </summary>
    public static double AutomaticLabelSmoothing(int rows) => rows < LargeRows ? TabularLabelSmoothing : 0;

    /// <summary>The tabular recipe's label smoothing below <see cref="LargeRows"/> rows.</summary>
    private const double TabularLabelSmoothing = 0.05;

    /// <summary>Rows from which the tabular recipe treats a data set as large.</summary>
    private const int LargeRows = 10_000;

    /// <summary>The hidden-layer width of the tabular recipe on a large data set.</summary>
    private const int LargeTabularWidth = 128;

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
