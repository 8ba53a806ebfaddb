namespace MlNetMlp;

/// <summary>How the trainer scales the features itself before training (the scaling is folded into the first layer's weights afterwards).</summary>
public enum InputScaling
{
    /// <summary>The features are used as given (scikit-learn: normalize them in front of the trainer).</summary>
    None,

    /// <summary>Per feature: subtract the mean, divide by the standard deviation (constant features are dropped).</summary>
    Standard,

    /// <summary>
    /// Per feature: subtract the median, divide by the interquartile range over 1.349 (a normal feature's standard
    /// deviation); where the quartiles coincide (for example a one-hot slot), by half the range. Robust to outliers.
    /// </summary>
    Robust,
}

/// <summary>How the learning rate changes over the epoch budget, on top of the solver's own rule.</summary>
public enum LearningRateDecay
{
    /// <summary>No change (scikit-learn).</summary>
    None,

    /// <summary>After the warm-up, a half cosine from the solver's rate down to zero at the last step of the last epoch.</summary>
    Cosine,
}

/// <summary>What early stopping watches on the held-out rows.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>Accuracy for classification, R² for regression (scikit-learn's <c>score</c>).</summary>
    Score,

    /// <summary>The training loss (log-loss, cross-entropy or squared error) on the held-out rows: smoother than accuracy, and what probability-based metrics such as AUC follow.</summary>
    Loss,
}
