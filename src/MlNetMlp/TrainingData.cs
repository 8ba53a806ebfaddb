using System;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Reads an <see cref="IDataView"/> once into the engine's single float32 block, checking every value: a bad
/// value stops training with the column, row and value named; no row is skipped.
/// </summary>
internal static class TrainingData
{
    public sealed record Result(MlpDataset Data, DataViewType FeatureType, ClassNames? ClassNames);

    public static Result Load(IDataView data, MlpTrainerOptions options, MlpTask task)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema schema = data.Schema;
        DataViewSchema.Column features = FindColumn(schema, options.FeatureColumnName, "Features", nameof(options.FeatureColumnName));
        int featureCount = FeatureCount(features);
        DataViewSchema.Column label = FindColumn(schema, options.LabelColumnName, "Label", nameof(options.LabelColumnName));
        TaskColumns taskColumns = TaskColumns.For(task);
        bool classifier = taskColumns.Head.IsClassifier;
        int classCount = taskColumns.CheckLabelType(label);
        DataViewSchema.Column? weight = null;
        if (options.ExampleWeightColumnName is string weightName)
        {
            weight = FindColumn(schema, weightName, "Example weight", nameof(options.ExampleWeightColumnName));
            if (weight.Value.Type != NumberDataViewType.Single)
            {
                throw new ArgumentOutOfRangeException(nameof(data), $"Example weight column '{weightName}' has type {weight.Value.Type}; it must be Single (float).");
            }
        }

        long rows = data.GetRowCount() ?? CountRows(data);
        if (rows == 0)
        {
            throw new ArgumentException("The training data has no rows; training needs at least one.", nameof(data));
        }

        if (rows * featureCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(data), $"The training data has {rows:N0} rows of {featureCount:N0} features, {rows * featureCount:N0} values; one float32 block holds at most {Array.MaxLength:N0}. Train on a sample or reduce the features.");
        }

        int n = (int)rows;
        var x = new float[n * featureCount];
        int[]? labels = classifier ? new int[n] : null;
        float[]? targets = classifier ? null : new float[n];
        float[]? weights = weight is null ? null : new float[n];

        var columns = weight is DataViewSchema.Column w ? new[] { features, label, w } : new[] { features, label };
        using (DataViewRowCursor cursor = data.GetRowCursor(columns))
        {
            ValueGetter<VBuffer<float>>? vectorGetter = features.Type is VectorDataViewType ? cursor.GetGetter<VBuffer<float>>(features) : null;
            ValueGetter<float>? scalarGetter = vectorGetter is null ? cursor.GetGetter<float>(features) : null;
            Func<long, int>? readLabel = classifier ? ClassReader(cursor, label, classCount) : null;
            Func<long, float>? readTarget = classifier ? null : TargetReader(cursor, label);
            ValueGetter<float>? weightGetter = weight is DataViewSchema.Column wc ? cursor.GetGetter<float>(wc) : null;
            var buffer = default(VBuffer<float>);
            int r = 0;
            while (cursor.MoveNext())
            {
                if (r == n)
                {
                    throw new InvalidOperationException($"The training data yielded more than the {n} rows it reported; it must not change while training reads it.");
                }

                Span<float> row = x.AsSpan(r * featureCount, featureCount);
                if (vectorGetter is not null)
                {
                    vectorGetter(ref buffer);
                    if (buffer.Length != featureCount)
                    {
                        throw new InvalidOperationException($"Features column '{features.Name}' has {buffer.Length} values in row {r}; every row must have {featureCount}.");
                    }

                    FeatureReader.CopyDense(in buffer, row);
                }
                else
                {
                    scalarGetter!(ref row[0]);
                }

                for (int j = 0; j < row.Length; j++)
                {
                    if (!float.IsFinite(row[j]))
                    {
                        throw new InvalidOperationException(
                            $"Features column '{features.Name}' has {row[j]} in slot {j} of row {r}; MLP trainers need finite features and do not skip rows. " +
                            "Replace missing values with mlContext.Transforms.ReplaceMissingValues, or drop the rows with mlContext.Data.FilterRowsByMissingValues.");
                    }
                }

                if (labels is not null)
                {
                    labels[r] = readLabel!(r);
                }
                else
                {
                    targets![r] = readTarget!(r);
                }

                if (weightGetter is not null)
                {
                    float value = 0;
                    weightGetter(ref value);
                    if (!float.IsFinite(value) || value < 0)
                    {
                        throw new InvalidOperationException($"Example weight column '{weight!.Value.Name}' has {value} in row {r}; weights must be finite and non-negative.");
                    }

                    weights![r] = value;
                }

                r++;
            }

            if (r != n)
            {
                throw new InvalidOperationException($"The training data yielded {r} rows after reporting {n}; it must not change while training reads it.");
            }
        }

        ClassNames? names = taskColumns.NamesFromLabel(label, classCount);
        MlpDataset dataset;
        if (classifier)
        {
            CheckTwoClasses(labels!, label.Name, taskColumns, names);
            CheckEveryClassTrains(labels!, weights, classCount, label.Name, options, taskColumns, names);
            dataset = MlpDataset.ForClassification(x, featureCount, labels!, classCount, weights, task);
        }
        else
        {
            dataset = MlpDataset.ForRegression(x, featureCount, targets!, 1, weights);
        }

        return new Result(dataset, features.Type, names);
    }

    /// <summary>The number of features a features column provides, or an error naming it.</summary>
    public static int FeatureCount(DataViewSchema.Column features)
    {
        switch (features.Type)
        {
            case VectorDataViewType vector when vector.ItemType == NumberDataViewType.Single && vector.Size > 0:
                return vector.Size;
            case VectorDataViewType vector when vector.ItemType == NumberDataViewType.Single:
                throw new ArgumentOutOfRangeException(nameof(features), $"Features column '{features.Name}' is a vector of varying length ({vector}); MLP trainers need the same number of features in every row. Build it with Concatenate from fixed-size columns.");
            case NumberDataViewType number when number == NumberDataViewType.Single:
                return 1;
            default:
                throw new ArgumentOutOfRangeException(nameof(features), $"Features column '{features.Name}' has type {features.Type}; it must be a known-size vector of Single (float). Convert it with mlContext.Transforms.Conversion.ConvertType and build it with mlContext.Transforms.Concatenate.");
        }
    }

    private static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role, string option) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(option, $"{role} column '{name}' not found in the training data (set by {option}). Columns present: {string.Join(", ", ColumnNames(schema))}.");

    private static System.Collections.Generic.IEnumerable<string> ColumnNames(DataViewSchema schema)
    {
        foreach (DataViewSchema.Column column in schema)
        {
            if (!column.IsHidden)
            {
                yield return column.Name;
            }
        }
    }

    private static long CountRows(IDataView data)
    {
        long count = 0;
        using DataViewRowCursor cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }

    /// <summary>A reader of the current row's class index: Boolean, key (k to k - 1) or 0/1 numbers.</summary>
    private static Func<long, int> ClassReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
    {
        string name = label.Name;
        if (label.Type == BooleanDataViewType.Instance)
        {
            ValueGetter<bool> getter = cursor.GetGetter<bool>(label);
            return _ =>
            {
                bool value = false;
                getter(ref value);
                return value ? 1 : 0;
            };
        }

        if (label.Type is KeyDataViewType)
        {
            ValueGetter<uint> getter = cursor.GetGetter<uint>(label);
            return row =>
            {
                uint value = 0;
                getter(ref value);
                if (value == 0 || value > classCount)
                {
                    throw new InvalidOperationException($"Label column '{name}' is missing in row {row} (key 0: a value not seen when the key mapping was built); MLP trainers need a label on every row. Filter those rows first, or build the key mapping from all labels.");
                }

                return (int)value - 1;
            };
        }

        Func<double> read = NumberReader(cursor, label);
        return row =>
        {
            double value = read();
            if (value != 0 && value != 1)
            {
                throw new InvalidOperationException($"Label column '{name}' has {value} in row {row}; a numeric binary label must be 0 or 1 (or use a Boolean column).");
            }

            return (int)value;
        };
    }

    /// <summary>A reader of the current row's regression target.</summary>
    private static Func<long, float> TargetReader(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        Func<double> read = NumberReader(cursor, label);
        return row =>
        {
            double value = read();
            if (!double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
            {
                throw new InvalidOperationException($"Label column '{label.Name}' has {value} in row {row}; regression labels must be finite. Filter missing labels first (mlContext.Data.FilterRowsByMissingValues).");
            }

            return (float)value;
        };
    }

    private static Func<double> NumberReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Single)
        {
            ValueGetter<float> single = cursor.GetGetter<float>(column);
            return () =>
            {
                float value = 0;
                single(ref value);
                return value;
            };
        }

        ValueGetter<double> getter = cursor.GetGetter<double>(column);
        return () =>
        {
            double value = 0;
            getter(ref value);
            return value;
        };
    }

    /// <summary>
    /// The engine's checks that no class present vanishes from training (all its weights 0; one row under early
    /// stopping's stratified split), with the class named by its label value and the columns named.
    /// </summary>
    private static void CheckEveryClassTrains(int[] labels, float[]? weights, int classCount, string name, MlpTrainerOptions options, TaskColumns taskColumns, ClassNames? names)
    {
        int[] sizes = MlpDataset.ClassSizes(labels, classCount);
        if (MlpDataset.ClassWithoutWeight(labels, weights, classCount) is int unweighted)
        {
            throw new ArgumentException($"Label column '{name}' has {sizes[unweighted]} rows of {taskColumns.DescribeClass(unweighted, names)}, all of example weight 0 in column '{options.ExampleWeightColumnName}', so training would never see that class. Give some of its rows a positive weight, or filter its rows out.", nameof(labels));
        }

        if (options.EarlyStopping && Array.IndexOf(sizes, 1) is int single and >= 0)
        {
            throw new ArgumentException($"Label column '{name}': {taskColumns.DescribeClass(single, names)} has only 1 row; early stopping's stratified split needs at least 2 rows of every class present, to keep one for training. Add rows of that class, filter it out, or set {nameof(MlpTrainerOptions.EarlyStopping)} to false.", nameof(labels));
        }
    }

    private static void CheckTwoClasses(int[] labels, string name, TaskColumns taskColumns, ClassNames? names)
    {
        if (MlpDataset.OnlyClass(labels) is not int only)
        {
            return;
        }

        string which = taskColumns.DescribeClass(only, names);
        throw new ArgumentException($"Label column '{name}' has only one class ({which}) in all {labels.Length} training rows; a classifier needs at least two classes.", nameof(labels));
    }
}
