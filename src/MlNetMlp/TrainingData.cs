using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Reads an <see cref="IDataView"/> once into the engine's rows (one float32 block, or sparse rows when the features
/// come sparse), checking every value: a bad value stops training with the column, row and value named; no row is
/// skipped. Memory grows with the rows delivered, never with the count the view claims, and the cancellation token
/// is checked before every row.
/// </summary>
internal static class TrainingData
{
    public sealed record Result(MlpDataset Data, DataViewType FeatureType, ClassNames? ClassNames);

    /// <summary>The training columns of a view, found and checked: shared by loading (<see cref="Load"/>) and streaming (<see cref="DataViewRowSource"/>).</summary>
    public sealed record Columns(DataViewSchema.Column Features, int FeatureCount, DataViewSchema.Column Label, DataViewSchema.Column? Weight, TaskColumns TaskColumns, int ClassCount)
    {
        public bool Classifier => TaskColumns.Head.IsClassifier;

        /// <summary>The columns a cursor needs.</summary>
        public DataViewSchema.Column[] All => Weight is DataViewSchema.Column w ? [Features, Label, w] : [Features, Label];

        /// <summary>The class names the label's key values carry, if any.</summary>
        public ClassNames? ClassNames => TaskColumns.NamesFromLabel(Label, ClassCount);
    }

    /// <summary>Finds and checks the features, label and weight columns, naming any that is missing or of the wrong type.</summary>
    public static Columns Resolve(IDataView data, MlpTrainerOptions options, MlpTask task)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema schema = data.Schema;
        DataViewSchema.Column features = FindColumn(schema, options.FeatureColumnName, "Features", nameof(options.FeatureColumnName));
        TrainingColumns.CheckFeatures(TrainingColumns.Of(features));
        int featureCount = FeatureCount(features);
        DataViewSchema.Column label = FindColumn(schema, options.LabelColumnName, "Label", nameof(options.LabelColumnName));
        TaskColumns taskColumns = TaskColumns.For(task);
        int classCount = taskColumns.CheckLabelType(label);
        DataViewSchema.Column? weight = null;
        if (options.ExampleWeightColumnName is string weightName)
        {
            weight = FindColumn(schema, weightName, "Example weight", nameof(options.ExampleWeightColumnName));
            TrainingColumns.CheckWeight(TrainingColumns.Of(weight.Value));
        }

        return new Columns(features, featureCount, label, weight, taskColumns, classCount);
    }

    /// <summary>
    /// Reads every row into memory. With <paramref name="byteLimit"/>, gives up and returns null as soon as the rows
    /// read take more than that many bytes (the trainer then streams them instead).
    /// </summary>
    public static Result? Load(IDataView data, MlpTrainerOptions options, MlpTask task, long? byteLimit = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        CancellationToken cancellation = options.CancellationToken;
        cancellation.ThrowIfCancellationRequested();
        Columns found = Resolve(data, options, task);
        (DataViewSchema.Column features, int featureCount, DataViewSchema.Column label, DataViewSchema.Column? weight, TaskColumns taskColumns, int classCount) = found;
        bool classifier = found.Classifier;

        // The row count a view reports is not trusted (it may be -1, or far more than it delivers): everything grows
        // with the rows actually read, a block at a time.
        var rows = new FeatureRows(featureCount);
        var labels = new GrowingArray<int>();
        var targets = new GrowingArray<float>();
        var weights = new GrowingArray<float>();
        long r = 0;
        using (DataViewRowCursor cursor = data.GetRowCursor(found.All))
        {
            var source = new FeatureSource(cursor, features, featureCount);
            Func<long, int>? readLabel = classifier ? ClassReader(cursor, label, classCount) : null;
            Func<long, float>? readTarget = classifier ? null : TargetReader(cursor, label);
            ValueGetter<float>? weightGetter = weight is DataViewSchema.Column wc ? cursor.GetGetter<float>(wc) : null;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                if (!cursor.MoveNext())
                {
                    break;
                }

                rows.Add(source, features.Name, r);
                if (readLabel is not null)
                {
                    labels.Add(readLabel(r));
                }
                else
                {
                    targets.Add(readTarget!(r));
                }

                if (weightGetter is not null)
                {
                    weights.Add(ReadWeight(weightGetter, weight!.Value.Name, r));
                }

                r++;
                if (byteLimit is long limit && rows.ByteCount + ((labels.Count + targets.Count + weights.Count) * sizeof(float)) > limit)
                {
                    return null;
                }
            }
        }

        if (r == 0)
        {
            throw new ArgumentException("The training data has no rows; training needs at least one.", nameof(data));
        }

        ClassNames? names = found.ClassNames;
        float[]? weightArray = weight is null ? null : weights.ToArray();
        MlpDataset dataset;
        if (classifier)
        {
            int[] labelArray = labels.ToArray();
            CheckTwoClasses(labelArray, label.Name, taskColumns, names);
            CheckEveryClassTrains(labelArray, weightArray, classCount, label.Name, options, taskColumns, names);
            dataset = rows.ToSparse() is MlpSparseFeatures sparse
                ? MlpDataset.ForClassification(sparse, labelArray, classCount, weightArray, task)
                : MlpDataset.ForClassification(rows.ToDense(), featureCount, labelArray, classCount, weightArray, task);
        }
        else
        {
            float[] targetArray = targets.ToArray();
            dataset = rows.ToSparse() is MlpSparseFeatures sparse
                ? MlpDataset.ForRegression(sparse, targetArray, 1, weightArray)
                : MlpDataset.ForRegression(rows.ToDense(), featureCount, targetArray, 1, weightArray);
        }

        return new Result(dataset, features.Type, names);
    }

    /// <summary>The number of features a features column provides, or an error naming it.</summary>
    public static int FeatureCount(DataViewSchema.Column features) => features.Type is VectorDataViewType vector ? vector.Size : 1;

    private static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role, string option) =>
        schema.GetColumnOrNull(name) ?? throw TrainingColumns.Missing(role, name, option, ColumnNames(schema));

    private static IEnumerable<string> ColumnNames(DataViewSchema schema)
    {
        foreach (DataViewSchema.Column column in schema)
        {
            if (!column.IsHidden)
            {
                yield return column.Name;
            }
        }
    }

    /// <summary>The current row's example weight, checked: finite and non-negative, or an error naming the column and row.</summary>
    public static float ReadWeight(ValueGetter<float> getter, string column, long row)
    {
        float value = 0;
        getter(ref value);
        if (!float.IsFinite(value) || value < 0)
        {
            throw new InvalidOperationException($"Example weight column '{column}' has {value} in row {row}; weights must be finite and non-negative.");
        }

        return value;
    }

    /// <summary>A reader of the current row's class index: Boolean, key (k to k - 1) or 0/1 numbers.</summary>
    public static Func<long, int> ClassReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
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
            Func<ulong> getter = KeyReader(cursor, label);
            return row =>
            {
                ulong value = getter();
                if (value == 0 || value > (ulong)classCount)
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

    /// <summary>A reader of a key column of any unsigned raw type, as its raw value.</summary>
    private static Func<ulong> KeyReader(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        Type raw = label.Type.RawType;
        if (raw == typeof(byte))
        {
            ValueGetter<byte> getter = cursor.GetGetter<byte>(label);
            return () =>
            {
                byte value = 0;
                getter(ref value);
                return value;
            };
        }

        if (raw == typeof(ushort))
        {
            ValueGetter<ushort> getter = cursor.GetGetter<ushort>(label);
            return () =>
            {
                ushort value = 0;
                getter(ref value);
                return value;
            };
        }

        if (raw == typeof(ulong))
        {
            ValueGetter<ulong> getter = cursor.GetGetter<ulong>(label);
            return () =>
            {
                ulong value = 0;
                getter(ref value);
                return value;
            };
        }

        ValueGetter<uint> uintGetter = cursor.GetGetter<uint>(label);
        return () =>
        {
            uint value = 0;
            uintGetter(ref value);
            return value;
        };
    }

    /// <summary>A reader of the current row's regression target.</summary>
    public static Func<long, float> TargetReader(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        Func<double> read = NumberReader(cursor, label);
        return row =>
        {
            double value = read();
            if (!double.IsFinite(value))
            {
                throw new InvalidOperationException($"Label column '{label.Name}' has {value} in row {row}; regression labels must be finite. Filter missing labels first (mlContext.Data.FilterRowsByMissingValues).");
            }

            if (Math.Abs(value) > float.MaxValue)
            {
                throw new InvalidOperationException($"Label column '{label.Name}' has {value} in row {row}, out of float range (at most {float.MaxValue} in magnitude): MLP trainers compute in float32. Scale the label first, for example with mlContext.Transforms.NormalizeMeanVariance.");
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

/// <summary>
/// The feature rows read so far, in blocks that grow with the rows delivered: dense, or (when the first row of a vector
/// column comes sparse) as compressed rows of the non-zero values, kept so unless they would take more memory than
/// the dense block.
/// </summary>
internal sealed class FeatureRows
{
    private readonly int _featureCount;
    private readonly GrowingArray<float> _dense = new();
    private readonly GrowingArray<int> _starts = new();
    private readonly GrowingArray<int> _indices = new();
    private readonly GrowingArray<float> _values = new();
    private bool? _sparse;
    private long _rows;

    public FeatureRows(int featureCount)
    {
        _featureCount = featureCount;
        _starts.Add(0);
    }

    /// <summary>Reads and checks the current row of <paramref name="source"/> (row <paramref name="row"/> of column <paramref name="column"/>).</summary>
    public void Add(FeatureSource source, string column, long row)
    {
        if (!source.IsVector)
        {
            ReadDense(source, AppendDense(row), column, row);
            _rows++;
            return;
        }

        ref readonly VBuffer<float> vector = ref source.Vector();
        _sparse ??= !vector.IsDense && _featureCount > 1;
        if (_sparse == false)
        {
            Span<float> destination = AppendDense(row);
            FeatureReader.CopyDense(in vector, destination);
            CheckFinite(destination, column, row);
        }
        else
        {
            ReadOnlySpan<float> values = vector.GetValues();
            ReadOnlySpan<int> indices = vector.IsDense ? default : vector.GetIndices();
            for (int i = 0; i < values.Length; i++)
            {
                int slot = vector.IsDense ? i : indices[i];
                CheckFinite(values[i], slot, column, row);
                if (values[i] != 0)
                {
                    if (_values.Count == Array.MaxLength)
                    {
                        throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.FeatureColumnName), $"The training data's features column '{column}' stores more than {Array.MaxLength:N0} non-zero values by row {row}; sparse rows hold at most that many. Train on a sample or reduce the features.");
                    }

                    _indices.Add(slot);
                    _values.Add(values[i]);
                }
            }

            _starts.Add((int)_values.Count);
        }

        _rows++;
    }

    /// <summary>
    /// Reads the current row's features densely into <paramref name="destination"/> and checks them: training's rule
    /// for a row, shared by loading and streaming (<see cref="DataViewRowSource"/>).
    /// </summary>
    public static void ReadDense(FeatureSource source, Span<float> destination, string column, long row)
    {
        source.Read(destination);
        CheckFinite(destination, column, row);
    }

    /// <summary>Bytes the rows read so far take.</summary>
    public long ByteCount => (_dense.Count + _values.Count) * sizeof(float) + ((_indices.Count + _starts.Count) * sizeof(int));

    /// <summary>The rows as sparse rows, or null when they are dense (or would take less memory dense).</summary>
    public MlpSparseFeatures? ToSparse()
    {
        if (_sparse != true || PreferDense)
        {
            return null;
        }

        return new MlpSparseFeatures(_featureCount, _starts.ToArray(), _indices.ToArray(), _values.ToArray());
    }

    /// <summary>The rows as one row-major block.</summary>
    public float[] ToDense()
    {
        if (_sparse != true)
        {
            return _dense.ToArray();
        }

        int[] starts = _starts.ToArray();
        int[] indices = _indices.ToArray();
        float[] values = _values.ToArray();
        var dense = new float[_rows * _featureCount];
        for (long r = 0; r < _rows; r++)
        {
            for (int i = starts[r]; i < starts[r + 1]; i++)
            {
                dense[(r * _featureCount) + indices[i]] = values[i];
            }
        }

        return dense;
    }

    /// <summary>Whether compressed rows (8 bytes a value) would not be smaller than the dense block, which fits in one array.</summary>
    private bool PreferDense => _values.Count * 2 >= _rows * _featureCount && _rows * _featureCount <= Array.MaxLength;

    private Span<float> AppendDense(long row)
    {
        if ((_rows + 1) * _featureCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.FeatureColumnName), $"The training data has more than {row:N0} rows of {_featureCount:N0} features; one float32 block holds at most {Array.MaxLength:N0} values. Train on a sample or reduce the features.");
        }

        return _dense.Append(_featureCount);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string column, long row)
    {
        for (int j = 0; j < values.Length; j++)
        {
            if (!float.IsFinite(values[j]))
            {
                CheckFinite(values[j], j, column, row);
            }
        }
    }

    private static void CheckFinite(float value, int slot, string column, long row)
    {
        if (!float.IsFinite(value))
        {
            throw new InvalidOperationException(
                $"Features column '{column}' has {value} in slot {slot} of row {row}; MLP trainers need finite features and do not skip rows. " +
                "Replace missing values with mlContext.Transforms.ReplaceMissingValues, or drop the rows with mlContext.Data.FilterRowsByMissingValues.");
        }
    }
}

/// <summary>
/// Values appended one or a run at a time into blocks that double from 1,024 up to 2^20 values (a run longer than
/// that gets a block of its own), then copied once into one exact array: memory follows what was appended.
/// </summary>
internal sealed class GrowingArray<T>
{
    private const int FirstBlock = 1024;
    private const int LargestBlock = 1 << 20;

    private readonly List<(T[] Block, int Used)> _full = [];
    private T[] _current = [];
    private int _used;

    /// <summary>Values appended so far.</summary>
    public long Count { get; private set; }

    public void Add(T value)
    {
        if (_used == _current.Length)
        {
            Grow(1);
        }

        _current[_used++] = value;
        Count++;
    }

    /// <summary>Appends <paramref name="count"/> contiguous values and returns them to fill.</summary>
    public Span<T> Append(int count)
    {
        if (_current.Length - _used < count)
        {
            Grow(count);
        }

        Span<T> run = _current.AsSpan(_used, count);
        _used += count;
        Count += count;
        return run;
    }

    /// <summary>Everything appended, in order, in one array; the blocks are released.</summary>
    public T[] ToArray()
    {
        var result = new T[Count];
        long at = 0;
        foreach ((T[] block, int used) in _full)
        {
            Array.Copy(block, 0, result, at, used);
            at += used;
        }

        Array.Copy(_current, 0, result, at, _used);
        _full.Clear();
        _current = [];
        _used = 0;
        return result;
    }

    private void Grow(int atLeast)
    {
        if (_used > 0)
        {
            _full.Add((_current, _used));
        }

        int size = Math.Max(atLeast, Math.Min(LargestBlock, Math.Max(FirstBlock, 2 * _current.Length)));
        _current = new T[size];
        _used = 0;
    }
}
