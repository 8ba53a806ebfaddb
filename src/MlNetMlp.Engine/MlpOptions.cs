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
    public double Tolerance { get; set; } = 1e-4;

    /// <summary>
    /// Epochs without an improvement of at least <see cref="Tolerance"/> after which training stops (or the
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

    /// <summary>Threads the matrix products may use; results are identical for any value. Default: the processor count.</summary>
    public int NumberOfThreads { get; set; } = Environment.ProcessorCount;

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

        if (!(LeakyReluSlope > 0 && LeakyReluSlope < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LeakyReluSlope), LeakyReluSlope, $"{nameof(LeakyReluSlope)} must be in (0, 1); got {LeakyReluSlope}.");
        }

        if (!(EluAlpha > 0) || float.IsInfinity(EluAlpha))
        {
            throw new ArgumentOutOfRangeException(nameof(EluAlpha), EluAlpha, $"{nameof(EluAlpha)} must be a positive finite number; got {EluAlpha}.");
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
            // The penalty's gradient alpha W is computed in float32.
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

        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance))
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, $"{nameof(Tolerance)} must be a non-negative finite number; got {Tolerance}.");
        }

        if (EpochsWithoutImprovement < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EpochsWithoutImprovement), EpochsWithoutImprovement, $"{nameof(EpochsWithoutImprovement)} must be at least 1; got {EpochsWithoutImprovement}.");
        }

        if (!(ValidationFraction > 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, $"{nameof(ValidationFraction)} must be in (0, 1); got {ValidationFraction}.");
        }

        if (NumberOfThreads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), NumberOfThreads, $"{nameof(NumberOfThreads)} must be at least 1; got {NumberOfThreads}.");
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
