using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// The output layer of one task, in one place: its activation, its loss and that loss's gradient (the delta),
/// how many outputs a class or target count needs, how many class probabilities it gives and how, its
/// prediction rule, and the validation metric of early stopping. The data set, the model, the serializer, the
/// predictor and the ML.NET adapter ask the head of their <see cref="MlpTask"/> (<see cref="For"/>) instead of
/// deciding by the task themselves. Adding a task is one head file plus one line in <see cref="Heads"/> (and, for
/// ML.NET, its columns in the adapter's <c>TaskColumns</c>).
/// </summary>
/// <remarks>
/// Every head pairs its output activation with the loss it is the canonical link of (sigmoid and log-loss,
/// softmax and cross-entropy, identity and squared error), so the gradient of the loss with respect to the
/// output layer's pre-activation is simply <c>prediction - target</c>, and the output activation never needs a
/// derivative of its own. Losses are computed from the logits in double precision (softplus, log-sum-exp), so
/// they stay exact where probabilities round to 0 or 1 in float32.
/// </remarks>
internal abstract class OutputHead
{
    /// <summary>The registration: one head per <see cref="MlpTask"/>, indexed by its value.</summary>
    private static readonly OutputHead[] Heads = [new LogisticHead(), new SoftmaxHead(), new IdentityHead()];

    /// <summary>The task this head serves.</summary>
    public abstract MlpTask Task { get; }

    /// <summary>Whether rows have class labels (and the head class probabilities and a predicted class).</summary>
    public abstract bool IsClassifier { get; }

    /// <summary>How many outputs a model of this head may have, for messages: <c>1</c>, <c>2 or more</c>.</summary>
    public abstract string AllowedOutputs { get; }

    /// <summary>Every head's <see cref="AllowedOutputs"/>, for messages: <c>BinaryClassification: 1, ...</c>.</summary>
    public static string AllowedOutputsOfEveryTask => string.Join(", ", Array.ConvertAll(Heads, h => $"{h.Task}: {h.AllowedOutputs}"));

    /// <summary>The head of <paramref name="task"/>.</summary>
    public static OutputHead For(MlpTask task) =>
        (uint)task < (uint)Heads.Length ? Heads[(int)task] : throw new ArgumentOutOfRangeException(nameof(task), task, $"Unknown task {(int)task}; known tasks are {string.Join(", ", Enum.GetNames<MlpTask>())}.");

    /// <summary>
    /// scikit-learn's choice of head for <paramref name="classCount"/> classes: one logistic output for two
    /// (<see cref="MlpTask.BinaryClassification"/>), softmax for more.
    /// </summary>
    public static OutputHead ForClasses(int classCount) => For(classCount == 2 ? MlpTask.BinaryClassification : MlpTask.MulticlassClassification);

    /// <summary>Network outputs for <paramref name="classCount"/> classes (classifiers) or <paramref name="targetCount"/> targets (regression).</summary>
    public abstract int OutputCount(int classCount, int targetCount);

    /// <summary>The class count of a model with <paramref name="outputCount"/> outputs (0 for regression), or -1 when this head cannot have that many.</summary>
    public abstract int ClassCountFor(int outputCount);

    /// <summary>The number of class probabilities a row gets: the class count for classifiers, 0 for regression.</summary>
    public int ProbabilityCount(int classCount) => IsClassifier ? classCount : 0;

    /// <summary>
    /// Class probabilities of one row from its raw outputs; <paramref name="outputs"/> may be the start of
    /// <paramref name="probabilities"/> (in place). scikit-learn's <c>predict_proba</c>.
    /// </summary>
    public abstract void Probabilities(ReadOnlySpan<float> outputs, Span<float> probabilities);

    /// <summary>
    /// Class probabilities of <paramref name="rows"/> rows of <paramref name="outputsPerRow"/> raw outputs each, in
    /// place when <paramref name="outputs"/> and <paramref name="probabilities"/> are the same block and the head
    /// gives as many probabilities as it has outputs (softmax). Each row gets exactly what <see cref="Probabilities(ReadOnlySpan{float}, Span{float})"/> gives it.
    /// </summary>
    public void Probabilities(ReadOnlySpan<float> outputs, int rows, int outputsPerRow, Span<float> probabilities, int probabilitiesPerRow)
    {
        for (int r = 0; r < rows; r++)
        {
            Probabilities(outputs.Slice(r * outputsPerRow, outputsPerRow), probabilities.Slice(r * probabilitiesPerRow, probabilitiesPerRow));
        }
    }

    /// <summary>The predicted class of one row from its raw outputs (ties go to the lower index); scikit-learn's <c>predict</c>.</summary>
    public abstract int PredictClass(ReadOnlySpan<float> outputs);

    /// <summary>A fresh accumulator of the early-stopping score (scikit-learn's <c>score</c>) over rows of <paramref name="data"/>.</summary>
    public abstract ValidationMetric CreateMetric(MlpDataset data);

    /// <summary>
    /// Turns <paramref name="outputs"/> <c>(rows.Length, width)</c>, the raw output layer for the given rows, into
    /// the weighted output delta in place, and writes each row's weighted loss <c>w_i loss_i</c> to
    /// <paramref name="rowLosses"/>: rows may be processed in any grouping, and the caller sums them in row order. With
    /// <paramref name="labelSmoothing"/> ε a classifier's target is <c>(1 - ε) onehot(y) + ε / K</c> over its K classes
    /// (Szegedy et al. 2016; the loss is the cross-entropy against that target); regression ignores it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ToDelta(MlpDataset data, ReadOnlySpan<int> rows, Span<float> outputs, Span<double> rowLosses, float labelSmoothing = 0)
    {
        int width = data.OutputCount;
        float[]? weights = data.Weights;
        for (int r = 0; r < rows.Length; r++)
        {
            int row = rows[r];
            Span<float> z = outputs.Slice(r * width, width);
            double loss = LossAndDelta(z, data, row, labelSmoothing);
            if (weights is not null)
            {
                float w = weights[row];
                loss *= w;
                for (int j = 0; j < z.Length; j++)
                {
                    z[j] *= w;
                }
            }

            rowLosses[r] = loss;
        }
    }

    /// <summary>
    /// Replaces one row's raw outputs <paramref name="z"/> with the unweighted delta and returns its unweighted loss,
    /// against the label smoothed by <paramref name="labelSmoothing"/> (classifiers).
    /// </summary>
    protected abstract double LossAndDelta(Span<float> z, MlpDataset data, int row, float labelSmoothing);

    /// <summary>The error for classes asked of a regression head.</summary>
    protected static InvalidOperationException NoClasses() =>
        new("This is a regression model; it has no classes. Use ComputeScores for its predictions.");
}
