using System;
using System.Threading;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Settings shared by the three MLP trainers. Names follow ML.NET's trainers; each maps to a scikit-learn
/// <c>MLPClassifier</c>/<c>MLPRegressor</c> parameter, given in its documentation. Defaults are scikit-learn's.
/// </summary>
public abstract class MlpTrainerOptions
{
    /// <summary>The engine's defaults, which these options share (the catalog's constant defaults are in <see cref="MlpDefaults"/>).</summary>
    private static readonly MlpOptions EngineDefaults = new();

    private protected MlpTrainerOptions()
    {
    }

    /// <summary>The label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = MlpDefaults.LabelColumnName;

    /// <summary>The features column: a known-size vector of <see cref="float"/> (or one <see cref="float"/>). Default <c>"Features"</c>.</summary>
    public string FeatureColumnName { get; set; } = MlpDefaults.FeatureColumnName;

    /// <summary>Optional column of non-negative <see cref="float"/> example weights; null for none. Default null.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Widths of the hidden layers; empty for none (then a logistic or linear model). scikit-learn's <c>hidden_layer_sizes</c>. Default { 100 }.</summary>
    public int[] HiddenLayerSizes { get; set; } = [.. EngineDefaults.HiddenLayerSizes];

    /// <summary>Activation of the hidden layers. scikit-learn's <c>activation</c>. Default <see cref="Activation.Relu"/>.</summary>
    public Activation Activation { get; set; } = EngineDefaults.Activation;

    /// <summary>Negative-side slope of <see cref="Activation.LeakyRelu"/>, in (0, 1). Default 0.01.</summary>
    public float LeakyReluSlope { get; set; } = EngineDefaults.LeakyReluSlope;

    /// <summary>Negative-side saturation of <see cref="Activation.Elu"/>, positive. Default 1.</summary>
    public float EluAlpha { get; set; } = EngineDefaults.EluAlpha;

    /// <summary>
    /// The optimizer: <see cref="AdamSolver"/> (scikit-learn's <c>solver='adam'</c>, with <c>learning_rate_init</c>,
    /// <c>beta_1</c>, <c>beta_2</c>, <c>epsilon</c>), <see cref="SgdSolver"/> (<c>'sgd'</c>, with <c>momentum</c>,
    /// <c>nesterovs_momentum</c>, <c>learning_rate</c>, <c>power_t</c>) or <see cref="LbfgsSolver"/> (<c>'lbfgs'</c>,
    /// with <c>max_fun</c>). Default: Adam with learning rate 0.001.
    /// </summary>
    /// <example>
    /// The three solvers side by side: <c>samples/Examples/Solvers.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Solvers</c>.
    /// </example>
    public MlpSolver Solver { get; set; } = new AdamSolver();

    /// <summary>L2 penalty on the weights, scikit-learn's <c>alpha</c> (scaled by the batch size as scikit-learn does). Default 0.0001.</summary>
    public double L2Regularization { get; set; } = MlpDefaults.L2Regularization;

    /// <summary>Rows per mini-batch; 0 for <c>min(200, rows)</c>. scikit-learn's <c>batch_size</c>. Default 0.</summary>
    public int BatchSize { get; set; }

    /// <summary>Maximum number of epochs (L-BFGS: iterations). scikit-learn's <c>max_iter</c>. Default 200.</summary>
    public int NumberOfIterations { get; set; } = MlpDefaults.NumberOfIterations;

    /// <summary>Shuffle the rows before each epoch. scikit-learn's <c>shuffle</c>. Default true.</summary>
    public bool Shuffle { get; set; } = EngineDefaults.Shuffle;

    /// <summary>
    /// Seed for the initial weights, shuffling and the validation split. scikit-learn's <c>random_state</c>. Default
    /// null: each <c>Fit</c> draws a new seed from the <c>MLContext</c>'s random source, so two fits with one trainer (or
    /// one context) give different models, while a context created with the same seed repeats the same sequence of
    /// fits. Set it to make every fit the same.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Minimum improvement of the loss (or validation score) per epoch; L-BFGS: gradient tolerance. scikit-learn's <c>tol</c>. Default 0.0001.</summary>
    public double Tolerance { get; set; } = EngineDefaults.Tolerance;

    /// <summary>Epochs without improvement before stopping (or lowering an adaptive rate). scikit-learn's <c>n_iter_no_change</c>. Default 10.</summary>
    public int EpochsWithoutImprovement { get; set; } = EngineDefaults.EpochsWithoutImprovement;

    /// <summary>Hold out <see cref="ValidationFraction"/> of the rows, stop on the validation score and keep the best weights. scikit-learn's <c>early_stopping</c>. Default false.</summary>
    /// <example>
    /// Early stopping on digits: <c>samples/Examples/EarlyStopping.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- EarlyStopping</c>.
    /// </example>
    public bool EarlyStopping { get; set; }

    /// <summary>Fraction held out for early stopping, in (0, 1); stratified for classification. scikit-learn's <c>validation_fraction</c>. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = EngineDefaults.ValidationFraction;

    /// <summary>Threads for the matrix products; null for the processor count. Results do not depend on it. Default null.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Called after every epoch on the training thread (scikit-learn's <c>verbose</c>, as data). Every epoch is also
    /// written to the <c>MLContext</c>'s log. Default null.
    /// </summary>
    public Action<MlpEpochReport>? Progress { get; set; }

    /// <summary>Cancels training between mini-batches; <see cref="OperationCanceledException"/> is thrown. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The engine's options for these settings, validated.</summary>
    internal MlpOptions ToEngineOptions(int seed)
    {
        if (string.IsNullOrWhiteSpace(LabelColumnName))
        {
            throw new ArgumentException($"{nameof(LabelColumnName)} must name a column; got '{LabelColumnName}'.", nameof(LabelColumnName));
        }

        if (string.IsNullOrWhiteSpace(FeatureColumnName))
        {
            throw new ArgumentException($"{nameof(FeatureColumnName)} must name a column; got '{FeatureColumnName}'.", nameof(FeatureColumnName));
        }

        if (NumberOfIterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfIterations), NumberOfIterations, $"{nameof(NumberOfIterations)} must be at least 1; got {NumberOfIterations}.");
        }

        if (NumberOfThreads is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), NumberOfThreads, $"{nameof(NumberOfThreads)} must be at least 1 (or null for the processor count); got {NumberOfThreads}.");
        }

        var options = new MlpOptions
        {
            HiddenLayerSizes = HiddenLayerSizes,
            Activation = Activation,
            LeakyReluSlope = LeakyReluSlope,
            EluAlpha = EluAlpha,
            Solver = Solver,
            L2Regularization = L2Regularization,
            BatchSize = BatchSize,
            MaxEpochs = NumberOfIterations,
            Shuffle = Shuffle,
            Seed = Seed ?? seed,
            Tolerance = Tolerance,
            EpochsWithoutImprovement = EpochsWithoutImprovement,
            EarlyStopping = EarlyStopping,
            ValidationFraction = ValidationFraction,
            NumberOfThreads = NumberOfThreads ?? Environment.ProcessorCount,
        };
        options.Validate();
        return options;
    }
}
