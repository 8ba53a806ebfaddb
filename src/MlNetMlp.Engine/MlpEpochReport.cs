using System;

namespace MlNetMlp;

/// <summary>Progress after one epoch (L-BFGS: one iteration), passed to the progress callback of a fit.</summary>
/// <param name="Epoch">1-based epoch number, counted over all fits of the model.</param>
/// <param name="Loss">Mean training loss of the epoch, L2 penalty included.</param>
/// <param name="ValidationScore">Validation accuracy (R² for regression) with early stopping; otherwise null.</param>
/// <param name="LearningRate">The learning rate used in the epoch (NaN for L-BFGS).</param>
/// <param name="Elapsed">Time since the fit started.</param>
public sealed record MlpEpochReport(int Epoch, double Loss, double? ValidationScore, double LearningRate, TimeSpan Elapsed);

/// <summary>
/// Training diverged: the loss or the weights became NaN or infinite. No model is returned; the message says
/// where it happened and what to change.
/// </summary>
public sealed class MlpDivergenceException : InvalidOperationException
{
    /// <summary>Creates the exception with its message.</summary>
    public MlpDivergenceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the exception it adds to (a caller's advice on top of the engine's).</summary>
    public MlpDivergenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
