using System;
using System.Collections.Generic;

namespace MlNetMlp.Engine;

/// <summary>
/// A trained multilayer perceptron: its shape, its weights and what training recorded (scikit-learn's fitted
/// attributes). Immutable once returned by <see cref="MlpTrainer"/>; safe to share between threads, each using
/// its own <see cref="MlpPredictor"/>.
/// </summary>
public sealed class MlpModel
{
    private readonly int[] _hiddenLayerSizes;

    /// <summary>The predictors' padded copy of the weights, made once on first use and shared by every predictor.</summary>
    private MlpPredictor.PaddedWeights? _paddedWeights;

    internal MlpModel(MlpTask task, int inputCount, int[] hiddenLayerSizes, int outputCount, int classCount, HiddenActivation activation, float[] parameters, MlpTrainingHistory history, StochasticOptimizer? optimizerState = null)
    {
        Task = task;
        Head = OutputHead.For(task);
        InputCount = inputCount;
        _hiddenLayerSizes = hiddenLayerSizes;
        OutputCount = outputCount;
        ClassCount = classCount;
        HiddenActivation = activation;
        int[] sizes = new int[hiddenLayerSizes.Length + 2];
        sizes[0] = inputCount;
        hiddenLayerSizes.CopyTo(sizes, 1);
        sizes[^1] = outputCount;
        Layout = new ParameterLayout(sizes);
        if (parameters.Length != Layout.Count)
        {
            throw new ArgumentException($"Expected {Layout.Count} parameters, got {parameters.Length}.", nameof(parameters));
        }

        Parameters = parameters;
        History = history;
        OptimizerState = optimizerState;
    }

    /// <summary>The task the model was trained for.</summary>
    public MlpTask Task { get; }

    /// <summary>Number of input features.</summary>
    public int InputCount { get; }

    /// <summary>Number of output units: 1 for binary, the class count for multiclass (2 or more), the target count for regression.</summary>
    public int OutputCount { get; }

    /// <summary>Number of classes (2 for binary); 0 for regression. scikit-learn's <c>len(classes_)</c>.</summary>
    public int ClassCount { get; }

    /// <summary>Widths of the hidden layers.</summary>
    public IReadOnlyList<int> HiddenLayerSizes => _hiddenLayerSizes;

    /// <summary>The hidden-layer activation.</summary>
    public Activation Activation => HiddenActivation.Kind;

    /// <summary>The leaky-relu slope the model was built with.</summary>
    public float LeakyReluSlope => HiddenActivation.LeakyReluSlope;

    /// <summary>The ELU alpha the model was built with.</summary>
    public float EluAlpha => HiddenActivation.EluAlpha;

    /// <summary>Number of weight layers (hidden layers + 1).</summary>
    public int LayerCount => Layout.LayerCount;

    /// <summary>Total number of weights and biases.</summary>
    public int ParameterCount => Layout.Count;

    /// <summary>The training record: loss curve, validation scores, best loss, epochs run.</summary>
    public MlpTrainingHistory History { get; }

    /// <summary>Mean training loss of each epoch (L-BFGS: of each iteration), penalty included; scikit-learn's <c>loss_curve_</c>.</summary>
    public IReadOnlyList<double> LossCurve => History.LossCurve;

    /// <summary>Validation score (accuracy, or R² for regression) after each epoch with early stopping; scikit-learn's <c>validation_scores_</c>.</summary>
    public IReadOnlyList<double> ValidationScores => History.ValidationScores;

    /// <summary>Lowest training loss reached; scikit-learn's <c>best_loss_</c>.</summary>
    public double BestLoss => History.BestLoss;

    /// <summary>Epochs (L-BFGS: iterations) run, over all fits of this model; scikit-learn's <c>n_iter_</c>.</summary>
    public int EpochsRun => History.EpochsRun;

    internal HiddenActivation HiddenActivation { get; }

    /// <summary>The output head of <see cref="Task"/>: probabilities, prediction rule, loss.</summary>
    internal OutputHead Head { get; }

    internal ParameterLayout Layout { get; }

    internal float[] Parameters { get; }

    internal StochasticOptimizer? OptimizerState { get; }

    /// <summary>The weight of layer <paramref name="layer"/> as <c>(inputs, outputs)</c>; scikit-learn's <c>coefs_[layer]</c>.</summary>
    public float[,] GetWeights(int layer)
    {
        CheckLayer(layer);
        int rows = Layout.Sizes[layer];
        int columns = Layout.Sizes[layer + 1];
        var result = new float[rows, columns];
        ReadOnlySpan<float> source = Layout.Weights(Parameters, layer);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[i, j] = source[(i * columns) + j];
            }
        }

        return result;
    }

    /// <summary>The bias of layer <paramref name="layer"/>; scikit-learn's <c>intercepts_[layer]</c>.</summary>
    public float[] GetBiases(int layer)
    {
        CheckLayer(layer);
        return Layout.Biases(Parameters, layer).ToArray();
    }

    /// <summary>A copy of all parameters: every layer's weights (row-major) then every layer's biases.</summary>
    public float[] GetParameters() => (float[])Parameters.Clone();

    /// <summary>The predictors' shared padded weights (the parameters do not change once a predictor exists).</summary>
    internal MlpPredictor.PaddedWeights PaddedWeights => System.Threading.LazyInitializer.EnsureInitialized(ref _paddedWeights, () => new MlpPredictor.PaddedWeights(this));

    /// <summary>Creates a predictor with its own work buffers; use one per thread.</summary>
    public MlpPredictor CreatePredictor() => new(this);

    /// <summary>
    /// Creates a model of the given shape from explicit parameters (for example scikit-learn's coefs_ and intercepts_
    /// packed in order). Throws <see cref="ArgumentException"/> (<see cref="ArgumentOutOfRangeException"/> for a value
    /// out of range) naming the first value that breaks a rule of <see cref="MlpModelShape"/>, the same rules a model
    /// file is checked against when it is loaded.
    /// </summary>
    public static MlpModel FromParameters(MlpTask task, int inputCount, int[] hiddenLayerSizes, int outputCount, Activation activation, float[] parameters, float leakyReluSlope = 0.01f, float eluAlpha = 1f)
    {
        ArgumentNullException.ThrowIfNull(hiddenLayerSizes);
        ArgumentNullException.ThrowIfNull(parameters);
        MlpModelShape shape = MlpModelShape.Validate(task, inputCount, hiddenLayerSizes, outputCount, activation, leakyReluSlope, eluAlpha);
        return Create(shape, (float[])parameters.Clone(), new MlpTrainingHistory());
    }

    /// <summary>
    /// The one validated way to build a model from outside values (<see cref="FromParameters"/> and
    /// <see cref="MlpModelSerializer"/>): <paramref name="shape"/> has passed <see cref="MlpModelShape.Validate"/>, and
    /// the parameters are checked against it here. Takes ownership of <paramref name="parameters"/> and
    /// <paramref name="history"/>.
    /// </summary>
    internal static MlpModel Create(MlpModelShape shape, float[] parameters, MlpTrainingHistory history)
    {
        shape.CheckParameters(parameters);
        return new MlpModel(shape.Task, shape.InputCount, shape.HiddenLayerSizes, shape.OutputCount, shape.ClassCount, shape.Activation, parameters, history);
    }

    /// <summary>
    /// The same network with its output units reordered: output j of the result is output
    /// <paramref name="sourceOfOutput"/>[j] of this model (the output layer's weight columns and biases move; the
    /// history is kept; the optimizer state is dropped, as a warm start starts a fresh optimizer). For a softmax
    /// head, whose outputs are the classes, this renumbers the classes.
    /// </summary>
    internal MlpModel WithOutputsReordered(int[] sourceOfOutput)
    {
        int outputs = OutputCount;
        if (sourceOfOutput.Length != outputs || !System.Linq.Enumerable.SequenceEqual(System.Linq.Enumerable.Order(sourceOfOutput), System.Linq.Enumerable.Range(0, outputs)))
        {
            throw new ArgumentException($"The new order must be a permutation of the {outputs} outputs.", nameof(sourceOfOutput));
        }

        var parameters = (float[])Parameters.Clone();
        int last = Layout.LayerCount - 1;
        ReadOnlySpan<float> weights = Layout.Weights(Parameters, last);
        ReadOnlySpan<float> biases = Layout.Biases(Parameters, last);
        Span<float> newWeights = Layout.Weights(parameters.AsSpan(), last);
        Span<float> newBiases = Layout.Biases(parameters.AsSpan(), last);
        int inputs = Layout.Sizes[last];
        for (int j = 0; j < outputs; j++)
        {
            int from = sourceOfOutput[j];
            newBiases[j] = biases[from];
            for (int i = 0; i < inputs; i++)
            {
                newWeights[(i * outputs) + j] = weights[(i * outputs) + from];
            }
        }

        return new MlpModel(Task, InputCount, (int[])_hiddenLayerSizes.Clone(), outputs, ClassCount, HiddenActivation, parameters, History.Clone());
    }

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)Layout.LayerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"{nameof(layer)} must be in [0, {Layout.LayerCount - 1}]; got {layer}.");
        }
    }
}

/// <summary>What training recorded, epoch by epoch.</summary>
public sealed class MlpTrainingHistory
{
    internal MlpTrainingHistory()
    {
    }

    /// <summary>Mean training loss per epoch, L2 penalty included.</summary>
    public IReadOnlyList<double> LossCurve => LossCurveList;

    /// <summary>Validation score per epoch when early stopping is on.</summary>
    public IReadOnlyList<double> ValidationScores => ValidationScoresList;

    /// <summary>
    /// Lowest epoch training loss seen; +∞ before the first epoch. Under early stopping it is still the training loss,
    /// while the weights kept are those of the best validation score (<see cref="BestValidationScore"/>).
    /// </summary>
    public double BestLoss { get; internal set; } = double.PositiveInfinity;

    /// <summary>Best validation score seen; −∞ without early stopping.</summary>
    public double BestValidationScore { get; internal set; } = double.NegativeInfinity;

    /// <summary>The loss at the end of training; scikit-learn's <c>loss_</c>.</summary>
    public double FinalLoss { get; internal set; } = double.NaN;

    /// <summary>Epochs or L-BFGS iterations run.</summary>
    public int EpochsRun { get; internal set; }

    /// <summary>Training samples processed, scikit-learn's <c>t_</c> (drives the inverse-scaling schedule).</summary>
    public long SamplesSeen { get; internal set; }

    /// <summary>Loss evaluations used by L-BFGS; 0 for the stochastic solvers.</summary>
    public int FunctionEvaluations { get; internal set; }

    /// <summary>Why training stopped; <see cref="StopMessage"/> says it in words.</summary>
    public MlpStopReason StopReason { get; internal set; } = MlpStopReason.NotTrained;

    /// <summary>Why training stopped, in words with the numbers involved; empty before training.</summary>
    public string StopMessage { get; internal set; } = string.Empty;

    /// <summary>
    /// Whether the last fit stopped by its own convergence rule rather than by running out of epochs, iterations or
    /// loss evaluations (scikit-learn warns with <c>ConvergenceWarning</c> when it is false). False before training
    /// and after <see cref="MlpTrainer.PartialFit"/>.
    /// </summary>
    public bool Converged => StopReason is MlpStopReason.NoImprovement or MlpStopReason.GradientBelowTolerance or MlpStopReason.LossReductionBelowTolerance or MlpStopReason.NoLowerLossFound;

    internal List<double> LossCurveList { get; } = [];

    internal List<double> ValidationScoresList { get; } = [];

    internal int EpochsWithoutImprovement { get; set; }

    internal MlpTrainingHistory Clone()
    {
        var copy = new MlpTrainingHistory
        {
            BestLoss = BestLoss,
            BestValidationScore = BestValidationScore,
            FinalLoss = FinalLoss,
            EpochsRun = EpochsRun,
            SamplesSeen = SamplesSeen,
            FunctionEvaluations = FunctionEvaluations,
            StopReason = StopReason,
            StopMessage = StopMessage,
            EpochsWithoutImprovement = EpochsWithoutImprovement,
        };
        copy.LossCurveList.AddRange(LossCurveList);
        copy.ValidationScoresList.AddRange(ValidationScoresList);
        return copy;
    }
}
