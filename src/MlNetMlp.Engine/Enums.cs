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

    /// <summary>After each epoch the rate becomes <c>initial / (t + 1)^PowerT</c>, t being the number of samples seen.</summary>
    InverseScaling,

    /// <summary>
    /// The rate stays constant while the training loss (or validation score) keeps improving; when it stalls
    /// for <see cref="MlNetMlp.Engine.MlpOptions.EpochsWithoutImprovement"/> epochs the rate is divided by 5, and training
    /// stops once it falls below 1e-6.
    /// </summary>
    Adaptive,
}
