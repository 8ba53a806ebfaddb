using System;
using System.Threading;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Settings shared by the three MLP trainers. Names follow ML.NET's trainers; each maps to a scikit-learn
/// <c>MLPClassifier</c>/<c>MLPRegressor</c> parameter, given in its documentation. Every setting not given
/// explicitly takes its value from <see cref="Recipe"/>: by default <see cref="MlpRecipe.Tabular"/>;
/// <see cref="MlpRecipe.ScikitLearn"/> gives scikit-learn's defaults exactly.
/// </summary>
public abstract class MlpTrainerOptions
{
    private int[]? _hiddenLayerSizes;
    private bool _hiddenLayerSizesSet;
    private Activation? _activation;
    private MlpSolver? _solver;
    private double? _l2Regularization;
    private int? _batchSize;
    private int? _maximumNumberOfIterations;
    private double? _optimizationTolerance;
    private int? _epochsWithoutImprovement;
    private bool? _earlyStopping;
    private double? _validationFraction;
    private EarlyStoppingMetric? _earlyStoppingMetric;
    private InputScaling? _inputScaling;
    private bool? _standardizeTargets;
    private int? _piecewiseLinearBins;
    private int? _ensembleSize;
    private int? _piecewiseLinearDistinctValues;
    private double? _weightDecay;
    private LearningRateDecay? _learningRateDecay;
    private double? _warmupFraction;
    private double? _dropout;
    private double? _labelSmoothing;

    /// <summary>
    /// A copy the trainer keeps, so that changing these options (or the solver or hidden-layer array they hold) after
    /// the trainer was created does not change what it trains. Settings left to the recipe stay unset in the copy.
    /// </summary>
    internal MlpTrainerOptions Clone()
    {
        var copy = (MlpTrainerOptions)MemberwiseClone();
        copy._hiddenLayerSizes = _hiddenLayerSizes is null ? null : [.. _hiddenLayerSizes];
        copy._solver = _solver?.Clone();
        return copy;
    }

    private protected MlpTrainerOptions()
    {
    }

    /// <summary>
    /// The defaults of every setting not given explicitly. Set it in the object initializer; it cannot change
    /// afterwards. Default <see cref="MlpRecipe.Tabular"/>.
    /// </summary>
    public MlpRecipe Recipe { get; init; }

    /// <summary>The label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = MlpDefaults.LabelColumnName;

    /// <summary>The features column: a known-size vector of <see cref="float"/> (or one <see cref="float"/>). Default <c>"Features"</c>.</summary>
    public string FeatureColumnName { get; set; } = MlpDefaults.FeatureColumnName;

    /// <summary>Optional column of non-negative <see cref="float"/> example weights; null for none. Default null.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>
    /// Widths of the hidden layers; empty for none (then a logistic or linear model). scikit-learn's
    /// <c>hidden_layer_sizes</c>. Tabular { 256, 256 } below 10,000 rows and { 128, 128 } from 10,000 (unless set or
    /// changed); scikit-learn { 100 }.
    /// </summary>
    public int[] HiddenLayerSizes
    {
        get => _hiddenLayerSizes ??= [.. Defaults.HiddenLayerSizes];
        set
        {
            _hiddenLayerSizes = value;
            _hiddenLayerSizesSet = true;
        }
    }

    /// <summary>Activation of the hidden layers. scikit-learn's <c>activation</c>. Default <see cref="Activation.Relu"/>.</summary>
    public Activation Activation { get => _activation ?? Defaults.Activation; set => _activation = value; }

    /// <summary>Negative-side slope of <see cref="Activation.LeakyRelu"/>, in (0, 1). Default 0.01.</summary>
    public float LeakyReluSlope { get; set; } = MlpRecipes.Of(MlpRecipe.ScikitLearn).LeakyReluSlope;

    /// <summary>Negative-side saturation of <see cref="Activation.Elu"/>, positive. Default 1.</summary>
    public float EluAlpha { get; set; } = MlpRecipes.Of(MlpRecipe.ScikitLearn).EluAlpha;

    /// <summary>
    /// The optimizer: <see cref="AdamSolver"/> (scikit-learn's <c>solver='adam'</c>, with <c>learning_rate_init</c>,
    /// <c>beta_1</c>, <c>beta_2</c>, <c>epsilon</c>), <see cref="SgdSolver"/> (<c>'sgd'</c>, with <c>momentum</c>,
    /// <c>nesterovs_momentum</c>, <c>learning_rate</c>, <c>power_t</c>) or <see cref="LbfgsSolver"/> (<c>'lbfgs'</c>,
    /// with <c>max_fun</c>). Tabular: Adam with learning rate 0.002; scikit-learn: Adam with 0.001.
    /// </summary>
    /// <example>
    /// The three solvers side by side: <c>samples/Examples/Solvers.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Solvers</c>.
    /// </example>
    public MlpSolver Solver { get => _solver ??= Defaults.Clone().Solver; set => _solver = value; }

    /// <summary>L2 penalty on the weights, scikit-learn's <c>alpha</c> (scaled by the batch size as scikit-learn does). Tabular 0; scikit-learn 0.0001.</summary>
    public double L2Regularization { get => _l2Regularization ?? Defaults.L2Regularization; set => _l2Regularization = value; }

    /// <summary>Rows per mini-batch; 0 for automatic: scikit-learn's <c>min(200, rows)</c>, or for the tabular recipe rows / 16 clamped to [32, 256]. scikit-learn's <c>batch_size</c>. Default 0.</summary>
    public int BatchSize { get => _batchSize ?? Defaults.BatchSize; set => _batchSize = value; }

    /// <summary>
    /// Maximum number of epochs (L-BFGS: iterations); with a learning-rate decay, the budget it spans; 0 for automatic
    /// (about 1024 steps, clamped to [12, 64] epochs). scikit-learn's <c>max_iter</c>. Tabular 0; scikit-learn 200.
    /// </summary>
    public int MaximumNumberOfIterations { get => _maximumNumberOfIterations ?? (Recipe == MlpRecipe.Tabular ? MlpDefaults.MaximumNumberOfIterations : Defaults.MaxEpochs); set => _maximumNumberOfIterations = value; }

    /// <summary>Shuffle the rows before each epoch. scikit-learn's <c>shuffle</c>. Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// Seed for the initial weights, shuffling and the validation split. scikit-learn's <c>random_state</c>. Default
    /// null: each <c>Fit</c> draws a new seed from the <c>MLContext</c>'s random source, so two fits with one trainer (or
    /// one context) give different models, while a context created with the same seed repeats the same sequence of
    /// fits. Set it to make every fit the same.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Minimum improvement of the loss (or validation score) per epoch; L-BFGS: gradient tolerance. scikit-learn's <c>tol</c>. Default 0.0001.</summary>
    public double OptimizationTolerance { get => _optimizationTolerance ?? Defaults.OptimizationTolerance; set => _optimizationTolerance = value; }

    /// <summary>Epochs without improvement before stopping (or lowering an adaptive rate). scikit-learn's <c>n_iter_no_change</c>. Tabular 8 (on the validation loss; the best epoch is kept); scikit-learn 10.</summary>
    public int EpochsWithoutImprovement { get => _epochsWithoutImprovement ?? Defaults.EpochsWithoutImprovement; set => _epochsWithoutImprovement = value; }

    /// <summary>
    /// Hold out <see cref="ValidationFraction"/> of the rows, stop on the validation score and keep the best weights.
    /// scikit-learn's <c>early_stopping</c>. Tabular: on below 10,000 rows, off from 10,000 (unless set); scikit-learn false.
    /// </summary>
    /// <example>
    /// Early stopping on digits: <c>samples/Examples/EarlyStopping.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- EarlyStopping</c>.
    /// </example>
    public bool EarlyStopping { get => _earlyStopping ?? Defaults.EarlyStopping; set => _earlyStopping = value; }

    /// <summary>Fraction held out for early stopping, in (0, 1); stratified for classification. scikit-learn's <c>validation_fraction</c>. Tabular 0.2; scikit-learn 0.1.</summary>
    public double ValidationFraction { get => _validationFraction ?? Defaults.ValidationFraction; set => _validationFraction = value; }

    /// <summary>What early stopping watches on the held-out rows. Tabular <see cref="EarlyStoppingMetric.Loss"/>; scikit-learn <see cref="EarlyStoppingMetric.Score"/>.</summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get => _earlyStoppingMetric ?? Defaults.EarlyStoppingMetric; set => _earlyStoppingMetric = value; }

    /// <summary>
    /// Scaling the trainer does itself (folded into the first layer, so the model takes raw features and no
    /// normalizer is needed in front). Tabular <see cref="InputScaling.Robust"/>; scikit-learn <see cref="InputScaling.None"/>.
    /// </summary>
    public InputScaling InputScaling { get => _inputScaling ?? Defaults.InputScaling; set => _inputScaling = value; }

    /// <summary>
    /// Piecewise-linear encoding of each feature into at most this many quantile bins (Gorishniy et al. 2022), done by
    /// the trainer and kept in the model as a fixed relu layer in front; 0 for none. Needs relu; replaces
    /// <see cref="InputScaling"/>. Tabular 16 (0, so robust scaling, when an activation other than relu is chosen and this is not set); scikit-learn 0.
    /// </summary>
    public int PiecewiseLinearBins { get => _piecewiseLinearBins ?? Defaults.PiecewiseLinearBins; set => _piecewiseLinearBins = value; }

    /// <summary>Whether neither <see cref="PiecewiseLinearBins"/> nor <see cref="InputScaling"/> was set, so the recipe decides them (sparse features turn both off).</summary>
    internal bool FeatureTreatmentIsAutomatic => _piecewiseLinearBins is null && _inputScaling is null;

    /// <summary>
    /// With <see cref="PiecewiseLinearBins"/>: a feature with at most this many distinct values gets each as a bin
    /// edge (every threshold a tree could use) instead of quantile bins. Tabular 128; scikit-learn 0.
    /// </summary>
    public int PiecewiseLinearDistinctValues { get => _piecewiseLinearDistinctValues ?? Defaults.PiecewiseLinearDistinctValues; set => _piecewiseLinearDistinctValues = value; }

    /// <summary>
    /// Networks trained with consecutive seeds and merged into one that averages their outputs (the fit takes this
    /// many times as long); 0 for automatic (3 below 10,000 rows, else 2). Tabular 0; scikit-learn 1.
    /// </summary>
    public int EnsembleSize { get => _ensembleSize ?? (Recipe == MlpRecipe.Tabular ? MlpDefaults.EnsembleSize : Defaults.EnsembleSize); set => _ensembleSize = value; }

    /// <summary>Regression: train on standardized labels and map the predictions back. Tabular true; scikit-learn false.</summary>
    public bool StandardizeTargets { get => _standardizeTargets ?? Defaults.StandardizeTargets; set => _standardizeTargets = value; }

    /// <summary>Decoupled weight decay (AdamW) on the weights, per step times the learning rate, in [0, 1). Default 0.</summary>
    public double WeightDecay { get => _weightDecay ?? Defaults.WeightDecay; set => _weightDecay = value; }

    /// <summary>Learning-rate schedule over <see cref="MaximumNumberOfIterations"/> epochs. Tabular <see cref="LearningRateDecay.Cosine"/>; scikit-learn <see cref="LearningRateDecay.None"/>.</summary>
    public LearningRateDecay LearningRateDecay { get => _learningRateDecay ?? Defaults.LearningRateDecay; set => _learningRateDecay = value; }

    /// <summary>Share of the steps over which the learning rate rises linearly at the start, in [0, 1). Default 0.</summary>
    public double WarmupFraction { get => _warmupFraction ?? Defaults.WarmupFraction; set => _warmupFraction = value; }

    /// <summary>
    /// Share of hidden units dropped per training row (inverted dropout; prediction uses the whole network), in [0, 1);
    /// needs relu and Adam or SGD. PyTorch's <c>nn.Dropout(p)</c> after each hidden layer; scikit-learn has none. Default 0.
    /// </summary>
    public double Dropout { get => _dropout ?? Defaults.Dropout; set => _dropout = value; }

    /// <summary>
    /// Classification: label smoothing ε of the training loss, in [0, 1) (the target is <c>1 - ε</c> on the label plus ε
    /// spread over the classes). PyTorch's <c>CrossEntropyLoss(label_smoothing=ε)</c>; scikit-learn has none. Ignored for
    /// regression. Tabular 0.05 below 10,000 rows and 0 from 10,000 (unless set); scikit-learn 0.
    /// </summary>
    public double LabelSmoothing { get => _labelSmoothing ?? Defaults.LabelSmoothing; set => _labelSmoothing = value; }

    /// <summary>
    /// Whether the rows are read into memory once or streamed from the view block by block every epoch (data larger than
    /// memory; Adam and SGD only). <see cref="MlpStreaming.Automatic"/> streams when the rows would take more than
    /// <see cref="MemoryBudgetBytes"/> in memory. Default <see cref="MlpStreaming.Automatic"/>.
    /// </summary>
    public MlpStreaming Streaming { get; set; }

    /// <summary>
    /// Memory for the training rows, in bytes: above it <see cref="MlpStreaming.Automatic"/> streams, and a streamed fit
    /// holds at most about this much for rows (two blocks and the statistics sample) besides the model and optimizer
    /// state. 0 for automatic: a quarter of the memory available to the process (the managed-heap limit where
    /// <c>DOTNET_GCHeapHardLimit</c> sets one). Default 0.
    /// </summary>
    public long MemoryBudgetBytes { get; set; }

    /// <summary>
    /// When streaming with <see cref="Shuffle"/>: read each epoch through the view's shuffled cursor where it has one
    /// (ML.NET's binary loader and cache do), which mixes rows across the whole file, besides shuffling within each of
    /// the trainer's blocks. False reads the view in its own order and shuffles only within the blocks (up to 65,536
    /// consecutive rows): less random, and cheaper to read (the binary loader's shuffled cursor passes every row through
    /// a pool between two threads; on an uncompressed file it took 3-4 times the CPU per row of reading in order).
    /// Default true.
    /// </summary>
    public bool StreamingShuffledCursor { get; set; } = true;

    /// <summary>
    /// Threads for the matrix products; null for automatic: the processor count in memory; when streaming, the processor
    /// count or one fewer (leaving the block reader a core), whichever the blocks of each epoch train faster on
    /// (<see cref="MlpOptions.NumberOfThreads"/>). Results do not depend on it. Default null.
    /// </summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Called after every epoch on the training thread (scikit-learn's <c>verbose</c>, as data). Every epoch is also
    /// written to the <c>MLContext</c>'s log. Default null.
    /// </summary>
    public Action<MlpEpochReport>? Progress { get; set; }

    /// <summary>Cancels training between mini-batches; <see cref="OperationCanceledException"/> is thrown. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Whether label smoothing follows the data set's size (the tabular recipe, not set explicitly).</summary>
    internal bool LabelSmoothingIsAutomatic => _labelSmoothing is null && Recipe == MlpRecipe.Tabular;

    /// <summary>Whether early stopping follows the data set's size (the tabular recipe, not set explicitly).</summary>
    internal bool EarlyStoppingIsAutomatic => _earlyStopping is null && Recipe == MlpRecipe.Tabular;

    /// <summary>
    /// Whether the hidden-layer widths follow the data set's size: the tabular recipe, not set, and not changed in
    /// place (the getter hands out the recipe's array for editing).
    /// </summary>
    internal bool HiddenLayerSizesAreAutomatic =>
        !_hiddenLayerSizesSet && Recipe == MlpRecipe.Tabular && (_hiddenLayerSizes is null || _hiddenLayerSizes.AsSpan().SequenceEqual(Defaults.HiddenLayerSizes));

    private MlpOptions Defaults => MlpRecipes.Of(Recipe);

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

        if (MaximumNumberOfIterations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaximumNumberOfIterations), MaximumNumberOfIterations, $"{nameof(MaximumNumberOfIterations)} must be at least 1, or 0 for automatic; got {MaximumNumberOfIterations}.");
        }

        if (EnsembleSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(EnsembleSize), EnsembleSize, $"{nameof(EnsembleSize)} must be at least 1, or 0 for automatic; got {EnsembleSize}.");
        }

        if (!Enum.IsDefined(Streaming))
        {
            throw new ArgumentOutOfRangeException(nameof(Streaming), Streaming, $"{nameof(Streaming)} must be one of {string.Join(", ", Enum.GetNames<MlpStreaming>())}; got {(int)Streaming}.");
        }

        if (Streaming == MlpStreaming.Always && !Solver.TrainsInMiniBatches)
        {
            throw new ArgumentException($"{nameof(Streaming)} = {nameof(MlpStreaming.Always)} needs a mini-batch solver ({nameof(AdamSolver)} or {nameof(SgdSolver)}): L-BFGS works on every row at once in each iteration and does not stream. Choose Adam or SGD, or set {nameof(Streaming)} to {nameof(MlpStreaming.Automatic)} or {nameof(MlpStreaming.Never)}.", nameof(Streaming));
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
            MaxEpochs = MaximumNumberOfIterations == 0 ? MlpRecipes.MaxTabularEpochs : MaximumNumberOfIterations,
            Shuffle = Shuffle,
            Seed = Seed ?? seed,
            OptimizationTolerance = OptimizationTolerance,
            EpochsWithoutImprovement = EpochsWithoutImprovement,
            EarlyStopping = EarlyStopping,
            ValidationFraction = ValidationFraction,
            EarlyStoppingMetric = EarlyStoppingMetric,
            InputScaling = InputScaling,
            StandardizeTargets = StandardizeTargets,
            // The recipe's encoding is a relu layer: with another activation chosen it gives way to the recipe's scaling.
            PiecewiseLinearBins = _piecewiseLinearBins is null && Activation != Activation.Relu ? 0 : PiecewiseLinearBins,
            EnsembleSize = EnsembleSize == 0 ? 1 : EnsembleSize,
            PiecewiseLinearDistinctValues = PiecewiseLinearDistinctValues,
            WeightDecay = WeightDecay,
            LearningRateDecay = LearningRateDecay,
            WarmupFraction = WarmupFraction,
            Dropout = Dropout,
            LabelSmoothing = LabelSmoothing,
            NumberOfThreads = NumberOfThreads ?? 0,
            MemoryBudgetBytes = MemoryBudgetBytes,
        };
        options.Validate();
        return options;
    }
}

/// <summary>How an MLP trainer reads its training rows (<see cref="MlpTrainerOptions.Streaming"/>).</summary>
public enum MlpStreaming
{
    /// <summary>Into memory while they fit in <see cref="MlpTrainerOptions.MemoryBudgetBytes"/>; streamed beyond it (L-BFGS: always into memory).</summary>
    Automatic,

    /// <summary>Streamed from the view every epoch, whatever the size (Adam and SGD only).</summary>
    Always,

    /// <summary>Into memory, whatever the size (the behaviour before streaming existed).</summary>
    Never,
}
