namespace MlNetMlp;

/// <summary>The learning task, which fixes the output layer and the loss.</summary>
public enum MlpTask
{
    /// <summary>Two classes: one logistic (sigmoid) output trained with log-loss.</summary>
    BinaryClassification,

    /// <summary>Two or more classes: softmax outputs trained with cross-entropy.</summary>
    MulticlassClassification,

    /// <summary>One or more real targets: identity outputs trained with squared error.</summary>
    Regression,
}

/// <summary>The activation function of the hidden layers.</summary>
public enum Activation
{
    /// <summary><c>f(x) = x</c>.</summary>
    Identity,

    /// <summary><c>f(x) = 1 / (1 + exp(-x))</c>.</summary>
    Logistic,

    /// <summary><c>f(x) = tanh(x)</c>.</summary>
    Tanh,

    /// <summary><c>f(x) = max(0, x)</c>.</summary>
    Relu,

    /// <summary><c>f(x) = x</c> for positive x, <c>slope * x</c> otherwise.</summary>
    LeakyRelu,

    /// <summary><c>f(x) = x</c> for positive x, <c>alpha * (exp(x) - 1)</c> otherwise.</summary>
    Elu,
}

/// <summary>How the SGD learning rate changes during training (scikit-learn's <c>learning_rate</c>).</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at its initial value.</summary>
    Constant,

    /// <summary>After each epoch the rate becomes <c>initial / (t + 1)^InverseScalingExponent</c>, t being the number of samples seen.</summary>
    InverseScaling,

    /// <summary>
    /// The rate stays constant while the training loss (or validation score) keeps improving; when it stalls
    /// for <see cref="MlNetMlp.Engine.MlpOptions.EpochsWithoutImprovement"/> epochs the rate is divided by 5, and training
    /// stops once it falls below 1e-6.
    /// </summary>
    Adaptive,
}

/// <summary>
/// Why training stopped (<see cref="MlNetMlp.Engine.MlpTrainingHistory.StopReason"/>); the history's
/// <see cref="MlNetMlp.Engine.MlpTrainingHistory.StopMessage"/> says it in words with the numbers involved.
/// <see cref="MaximumIterations"/> and <see cref="MaximumFunctionEvaluations"/> mean the optimization did not
/// converge (scikit-learn's <c>ConvergenceWarning</c>); the others that it did, by its own stopping rule.
/// </summary>
public enum MlpStopReason
{
    /// <summary>The model has not been trained (built from parameters).</summary>
    NotTrained,

    /// <summary>
    /// Not converged: <see cref="MlNetMlp.Engine.MlpOptions.MaxEpochs"/> epochs (L-BFGS: iterations) ran while the
    /// loss was still improving. Raise MaxEpochs, raise the learning rate, or normalize the features.
    /// </summary>
    MaximumIterations,

    /// <summary>Not converged: L-BFGS used its <see cref="LbfgsSolver.MaxFunctionEvaluations"/> loss evaluations.</summary>
    MaximumFunctionEvaluations,

    /// <summary>
    /// Converged: the training loss (or, with early stopping, the validation score) did not improve by more than
    /// <see cref="MlNetMlp.Engine.MlpOptions.OptimizationTolerance"/> for <see cref="MlNetMlp.Engine.MlpOptions.EpochsWithoutImprovement"/>
    /// consecutive epochs (with the adaptive schedule: once the learning rate fell below 1e-6).
    /// </summary>
    NoImprovement,

    /// <summary>Converged (L-BFGS): the largest gradient component is below the tolerance.</summary>
    GradientBelowTolerance,

    /// <summary>Converged (L-BFGS): an iteration reduced the loss by a relative 2.2e-9 or less.</summary>
    LossReductionBelowTolerance,

    /// <summary>Converged (L-BFGS): the line search found no lower loss, at the float32 precision of the loss.</summary>
    NoLowerLossFound,

    /// <summary><see cref="MlNetMlp.Engine.MlpTrainer.PartialFit"/> ran its one epoch; convergence is the caller's to judge.</summary>
    PartialFitEpoch,
}
