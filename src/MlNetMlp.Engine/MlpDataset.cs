using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Training rows held once as one row-major float32 block <c>features (rows, featureCount)</c>, with their
/// targets and optional example weights. The arrays are used as given, not copied: do not change them while a
/// fit runs. Construction checks every value and rejects bad ones with the row and column; nothing is skipped.
/// </summary>
public sealed class MlpDataset
{
    private MlpDataset(MlpTask task, float[] features, int featureCount, int[]? labels, int classCount, float[]? targets, int targetCount, float[]? weights)
    {
        Task = task;
        Features = features;
        FeatureCount = featureCount;
        RowCount = features.Length / featureCount;
        Labels = labels;
        ClassCount = classCount;
        Targets = targets;
        TargetCount = targetCount;
        Weights = weights;
    }

    /// <summary>The task the targets define.</summary>
    public MlpTask Task { get; }

    /// <summary>Row-major <c>(RowCount, FeatureCount)</c> features.</summary>
    public float[] Features { get; }

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

    /// <summary>Bytes the rows occupy: features, labels or targets, and example weights.</summary>
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

    internal long ByteCount => (((long)Features.Length + (Targets?.Length ?? 0) + (Weights?.Length ?? 0)) * sizeof(float)) + ((long)(Labels?.Length ?? 0) * sizeof(int));

    /// <summary>Number of network outputs: 1 for binary, the class count for multiclass, the target count for regression.</summary>
    public int OutputCount => Task switch
    {
        MlpTask.BinaryClassification => 1,
        MlpTask.MulticlassClassification => ClassCount,
        _ => TargetCount,
    };

    /// <summary>
    /// Rows for classification: <paramref name="labels"/> holds class indices in [0, <paramref name="classCount"/>).
    /// Two classes give <see cref="MlpTask.BinaryClassification"/> (one logistic output), more give
    /// <see cref="MlpTask.MulticlassClassification"/> (softmax).
    /// </summary>
    public static MlpDataset ForClassification(float[] features, int featureCount, int[] labels, int classCount, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, $"Classification needs at least 2 classes; got {nameof(classCount)} = {classCount}.");
        }

        int rows = CheckFeatures(features, featureCount);
        CheckLength(labels.Length, rows, nameof(labels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label of row {i} is {labels[i]}; class indices must be in [0, {classCount - 1}].");
            }
        }

        CheckWeights(weights, rows);
        var task = classCount == 2 ? MlpTask.BinaryClassification : MlpTask.MulticlassClassification;
        return new MlpDataset(task, features, featureCount, labels, classCount, null, 0, weights);
    }

    /// <summary>Rows for regression: <paramref name="targets"/> is row-major <c>(rows, targetCount)</c>.</summary>
    public static MlpDataset ForRegression(float[] features, int featureCount, float[] targets, int targetCount = 1, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targetCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(targetCount), targetCount, $"Regression needs at least 1 target; got {nameof(targetCount)} = {targetCount}.");
        }

        int rows = CheckFeatures(features, featureCount);
        CheckLength(targets.Length, (long)rows * targetCount, nameof(targets));
        for (int i = 0; i < targets.Length; i++)
        {
            if (!float.IsFinite(targets[i]))
            {
                throw new ArgumentException($"Target of row {i / targetCount} (target {i % targetCount}) is {targets[i]}; targets must be finite numbers.", nameof(targets));
            }
        }

        CheckWeights(weights, rows);
        return new MlpDataset(MlpTask.Regression, features, featureCount, null, 0, targets, targetCount, weights);
    }

    /// <summary>The same rows with other features (the trainer's own input scaling and encoding).</summary>
    internal MlpDataset WithFeatures(float[] features, int featureCount) => new(Task, features, featureCount, Labels, ClassCount, Targets, TargetCount, Weights);

    /// <summary>The same rows with other regression targets of the same shape (the trainer's own target standardization).</summary>
    internal MlpDataset WithTargets(float[] targets) => new(Task, Features, FeatureCount, Labels, ClassCount, targets, TargetCount, Weights);

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

        for (int i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException($"Feature {i % featureCount} of row {i / featureCount} is {features[i]}; features must be finite. Replace missing values (for example with ReplaceMissingValues) or drop those rows first.", nameof(features));
            }
        }

        return features.Length / featureCount;
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
        bool anyPositive = false;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (!float.IsFinite(w) || w < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), w, $"Weight of row {i} is {w}; example weights must be finite and non-negative.");
            }

            anyPositive |= w > 0;
        }

        if (!anyPositive)
        {
            throw new ArgumentException("Every example weight is 0; at least one row needs a positive weight.", nameof(weights));
        }
    }
}
