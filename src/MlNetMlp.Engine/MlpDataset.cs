using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Training rows held once, either as one row-major float32 block <c>features (rows, featureCount)</c> or as sparse
/// rows (<see cref="MlpSparseFeatures"/>, which the first layer multiplies over their non-zeros only, with the same
/// results), with their targets and optional example weights. The arrays are used as given, not copied: do not change
/// them while a fit runs. Construction checks every value and rejects bad ones with the row and column; nothing is skipped.
/// </summary>
public sealed class MlpDataset
{
    private MlpDataset(MlpTask task, float[] features, MlpSparseFeatures? sparse, int featureCount, int rowCount, int[]? labels, int classCount, float[]? targets, int targetCount, float[]? weights)
    {
        Task = task;
        Head = OutputHead.For(task);
        Features = features;
        SparseFeatures = sparse;
        FeatureCount = featureCount;
        RowCount = rowCount;
        Labels = labels;
        ClassCount = classCount;
        Targets = targets;
        TargetCount = targetCount;
        Weights = weights;
    }

    /// <summary>The task the targets define.</summary>
    public MlpTask Task { get; }

    /// <summary>The output head of <see cref="Task"/>: loss, outputs, prediction rule. Derived data sets keep it.</summary>
    internal OutputHead Head { get; private init; }

    /// <summary>Row-major <c>(RowCount, FeatureCount)</c> features; empty when the rows are sparse (<see cref="SparseFeatures"/>).</summary>
    public float[] Features { get; }

    /// <summary>The rows as sparse vectors, or null when they are dense (<see cref="Features"/>).</summary>
    public MlpSparseFeatures? SparseFeatures { get; }

    /// <summary>Whether the rows are held sparse.</summary>
    public bool IsSparse => SparseFeatures is not null;

    /// <summary>Number of features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    /// <summary>Class index per row, in [0, <see cref="ClassCount"/>); null for regression.</summary>
    public int[]? Labels { get; }

    /// <summary>Number of classes (2 for binary); 0 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>Row-major <c>(RowCount, TargetCount)</c> targets; null for classification.</summary>
    public float[]? Targets { get; }

    /// <summary>Targets per row for regression; 0 for classification.</summary>
    public int TargetCount { get; }

    /// <summary>Non-negative weight per row, or null for all ones.</summary>
    public float[]? Weights { get; }

    /// <summary>The class every row has, or null when the labels hold at least two classes (or there are none).</summary>
    internal static int? OnlyClass(ReadOnlySpan<int> labels)
    {
        if (labels.IsEmpty)
        {
            return null;
        }

        int first = labels[0];
        foreach (int label in labels)
        {
            if (label != first)
            {
                return null;
            }
        }

        return first;
    }

    /// <summary>Rows of each class: element c counts the labels equal to c.</summary>
    internal static int[] ClassSizes(ReadOnlySpan<int> labels, int classCount)
    {
        var sizes = new int[classCount];
        foreach (int label in labels)
        {
            sizes[label]++;
        }

        return sizes;
    }

    /// <summary>
    /// The first class that has rows, all of example weight 0, or null when there is none (or no weights): such a
    /// class would vanish from training, which would then never learn it.
    /// </summary>
    internal static int? ClassWithoutWeight(ReadOnlySpan<int> labels, ReadOnlySpan<float> weights, int classCount)
    {
        if (weights.IsEmpty)
        {
            return null;
        }

        var present = new bool[classCount];
        var weighted = new bool[classCount];
        AddClassPresence(labels, weights, present, weighted);
        return ClassWithoutWeight(present, weighted);
    }

    /// <summary>Marks the classes of <paramref name="labels"/> as present, and those with a positive weight as weighted (a streamed fit, block by block).</summary>
    internal static void AddClassPresence(ReadOnlySpan<int> labels, ReadOnlySpan<float> weights, Span<bool> present, Span<bool> weighted)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            present[labels[i]] = true;
            weighted[labels[i]] |= weights.IsEmpty || weights[i] > 0;
        }
    }

    /// <summary>The first class present whose rows all have weight 0, or null.</summary>
    internal static int? ClassWithoutWeight(ReadOnlySpan<bool> present, ReadOnlySpan<bool> weighted)
    {
        for (int c = 0; c < present.Length; c++)
        {
            if (present[c] && !weighted[c])
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>Bytes the rows occupy: features, labels or targets, and example weights.</summary>
    internal long ByteCount => (SparseFeatures?.ByteCount ?? 0) + (((long)Features.Length + (Targets?.Length ?? 0) + (Weights?.Length ?? 0)) * sizeof(float)) + ((long)(Labels?.Length ?? 0) * sizeof(int));

    /// <summary>Number of network outputs: 1 for binary, the class count for multiclass, the target count for regression.</summary>
    public int OutputCount => Head.OutputCount(ClassCount, TargetCount);

    /// <summary>
    /// Rows for classification: <paramref name="labels"/> holds class indices in [0, <paramref name="classCount"/>).
    /// Two classes give <see cref="MlpTask.BinaryClassification"/> (one logistic output), more give
    /// <see cref="MlpTask.MulticlassClassification"/> (softmax).
    /// </summary>
    public static MlpDataset ForClassification(float[] features, int featureCount, int[] labels, int classCount, float[]? weights = null) =>
        ForClassification(features, null, featureCount, labels, classCount, weights, OutputHead.ForClasses(classCount).Task);

    /// <summary>
    /// Rows for classification with the output layer of <paramref name="task"/>: with
    /// <see cref="MlpTask.MulticlassClassification"/> two classes get two softmax outputs (what an ML.NET multiclass
    /// trainer gives for a two-valued key label) instead of scikit-learn's one logistic output;
    /// <see cref="MlpTask.BinaryClassification"/> needs exactly two classes.
    /// </summary>
    public static MlpDataset ForClassification(float[] features, int featureCount, int[] labels, int classCount, float[]? weights, MlpTask task) =>
        ForClassification(features, null, featureCount, labels, classCount, weights, task);

    /// <summary>As <see cref="ForClassification(float[], int, int[], int, float[])"/>, with sparse rows.</summary>
    public static MlpDataset ForClassification(MlpSparseFeatures features, int[] labels, int classCount, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        return ForClassification([], features, features.FeatureCount, labels, classCount, weights, OutputHead.ForClasses(classCount).Task);
    }

    /// <summary>As <see cref="ForClassification(float[], int, int[], int, float[], MlpTask)"/>, with sparse rows.</summary>
    public static MlpDataset ForClassification(MlpSparseFeatures features, int[] labels, int classCount, float[]? weights, MlpTask task)
    {
        ArgumentNullException.ThrowIfNull(features);
        return ForClassification([], features, features.FeatureCount, labels, classCount, weights, task);
    }

    private static MlpDataset ForClassification(float[] features, MlpSparseFeatures? sparse, int featureCount, int[] labels, int classCount, float[]? weights, MlpTask task)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, $"Classification needs at least 2 classes; got {nameof(classCount)} = {classCount}.");
        }

        OutputHead head = OutputHead.For(task);
        if (!head.IsClassifier || head.ClassCountFor(head.OutputCount(classCount, 0)) != classCount)
        {
            throw new ArgumentOutOfRangeException(nameof(task), task, $"A {task} head cannot classify {nameof(classCount)} = {classCount} classes.");
        }

        int rows = sparse?.RowCount ?? CheckFeatures(features, featureCount);
        CheckLength(labels.Length, rows, nameof(labels));
        CheckLabelValues(labels, classCount, 0);

        CheckWeights(weights, rows);
        return new MlpDataset(task, features, sparse, featureCount, rows, labels, classCount, null, 0, weights);
    }

    /// <summary>Every label a class index in [0, <paramref name="classCount"/>); the error names the row.</summary>
    internal static void CheckLabelValues(ReadOnlySpan<int> labels, int classCount, long firstRow)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label of row {firstRow + i} is {labels[i]}; class indices must be in [0, {classCount - 1}].");
            }
        }
    }

    /// <summary>Every target finite; the error names the row and the target.</summary>
    internal static void CheckTargetValues(ReadOnlySpan<float> targets, int targetCount, long firstRow)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            if (!float.IsFinite(targets[i]))
            {
                throw new ArgumentException($"Target of row {firstRow + (i / targetCount)} (target {i % targetCount}) is {targets[i]}; targets must be finite numbers.", nameof(targets));
            }
        }
    }

    /// <summary>Every example weight finite and non-negative; the error names the row. Returns whether any is positive.</summary>
    internal static bool CheckWeightValues(ReadOnlySpan<float> weights, long firstRow)
    {
        bool anyPositive = false;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (!float.IsFinite(w) || w < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), w, $"Weight of row {firstRow + i} is {w}; example weights must be finite and non-negative.");
            }

            anyPositive |= w > 0;
        }

        return anyPositive;
    }

    /// <summary>Rows for regression: <paramref name="targets"/> is row-major <c>(rows, targetCount)</c>.</summary>
    public static MlpDataset ForRegression(float[] features, int featureCount, float[] targets, int targetCount = 1, float[]? weights = null) =>
        ForRegression(features, null, featureCount, targets, targetCount, weights);

    /// <summary>As <see cref="ForRegression(float[], int, float[], int, float[])"/>, with sparse rows.</summary>
    public static MlpDataset ForRegression(MlpSparseFeatures features, float[] targets, int targetCount = 1, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        return ForRegression([], features, features.FeatureCount, targets, targetCount, weights);
    }

    private static MlpDataset ForRegression(float[] features, MlpSparseFeatures? sparse, int featureCount, float[] targets, int targetCount, float[]? weights)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targetCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(targetCount), targetCount, $"Regression needs at least 1 target; got {nameof(targetCount)} = {targetCount}.");
        }

        int rows = sparse?.RowCount ?? CheckFeatures(features, featureCount);
        CheckLength(targets.Length, (long)rows * targetCount, nameof(targets));
        CheckTargetValues(targets, targetCount, 0);

        CheckWeights(weights, rows);
        return new MlpDataset(MlpTask.Regression, features, sparse, featureCount, rows, null, 0, targets, targetCount, weights);
    }

    /// <summary>
    /// Widest sparse rows the trainer turns dense for its own input scaling or encoding (one-hot blocks next to
    /// numeric columns, as featurized census data is); wider sparse rows (hashed n-grams) are only ever used as given.
    /// </summary>
    public const int MaxDensifiedFeatures = 4096;

    /// <summary>The same rows held dense (for the trainer's own scaling and encoding, which read every value).</summary>
    internal MlpDataset ToDense()
    {
        if (SparseFeatures is not MlpSparseFeatures sparse)
        {
            return this;
        }

        var dense = new float[checked((long)RowCount * FeatureCount)];
        for (int r = 0; r < RowCount; r++)
        {
            long row = (long)r * FeatureCount;
            for (int k = sparse.RowStarts[r]; k < sparse.RowStarts[r + 1]; k++)
            {
                dense[row + sparse.Indices[k]] = sparse.Values[k];
            }
        }

        return new MlpDataset(Task, dense, null, FeatureCount, RowCount, Labels, ClassCount, Targets, TargetCount, Weights) { Head = Head };
    }

    /// <summary>
    /// The first <paramref name="rowCount"/> rows of buffers that may be longer (a streamed block, refilled for every
    /// block: <see cref="MlpRowBlock"/>). Not checked here: the block's rows were checked as they were read.
    /// </summary>
    internal static MlpDataset View(MlpTask task, float[] features, int featureCount, int rowCount, int[]? labels, int classCount, float[]? targets, int targetCount, float[]? weights) =>
        new(task, features, null, featureCount, rowCount, labels, classCount, targets, targetCount, weights);

    /// <summary>The first row alone, dense, in arrays of its own (the shapes a streamed fit trains, without its rows).</summary>
    internal MlpDataset FirstRow()
    {
        MlpDataset dense = ToDense();
        return new MlpDataset(Task, dense.Features[..FeatureCount], null, FeatureCount, 1, Labels?[..1], ClassCount, Targets?[..TargetCount], TargetCount, Weights?[..1]) { Head = Head };
    }

    /// <summary>The same rows with other features (the trainer's own input scaling and encoding).</summary>
    internal MlpDataset WithFeatures(float[] features, int featureCount) => new(Task, features, null, featureCount, RowCount, Labels, ClassCount, Targets, TargetCount, Weights) { Head = Head };

    /// <summary>The same rows with other regression targets of the same shape (the trainer's own target standardization).</summary>
    internal MlpDataset WithTargets(float[] targets) => new(Task, Features, SparseFeatures, FeatureCount, RowCount, Labels, ClassCount, targets, TargetCount, Weights) { Head = Head };

    /// <summary>The same rows trained with another head of the same task: a test-only head (docs/ARCHITECTURE.md, "An output head").</summary>
    internal MlpDataset WithHead(OutputHead head) => head.Task == Task
        ? new(Task, Features, SparseFeatures, FeatureCount, RowCount, Labels, ClassCount, Targets, TargetCount, Weights) { Head = head }
        : throw new ArgumentException($"A {head.Task} head cannot train {Task} rows.", nameof(head));

    private static int CheckFeatures(float[] features, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (featureCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, $"{nameof(featureCount)} must be at least 1; got {featureCount}.");
        }

        if (features.Length % featureCount != 0)
        {
            throw new ArgumentException($"{nameof(features)} has {features.Length} values, which is not a whole number of rows of {featureCount} features.", nameof(features));
        }

        if (features.Length == 0)
        {
            throw new ArgumentException("The data set has no rows; training needs at least one.", nameof(features));
        }

        CheckFeatureValues(features, featureCount, 0);
        return features.Length / featureCount;
    }

    /// <summary>Every feature finite; the error names the row (<paramref name="firstRow"/> is the first one's number) and the feature.</summary>
    internal static void CheckFeatureValues(ReadOnlySpan<float> features, int featureCount, long firstRow)
    {
        for (int i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException($"Feature {i % featureCount} of row {firstRow + (i / featureCount)} is {features[i]}; features must be finite. Replace missing values or drop those rows first.", nameof(features));
            }
        }
    }

    private static void CheckLength(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} values; the features have {expected} (one per row and target).", name);
        }
    }

    private static void CheckWeights(float[]? weights, int rows)
    {
        if (weights is null)
        {
            return;
        }

        CheckLength(weights.Length, rows, nameof(weights));
        if (!CheckWeightValues(weights, 0))
        {
            throw new ArgumentException("Every example weight is 0; at least one row needs a positive weight.", nameof(weights));
        }
    }
}
