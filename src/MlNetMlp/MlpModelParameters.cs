using System;
using System.Collections.Generic;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The trained network inside an <see cref="MlpPredictionTransformer"/>: weights, shape and the training record
/// (scikit-learn's fitted attributes <c>coefs_</c>, <c>intercepts_</c>, <c>loss_curve_</c>,
/// <c>validation_scores_</c>, <c>best_loss_</c>, <c>n_iter_</c>, <c>classes_</c>).
/// </summary>
public sealed class MlpModelParameters
{
    internal MlpModelParameters(MlpModel network, ClassNames? classNames)
    {
        Network = network;
        Columns = TaskColumns.For(network.Task);
        ClassNames = classNames;
    }

    /// <summary>The engine's model: shape, weights, history, and a predictor for use outside ML.NET.</summary>
    public MlpModel Network { get; }

    /// <summary>
    /// The task the model was trained for, which fixes its output columns: its network's task. A multiclass model
    /// of two classes has two softmax outputs.
    /// </summary>
    public MlpTask Task => Network.Task;

    /// <summary>Number of input features.</summary>
    public int FeatureCount => Network.InputCount;

    /// <summary>Number of classes (2 for binary); 0 for regression.</summary>
    public int ClassCount => Network.ClassCount;

    /// <summary>
    /// The class values in score-slot order, as text (scikit-learn's <c>classes_</c>): the label's key values for
    /// multiclass models (empty when the label had none), <c>False</c>/<c>True</c> for binary, empty for regression.
    /// </summary>
    public IReadOnlyList<string> Classes => Columns.Classes(ClassNames);

    /// <summary>Widths of the hidden layers.</summary>
    public IReadOnlyList<int> HiddenLayerSizes => Network.HiddenLayerSizes;

    /// <summary>Mean training loss per epoch (L-BFGS: per iteration), L2 penalty included.</summary>
    public IReadOnlyList<double> LossCurve => Network.LossCurve;

    /// <summary>Validation score per epoch with early stopping (accuracy, or R² for regression).</summary>
    public IReadOnlyList<double> ValidationScores => Network.ValidationScores;

    /// <summary>
    /// Lowest training loss reached over the epochs run (L2 penalty included), also under early stopping: there the
    /// weights kept are those of the epoch with the best validation score (<see cref="ValidationScores"/>), which need
    /// not be the epoch of this loss. (scikit-learn leaves <c>best_loss_</c> unset under early stopping.)
    /// </summary>
    public double BestLoss => Network.BestLoss;

    /// <summary>Epochs (L-BFGS: iterations) run.</summary>
    public int EpochsRun => Network.EpochsRun;

    /// <summary>The weight matrix of layer <paramref name="layer"/> as (inputs, outputs).</summary>
    public float[,] GetWeights(int layer) => Network.GetWeights(layer);

    /// <summary>The bias vector of layer <paramref name="layer"/>.</summary>
    public float[] GetBiases(int layer) => Network.GetBiases(layer);

    internal ClassNames? ClassNames { get; }

    /// <summary>The task's columns, label rules and class naming.</summary>
    internal TaskColumns Columns { get; }
}
