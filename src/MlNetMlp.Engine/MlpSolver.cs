using System;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The optimization algorithm and its own settings. Pick one of <see cref="AdamSolver"/>,
/// <see cref="SgdSolver"/> or <see cref="LbfgsSolver"/>; each carries only the settings it uses.
/// </summary>
public abstract class MlpSolver
{
    private protected MlpSolver()
    {
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public abstract void Validate();

    /// <summary>Creates the optimizer state for a parameter vector of the given length (stochastic solvers only).</summary>
    internal abstract StochasticOptimizer? CreateOptimizer(int parameterCount);

    /// <summary>
    /// Creates the minimizer of a solver that works on every row at once (full-batch solvers only: L-BFGS), for
    /// <paramref name="objective"/>, the whole data set's loss and gradient; null for a mini-batch solver.
    /// </summary>
    internal virtual Lbfgs? CreateFullBatchMinimizer(int parameterCount, Lbfgs.Objective objective) => null;

    /// <summary>A copy of these settings, so a trainer is not affected by later changes to the solver it was given.</summary>
    public abstract MlpSolver Clone();

    /// <summary>
    /// Bytes per network parameter that a fit with this solver allocates besides the parameters themselves: the
    /// gradient, the optimizer's state and its working copies. The trainer's memory check and its chunk budget read it.
    /// </summary>
    internal abstract long BytesPerParameter { get; }

    /// <summary>Whether training runs in shuffled mini-batches (epochs, early stopping, PartialFit) rather than on the whole data set.</summary>
    internal abstract bool TrainsInMiniBatches { get; }

    /// <summary>The initial step size of a mini-batch solver (what decoupled weight decay is scaled by); 0 for L-BFGS.</summary>
    internal virtual double InitialLearningRate => 0;

    /// <summary>
    /// Rows of one loss-and-gradient evaluation over <paramref name="rows"/> training rows: the mini-batch,
    /// <c>min(BatchSize, rows)</c> or <c>min(200, rows)</c> when BatchSize is 0, for the stochastic solvers.
    /// </summary>
    internal virtual int BatchRows(MlpOptions options, int rows) =>
        options.BatchSize == 0 ? Math.Min(MlpOptions.AutomaticBatchCap, rows) : Math.Min(options.BatchSize, rows);

    internal static void CheckPositiveFinite(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number; got {value}.");
        }
    }

    internal static void CheckUnitInterval(double value, string name, bool allowZero)
    {
        bool ok = allowZero ? value >= 0 && value < 1 : value > 0 && value < 1;
        if (!ok)
        {
            string range = allowZero ? "[0, 1)" : "(0, 1)";
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in {range}; got {value}.");
        }

        // The update runs in float32, where a value this close to 1 becomes 1 (a decay that never decays).
        if ((float)value >= 1f)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {LargestBelowOne}, the largest float32 below 1, as the update is computed in float32 (where {value} is 1); got {value}.");
        }
    }

    /// <summary>The largest float32 below 1, <c>1 - 2^-24</c>.</summary>
    internal static readonly float LargestBelowOne = MathF.BitDecrement(1f);

    /// <summary>
    /// A positive step size or constant that the update uses in float32: it must round to a positive finite float32,
    /// neither 0 (every step would be 0) nor +Infinity (every step 0 or NaN).
    /// </summary>
    internal static void CheckPositiveFloat32(double value, string name)
    {
        CheckPositiveFinite(value, name);
        float single = (float)value;
        if (single == 0f || float.IsInfinity(single))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {float.Epsilon} and {float.MaxValue}, as the update is computed in float32 (where {value} is {single}); got {value}.");
        }
    }
}

/// <summary>
/// Adam (Kingma and Ba, 2014), as scikit-learn's <c>solver='adam'</c>: per-parameter step sizes from running
/// means of the gradient and of its square, with bias correction folded into the learning rate.
/// </summary>
public sealed class AdamSolver : MlpSolver
{
    /// <summary>Step size (scikit-learn's <c>learning_rate_init</c>); positive and within float32's range. Default 0.001.</summary>
    public double LearningRate { get; set; } = 1e-3;

    internal override double InitialLearningRate => LearningRate;

    /// <summary>Decay of the first-moment estimate, in [0, 1), and below 1 in float32 (at most 0.99999994). Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Decay of the second-moment estimate, in [0, 1), and below 1 in float32 (at most 0.99999994). Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Added to the denominator for numerical stability; between 1.4e-45 and 3.4e38, as the step is computed in float32. Default 1e-8.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <inheritdoc/>
    public override void Validate()
    {
        CheckPositiveFloat32(LearningRate, nameof(LearningRate));
        CheckUnitInterval(Beta1, nameof(Beta1), allowZero: true);
        CheckUnitInterval(Beta2, nameof(Beta2), allowZero: true);

        // In float32 a smaller epsilon is 0 (a parameter with a zero gradient gets 0 / 0) and a larger one +Infinity (every step is 0).
        CheckPositiveFloat32(Epsilon, nameof(Epsilon));
    }

    internal override StochasticOptimizer CreateOptimizer(int parameterCount) => new AdamOptimizer(this, parameterCount);

    /// <inheritdoc/>
    public override AdamSolver Clone() => (AdamSolver)MemberwiseClone();

    /// <summary>The gradient and the two moments, float32 each.</summary>
    internal override long BytesPerParameter => 3 * sizeof(float);

    internal override bool TrainsInMiniBatches => true;
}

/// <summary>
/// Stochastic gradient descent with momentum, optionally Nesterov's, as scikit-learn's <c>solver='sgd'</c>.
/// </summary>
public sealed class SgdSolver : MlpSolver
{
    /// <summary>Initial step size (scikit-learn's <c>learning_rate_init</c>); positive and within float32's range. Default 0.001.</summary>
    public double LearningRate { get; set; } = 1e-3;

    internal override double InitialLearningRate => LearningRate;

    /// <summary>Momentum, in [0, 1), and below 1 in float32 (at most 0.99999994). Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Use Nesterov's momentum (needs <see cref="Momentum"/> &gt; 0 to make a difference). Default true.</summary>
    public bool Nesterov { get; set; } = true;

    /// <summary>How the learning rate changes over training. Default <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Exponent of <see cref="LearningRateSchedule.InverseScaling"/>: the rate is <c>initial / (t + 1)^exponent</c>. scikit-learn's <c>power_t</c>. Default 0.5.</summary>
    public double InverseScalingExponent { get; set; } = 0.5;

    /// <inheritdoc/>
    public override void Validate()
    {
        CheckPositiveFloat32(LearningRate, nameof(LearningRate));
        CheckUnitInterval(Momentum, nameof(Momentum), allowZero: true);
        if (!Enum.IsDefined(Schedule))
        {
            throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, $"{nameof(Schedule)} must be one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}; got {(int)Schedule}.");
        }

        if (!(InverseScalingExponent >= 0) || double.IsInfinity(InverseScalingExponent))
        {
            throw new ArgumentOutOfRangeException(nameof(InverseScalingExponent), InverseScalingExponent, $"{nameof(InverseScalingExponent)} must be a non-negative finite number; got {InverseScalingExponent}.");
        }
    }

    internal override StochasticOptimizer CreateOptimizer(int parameterCount) => new SgdOptimizer(this, parameterCount);

    /// <inheritdoc/>
    public override SgdSolver Clone() => (SgdSolver)MemberwiseClone();

    /// <summary>The gradient and the velocity, float32 each.</summary>
    internal override long BytesPerParameter => 2 * sizeof(float);

    internal override bool TrainsInMiniBatches => true;
}

/// <summary>
/// Limited-memory BFGS on the full training set, as scikit-learn's <c>solver='lbfgs'</c>: each iteration
/// evaluates the loss and gradient over all rows and takes a step found by a line search satisfying the strong
/// Wolfe conditions. Converges fast and well on small data sets; batches, shuffling and early stopping do not apply.
/// </summary>
public sealed class LbfgsSolver : MlpSolver
{
    /// <summary>Maximum number of loss evaluations (scikit-learn's <c>max_fun</c>). Default 15000.</summary>
    public int MaxFunctionEvaluations { get; set; } = 15000;

    /// <summary>Number of past steps kept to approximate the Hessian (scipy's <c>maxcor</c>). Default 10.</summary>
    public int HistorySize { get; set; } = 10;

    /// <inheritdoc/>
    public override void Validate()
    {
        if (MaxFunctionEvaluations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFunctionEvaluations), MaxFunctionEvaluations, $"{nameof(MaxFunctionEvaluations)} must be at least 1; got {MaxFunctionEvaluations}.");
        }

        if (HistorySize < 1 || HistorySize > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(HistorySize), HistorySize, $"{nameof(HistorySize)} must be in [1, 1000]; got {HistorySize}.");
        }
    }

    internal override StochasticOptimizer? CreateOptimizer(int parameterCount) => null;

    internal override Lbfgs CreateFullBatchMinimizer(int parameterCount, Lbfgs.Objective objective) =>
        new(parameterCount, HistorySize, MaxFunctionEvaluations, objective);

    /// <summary>Rows the whole-data-set loss is evaluated in at most, one chunk after another.</summary>
    internal const int EvaluationRows = 1024;

    /// <inheritdoc/>
    public override LbfgsSolver Clone() => (LbfgsSolver)MemberwiseClone();

    /// <summary>
    /// <see cref="Lbfgs"/>'s arrays: <see cref="HistorySize"/> pairs of float64 steps and gradient changes, five
    /// float64 vectors (point, gradient, direction, trial point and gradient), and float32 copies of the point and
    /// the gradient for the network.
    /// </summary>
    internal override long BytesPerParameter => (((2L * HistorySize) + 5) * sizeof(double)) + (2 * sizeof(float));

    internal override bool TrainsInMiniBatches => false;

    /// <summary>Every row, evaluated in chunks of at most <see cref="EvaluationRows"/>.</summary>
    internal override int BatchRows(MlpOptions options, int rows) => Math.Min(rows, EvaluationRows);
}
