using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The values behind a multiclass label's keys (the label column's <c>KeyValues</c> annotation), kept so the
/// prediction columns carry them: <c>SlotNames</c> and <c>TrainingLabelValues</c> on Score, <c>KeyValues</c> on
/// PredictedLabel (what <c>MapKeyToValue</c> reads). Text, floating-point, integer and Boolean values are supported.
/// </summary>
internal sealed class ClassNames
{
    private readonly string[]? _text;
    private readonly double[]? _numbers;

    private ClassNames(PrimitiveDataViewType itemType, string[]? text, double[]? numbers)
    {
        ItemType = itemType;
        _text = text;
        _numbers = numbers;
    }

    public PrimitiveDataViewType ItemType { get; }

    public int Count => _text?.Length ?? _numbers!.Length;

    /// <summary>Reads the key values of <paramref name="label"/>, or returns null when it has none of a supported type.</summary>
    public static ClassNames? FromLabel(DataViewSchema.Column label, int classCount)
    {
        DataViewSchema.Column? annotation = label.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (annotation is not DataViewSchema.Column column || column.Type is not VectorDataViewType vector || vector.Size != classCount)
        {
            return null;
        }

        DataViewType item = vector.ItemType;
        if (item is TextDataViewType)
        {
            var values = default(VBuffer<ReadOnlyMemory<char>>);
            label.Annotations.GetValue("KeyValues", ref values);
            var text = new string[classCount];
            int i = 0;
            foreach (ReadOnlyMemory<char> v in values.DenseValues())
            {
                text[i++] = v.ToString();
            }

            return new ClassNames(TextDataViewType.Instance, text, null);
        }

        double[]? numbers = item.RawType switch
        {
            Type t when t == typeof(float) => Read<float>(label, classCount, v => v),
            Type t when t == typeof(double) => Read<double>(label, classCount, v => v),
            Type t when t == typeof(int) => Read<int>(label, classCount, v => v),
            Type t when t == typeof(long) => Read<long>(label, classCount, v => v),
            Type t when t == typeof(uint) => Read<uint>(label, classCount, v => v),
            Type t when t == typeof(bool) => Read<bool>(label, classCount, v => v ? 1 : 0),
            _ => null,
        };
        return numbers is null || item is not PrimitiveDataViewType primitive ? null : new ClassNames(primitive, null, numbers);
    }

    /// <summary>Stand-in names of a given item type, for schema shapes where only the types matter.</summary>
    public static ClassNames Placeholder(PrimitiveDataViewType itemType, int count) =>
        itemType is TextDataViewType
            ? new ClassNames(itemType, new string[count], null)
            : new ClassNames(itemType, null, new double[count]);

    /// <summary>
    /// The network of <paramref name="initial"/> with its classes in the order of <paramref name="current"/>, the
    /// class names of the data a warm start trains on: unchanged when both name the same classes in the same order
    /// (or either has no names), renumbered when they name the same classes in another order, and an error naming
    /// both sets when the classes differ.
    /// </summary>
    public static MlpModel MapClasses(MlpModelParameters initial, ClassNames? current, string labelColumn)
    {
        MlpModel network = initial.Network;
        if (initial.ClassNames is not ClassNames previous || current is null)
        {
            return network;
        }

        IReadOnlyList<string> before = previous.AsText(), now = current.AsText();
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < before.Count; i++)
        {
            position.TryAdd(before[i], i);
        }

        var sourceOfClass = new int[now.Count];
        bool same = previous.ItemType == current.ItemType && before.Count == now.Count && position.Count == before.Count;
        for (int j = 0; same && j < now.Count; j++)
        {
            same = position.TryGetValue(now[j], out sourceOfClass[j]);
        }

        if (!same || new HashSet<int>(sourceOfClass).Count != now.Count)
        {
            throw new ArgumentException(
                $"The initial model was trained on classes [{string.Join(", ", before)}] ({previous.ItemType}); label column '{labelColumn}' has classes [{string.Join(", ", now)}] ({current.ItemType}). A warm start needs the same classes (in any key order); train a new model for a different set.",
                nameof(initial));
        }

        bool reordered = false;
        for (int j = 0; j < sourceOfClass.Length; j++)
        {
            reordered |= sourceOfClass[j] != j;
        }

        // The multiclass head's outputs are its classes, so renumbering the classes reorders the outputs.
        return reordered ? network.WithOutputsReordered(sourceOfClass) : network;
    }

    /// <summary>The class names as text, for display.</summary>
    public IReadOnlyList<string> AsText()
    {
        if (_text is not null)
        {
            return _text;
        }

        var result = new string[_numbers!.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = _numbers[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return result;
    }

    /// <summary>Adds <c>KeyValues</c> with the original item type.</summary>
    public void AddKeyValues(DataViewSchema.Annotations.Builder builder) => AddValues(builder, "KeyValues");

    /// <summary>Adds <c>TrainingLabelValues</c> with the original item type.</summary>
    public void AddTrainingLabelValues(DataViewSchema.Annotations.Builder builder) => AddValues(builder, "TrainingLabelValues");

    /// <summary>Adds <c>SlotNames</c>: the class names as text.</summary>
    public void AddSlotNames(DataViewSchema.Annotations.Builder builder)
    {
        IReadOnlyList<string> names = AsText();
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Count), (ref VBuffer<ReadOnlyMemory<char>> value) => value = TextBuffer(names));
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(TypeCode(ItemType));
        writer.Write(Count);
        for (int i = 0; i < Count; i++)
        {
            if (_text is not null)
            {
                writer.Write(_text[i]);
            }
            else
            {
                writer.Write(_numbers![i]);
            }
        }
    }

    /// <summary>Reads class names written by <see cref="Write"/>; <paramref name="expectedCount"/> -1 accepts any count a model can have (the caller checks it against the network).</summary>
    public static ClassNames Read(BinaryReader reader, int expectedCount)
    {
        byte code = reader.ReadByte();
        int count = reader.ReadInt32();
        if (expectedCount >= 0 ? count != expectedCount : count < 2 || count > MlNetMlp.Engine.MlpOptions.MaxLayerWidth)
        {
            throw new MlNetMlp.Engine.MlpModelFormatException(expectedCount >= 0
                ? $"The model file lists {count} class names for {expectedCount} classes."
                : $"The model file lists {count} class names; a model has between 2 and {MlNetMlp.Engine.MlpOptions.MaxLayerWidth} classes.");
        }

        PrimitiveDataViewType type = code switch
        {
            1 => TextDataViewType.Instance,
            2 => NumberDataViewType.Single,
            3 => NumberDataViewType.Double,
            4 => NumberDataViewType.Int32,
            5 => NumberDataViewType.Int64,
            6 => NumberDataViewType.UInt32,
            7 => BooleanDataViewType.Instance,
            _ => throw new MlNetMlp.Engine.MlpModelFormatException($"Unknown class-name type code {code} in the model file."),
        };
        if (code == 1)
        {
            var text = new string[count];
            for (int i = 0; i < count; i++)
            {
                text[i] = reader.ReadString();
            }

            return new ClassNames(type, text, null);
        }

        var numbers = new double[count];
        for (int i = 0; i < count; i++)
        {
            numbers[i] = reader.ReadDouble();
        }

        return new ClassNames(type, null, numbers);
    }

    private static byte TypeCode(DataViewType type) => type switch
    {
        TextDataViewType => 1,
        _ when type.RawType == typeof(float) => 2,
        _ when type.RawType == typeof(double) => 3,
        _ when type.RawType == typeof(int) => 4,
        _ when type.RawType == typeof(long) => 5,
        _ when type.RawType == typeof(uint) => 6,
        _ => 7,
    };

    private void AddValues(DataViewSchema.Annotations.Builder builder, string kind)
    {
        int n = Count;
        var type = new VectorDataViewType(ItemType, n);
        switch (TypeCode(ItemType))
        {
            case 1:
                builder.Add(kind, type, (ref VBuffer<ReadOnlyMemory<char>> value) => value = TextBuffer(_text!));
                break;
            case 2:
                builder.Add(kind, type, (ref VBuffer<float> value) => value = NumberBuffer(v => (float)v));
                break;
            case 3:
                builder.Add(kind, type, (ref VBuffer<double> value) => value = NumberBuffer(v => v));
                break;
            case 4:
                builder.Add(kind, type, (ref VBuffer<int> value) => value = NumberBuffer(v => (int)v));
                break;
            case 5:
                builder.Add(kind, type, (ref VBuffer<long> value) => value = NumberBuffer(v => (long)v));
                break;
            case 6:
                builder.Add(kind, type, (ref VBuffer<uint> value) => value = NumberBuffer(v => (uint)v));
                break;
            default:
                builder.Add(kind, type, (ref VBuffer<bool> value) => value = NumberBuffer(v => v != 0));
                break;
        }
    }

    private VBuffer<T> NumberBuffer<T>(Func<double, T> convert)
    {
        var values = new T[_numbers!.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = convert(_numbers[i]);
        }

        return new VBuffer<T>(values.Length, values);
    }

    private static VBuffer<ReadOnlyMemory<char>> TextBuffer(IReadOnlyList<string> names)
    {
        var values = new ReadOnlyMemory<char>[names.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = names[i].AsMemory();
        }

        return new VBuffer<ReadOnlyMemory<char>>(values.Length, values);
    }

    private static double[] Read<T>(DataViewSchema.Column label, int classCount, Func<T, double> convert)
    {
        var values = default(VBuffer<T>);
        label.Annotations.GetValue("KeyValues", ref values);
        var result = new double[classCount];
        int i = 0;
        foreach (T v in values.DenseValues())
        {
            result[i++] = convert(v);
        }

        return result;
    }
}
