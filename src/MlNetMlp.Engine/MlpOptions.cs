using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Everything that shapes a multilayer perceptron and its training. Defaults follow scikit-learn's
/// <c>MLPClassifier</c>/<c>MLPRegressor</c>; <see cref="Validate"/> checks every setting up front.
/// </summary>
public sealed class MlpOptions
{
    /// <summary>Default mini-batch cap: the batch is <c>min(200, rows)</c> when <see cref="BatchSize"/> is 0.</summary>
    public const int AutomaticBatchCap = 200;

    /// <summary>Widths of the hidden layers, input side first; empty for none (a linear or logistic model). Default { 100 }.</summary>
    public int[] HiddenLayerSizes { get; set; } = [100];

    /// <summary>Activation of every hidden layer. Default <see cref="Activation.Relu"/>.</summary>
    public Activation Activation { get; set; } = Activation.Relu;

    /// <summary>Slope for negative inputs of <see cref="Activation.LeakyRelu"/>, in (0, 1). Default 0.01.</summary>
    public float LeakyReluSlope { get; set; } = 0.01f;

    /// <summary>Saturation value of <see cref="Activation.Elu"/> for negative inputs, positive. Default 1.</summary>
    public float EluAlpha { get; set; } = 1f;

    /// <summary>The optimizer and its settings. Default <see cref="AdamSolver"/> with learning rate 0.001.</summary>
    public MlpSolver Solver { get; set; } = new AdamSolver();

    /// <summary>
    /// Strength of the L2 penalty on the weights (not the biases), scikit-learn's <c>alpha</c>: a batch of B rows
    /// adds <c>alpha / (2 B) * sum(w²)</c> to its loss. Default 0.0001.
    /// </summary>
    public double L2Regularization { get; set; } = 1e-4;

    /// <summary>Rows per mini-batch; 0 means <c>min(200, rows)</c>. A size above the row count is clipped to it. Default 0.</summary>
    public int BatchSize { get; set; }

    /// <summary>
    /// Maximum number of epochs (passes over the training rows), scikit-learn's <c>max_iter</c>; for L-BFGS the
    /// maximum number of iterations. Default 200.
    /// </summary>
    public int MaxEpochs { get; set; } = 200;

    /// <summary>Shuffle the training rows before each epoch. Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Seed of the weight initialization, shuffling and validation split; null draws one at random. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Improvement below which an epoch counts as no progress (training loss, or validation score with early
    /// stopping); for L-BFGS the gradient tolerance. Default 0.0001.
    /// </summary>
    public double OptimizationTolerance { get; set; } = 1e-4;

    /// <summary>
    /// Epochs without an improvement of at least <see cref="OptimizationTolerance"/> after which training stops (or the
    /// adaptive learning rate drops), scikit-learn's <c>n_iter_no_change</c>. Default 10.
    /// </summary>
    public int EpochsWithoutImprovement { get; set; } = 10;

    /// <summary>
    /// Hold out <see cref="ValidationFraction"/> of the rows (stratified for classification), stop when the
    /// validation score (accuracy, or R² for regression) stops improving, and keep the best weights. Default false.
    /// </summary>
    public bool EarlyStopping { get; set; }

    /// <summary>Fraction of rows held out for early stopping, in (0, 1). Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>
    /// Scaling of the features done by the trainer itself and folded into the first layer afterwards, so the model
    /// takes raw features. Not with <see cref="MlpTrainer.PartialFit"/>. Default <see cref="MlNetMlp.InputScaling.None"/> (scikit-learn).
    /// </summary>
    public InputScaling InputScaling { get; set; }

    /// <summary>
    /// Piecewise-linear encoding of every feature into at most this many quantile bins, done by the trainer and
    /// turned into a fixed relu layer in front of the network afterwards (so the model takes raw features); 0 for
    /// none. Needs <see cref="Activation.Relu"/>; replaces <see cref="InputScaling"/> (the encoding does not depend on
    /// the features' scale); no warm start or <see cref="MlpTrainer.PartialFit"/>. Default 0 (scikit-learn).
    /// </summary>
    public int PiecewiseLinearBins { get; set; }

    /// <summary>
    /// With <see cref="PiecewiseLinearBins"/>: a feature with at most this many distinct training values (and at most
    /// one per 64 training rows) gets each of them as a bin edge (exact thresholds, as a tree would place them)
    /// instead of quantile bins; values at or below <c>PiecewiseLinearBins + 1</c> change nothing. Default 0.
    /// </summary>
    public int PiecewiseLinearDistinctValues { get; set; }

    /// <summary>
    /// Members trained with seeds <c>Seed, Seed + 1, ...</c> (other initial weights, batches and validation rows) and
    /// merged into one network that averages their outputs; 1 for a single network. No warm start or
    /// <see cref="MlpTrainer.PartialFit"/> with more than one. Default 1 (scikit-learn).
    /// </summary>
    public int EnsembleSize { get; set; } = 1;

    /// <summary>
    /// Regression: train on standardized targets and fold the mapping back into the output layer, so predictions
    /// are in the label's units. Ignored for classification. Not with <see cref="MlpTrainer.PartialFit"/>. Default false (scikit-learn).
    /// </summary>
    public bool StandardizeTargets { get; set; }

    /// <summary>
    /// Decoupled weight decay (AdamW, Loshchilov and Hutter 2019), on the weights, not the biases: after every step
    /// <c>W -= rate * WeightDecay * W</c>, with the solver's learning rate times the decay schedule's factor. Not for
    /// L-BFGS. Default 0.
    /// </summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// Learning-rate schedule over the epoch budget (<see cref="MaxEpochs"/>), multiplying the solver's rate; not
    /// for L-BFGS or <see cref="MlpTrainer.PartialFit"/>. Default <see cref="LearningRateDecay.None"/> (scikit-learn).
    /// </summary>
    public LearningRateDecay LearningRateDecay { get; set; }

    /// <summary>Share of the steps of the epoch budget over which the rate rises linearly from 0 (warm-up), in [0, 1). Default 0.</summary>
    public double WarmupFraction { get; set; }

    /// <summary>
    /// Inverted dropout of hidden units while training (Srivastava et al. 2014): each hidden activation of a training
    /// row is dropped with this probability and the kept ones scaled by <c>1 / (1 - rate)</c>; prediction uses the whole
    /// network. In [0, 1); needs <see cref="Activation.Relu"/> and a mini-batch solver (Adam or SGD). Which units
    /// drop depends on the seed only, not on the threads. Default 0 (scikit-learn has none).
    /// </summary>
    public double Dropout { get; set; }

    /// <summary>
    /// Label smoothing of the training loss for classification (Szegedy et al. 2016): the target gives <c>1 - ε</c> to
    /// the label and spreads ε evenly over all classes. In [0, 1); early stopping's validation loss stays the plain
    /// log-loss. Ignored for regression. Default 0 (scikit-learn has none).
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>What early stopping watches on the held-out rows. Default <see cref="MlNetMlp.EarlyStoppingMetric.Score"/> (scikit-learn).</summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; set; }

    /// <summary>
    /// Threads the matrix products may use; results are identical for any value. 0 for automatic (the default): the
    /// processor count in memory; in a streamed fit, the processor count or one fewer, whichever trains faster, which
    /// <see cref="StreamThreadChoice"/> measures on blocks of every epoch (the block reader shares the cores).
    /// </summary>
    public int NumberOfThreads { get; set; }

    /// <summary>The threads an in-memory fit uses: <see cref="NumberOfThreads"/>, or the processor count for automatic.</summary>
    internal int FixedThreads => NumberOfThreads > 0 ? NumberOfThreads : Environment.ProcessorCount;

    /// <summary>
    /// Memory a streamed fit (<see cref="MlpTrainer.Fit(IMlpRowSource, MlpModel?, System.Action{MlpEpochReport}?, System.Threading.CancellationToken)"/>)
    /// may hold for rows: its two blocks (one training, one being read) and the sample the recipe's statistics are fitted
    /// on; the model and optimizer state come on top. 0 for automatic: a quarter of the memory available to the process
    /// (<see cref="AutomaticMemoryBudget"/>). Default 0.
    /// </summary>
    public long MemoryBudgetBytes { get; set; }

    /// <summary>The budget <see cref="MemoryBudgetBytes"/> = 0 stands for: a quarter of the memory available to the process (the managed-heap limit where one is set).</summary>
    public static long AutomaticMemoryBudget() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    /// <summary>The memory budget in bytes, <see cref="AutomaticMemoryBudget"/> when <see cref="MemoryBudgetBytes"/> is 0.</summary>
    internal long EffectiveMemoryBudget => MemoryBudgetBytes > 0 ? MemoryBudgetBytes : AutomaticMemoryBudget();

    /// <summary>The most members <see cref="EnsembleSize"/> accepts.</summary>
    public const int MaxEnsembleSize = 64;

    /// <summary>The most bins <see cref="PiecewiseLinearBins"/> accepts.</summary>
    public const int MaxBins = 1024;

    /// <summary>The largest hidden layer accepted, to turn typos such as 1000000 into an error instead of an out-of-memory crash.</summary>
    public const int MaxLayerWidth = 1 << 20;

    /// <summary>Throws <see cref="ArgumentException"/> (or a subclass) naming the first invalid setting, its value and what is allowed.</summary>
    public void Validate()
    {
        if (HiddenLayerSizes is null)
        {
            throw new ArgumentNullException(nameof(HiddenLayerSizes), $"{nameof(HiddenLayerSizes)} must not be null; use an empty array for no hidden layer.");
        }

        for (int i = 0; i < HiddenLayerSizes.Length; i++)
        {
            int size = HiddenLayerSizes[i];
            if (size < 1 || size > MaxLayerWidth)
            {
                throw new ArgumentOutOfRangeException(nameof(HiddenLayerSizes), size, $"{nameof(HiddenLayerSizes)}[{i}] is {size}; each hidden layer needs between 1 and {MaxLayerWidth} units.");
            }
        }

        if (!Enum.IsDefined(Activation))
        {
            throw new ArgumentOutOfRangeException(nameof(Activation), Activation, $"{nameof(Activation)} must be one of {string.Join(", ", Enum.GetNames<Activation>())}; got {(int)Activation}.");
        }

        if (LeakyReluActivation.BrokenRule(LeakyReluSlope) is string slopeRule)
        {
            throw new ArgumentOutOfRangeException(nameof(LeakyReluSlope), LeakyReluSlope, $"{nameof(LeakyReluSlope)} {slopeRule}; got {LeakyReluSlope}.");
        }

        if (EluActivation.BrokenRule(EluAlpha) is string alphaRule)
        {
            throw new ArgumentOutOfRangeException(nameof(EluAlpha), EluAlpha, $"{nameof(EluAlpha)} {alphaRule}; got {EluAlpha}.");
        }

        if (Solver is null)
        {
            throw new ArgumentNullException(nameof(Solver), $"{nameof(Solver)} must be an {nameof(AdamSolver)}, {nameof(SgdSolver)} or {nameof(LbfgsSolver)}.");
        }

        Solver.Validate();

        if (!(L2Regularization >= 0) || double.IsInfinity(L2Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(L2Regularization), L2Regularization, $"{nameof(L2Regularization)} must be a non-negative finite number; got {L2Regularization}.");
        }

        if ((double)float.MaxValue < L2Regularization)
        {
            // The penalty's gradient l2 W is computed in float32.
            throw new ArgumentOutOfRangeException(nameof(L2Regularization), L2Regularization, $"{nameof(L2Regularization)} must be at most {float.MaxValue}, as the penalty's gradient is computed in float32; got {L2Regularization}.");
        }

        if (BatchSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"{nameof(BatchSize)} must be positive, or 0 for min({AutomaticBatchCap}, rows); got {BatchSize}.");
        }

        if (MaxEpochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, $"{nameof(MaxEpochs)} must be at least 1; got {MaxEpochs}.");
        }

        if (!(OptimizationTolerance >= 0) || double.IsInfinity(OptimizationTolerance))
        {
            throw new ArgumentOutOfRangeException(nameof(OptimizationTolerance), OptimizationTolerance, $"{nameof(OptimizationTolerance)} must be a non-negative finite number; got {OptimizationTolerance}.");
        }

        if (EpochsWithoutImprovement < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EpochsWithoutImprovement), EpochsWithoutImprovement, $"{nameof(EpochsWithoutImprovement)} must be at least 1; got {EpochsWithoutImprovement}.");
        }

        if (!(ValidationFraction > 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, $"{nameof(ValidationFraction)} must be in (0, 1); got {ValidationFraction}.");
        }

        if (!Enum.IsDefined(InputScaling))
        {
            throw new ArgumentOutOfRangeException(nameof(InputScaling), InputScaling, $"{nameof(InputScaling)} must be one of {string.Join(", ", Enum.GetNames<InputScaling>())}; got {(int)InputScaling}.");
        }

        if (PiecewiseLinearBins < 0 || PiecewiseLinearBins > MaxBins)
        {
            throw new ArgumentOutOfRangeException(nameof(PiecewiseLinearBins), PiecewiseLinearBins, $"{nameof(PiecewiseLinearBins)} must be in [0, {MaxBins}] (0 for no encoding); got {PiecewiseLinearBins}.");
        }

        if (PiecewiseLinearDistinctValues < 0 || PiecewiseLinearDistinctValues > MaxBins + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PiecewiseLinearDistinctValues), PiecewiseLinearDistinctValues, $"{nameof(PiecewiseLinearDistinctValues)} must be in [0, {MaxBins + 1}]; got {PiecewiseLinearDistinctValues}.");
        }

        if (EnsembleSize < 1 || EnsembleSize > MaxEnsembleSize)
        {
            throw new ArgumentOutOfRangeException(nameof(EnsembleSize), EnsembleSize, $"{nameof(EnsembleSize)} must be in [1, {MaxEnsembleSize}]; got {EnsembleSize}.");
        }

        if (PiecewiseLinearBins > 0 && Activation != Activation.Relu)
        {
            throw new ArgumentException($"{nameof(PiecewiseLinearBins)} = {PiecewiseLinearBins} needs {nameof(Activation)} {nameof(Activation.Relu)} (the encoding becomes a relu layer of the model); got {Activation}. Set {nameof(PiecewiseLinearBins)} to 0 for other activations.", nameof(PiecewiseLinearBins));
        }

        if (!Enum.IsDefined(LearningRateDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRateDecay), LearningRateDecay, $"{nameof(LearningRateDecay)} must be one of {string.Join(", ", Enum.GetNames<LearningRateDecay>())}; got {(int)LearningRateDecay}.");
        }

        if (!Enum.IsDefined(EarlyStoppingMetric))
        {
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingMetric), EarlyStoppingMetric, $"{nameof(EarlyStoppingMetric)} must be one of {string.Join(", ", Enum.GetNames<EarlyStoppingMetric>())}; got {(int)EarlyStoppingMetric}.");
        }

        if (!(WeightDecay >= 0 && WeightDecay < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"{nameof(WeightDecay)} must be in [0, 1); got {WeightDecay}.");
        }

        if (!(WarmupFraction >= 0 && WarmupFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, $"{nameof(WarmupFraction)} must be in [0, 1); got {WarmupFraction}.");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, $"{nameof(Dropout)} must be in [0, 1); got {Dropout}.");
        }

        if (Dropout > 0 && Activation != Activation.Relu)
        {
            throw new ArgumentException($"{nameof(Dropout)} = {Dropout} needs {nameof(Activation)} {nameof(Activation.Relu)}; got {Activation}. Set {nameof(Dropout)} to 0 for other activations.", nameof(Dropout));
        }

        if (Dropout > 0 && !Solver.TrainsInMiniBatches)
        {
            throw new ArgumentException($"{nameof(Dropout)} = {Dropout} needs a mini-batch solver ({nameof(AdamSolver)} or {nameof(SgdSolver)}): L-BFGS needs the same loss at every evaluation. Set {nameof(Dropout)} to 0 or choose Adam or SGD.", nameof(Dropout));
        }

        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, $"{nameof(LabelSmoothing)} must be in [0, 1); got {LabelSmoothing}.");
        }

        if (MemoryBudgetBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), MemoryBudgetBytes, $"{nameof(MemoryBudgetBytes)} must be positive, or 0 for automatic (a quarter of the available memory); got {MemoryBudgetBytes}.");
        }

        if (NumberOfThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), NumberOfThreads, $"{nameof(NumberOfThreads)} must be at least 1, or 0 for automatic; got {NumberOfThreads}.");
        }
    }

    /// <summary>A deep copy, so a trainer is not affected by later changes to the options it was given.</summary>
    public MlpOptions Clone()
    {
        var copy = (MlpOptions)MemberwiseClone();
        copy.HiddenLayerSizes = (int[])HiddenLayerSizes.Clone();
        copy.Solver = Solver.Clone();
        return copy;
    }
}
