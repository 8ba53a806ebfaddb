using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The rules for the features, label and example-weight columns, written once for both the estimator's
/// <c>GetOutputSchema</c> (which sees a <see cref="SchemaShape"/>) and <c>Fit</c> (which sees the data's schema):
/// the same column gets the same message on both paths, naming the column, its type and the types allowed.
/// </summary>
internal static class TrainingColumns
{
    /// <summary>The raw types a multiclass key label may have.</summary>
    private static readonly Type[] KeyRawTypes = [typeof(byte), typeof(ushort), typeof(uint), typeof(ulong)];

    /// <summary>What the rules look at: the shape's view of a column, and how to describe its type.</summary>
    public readonly record struct Shape(string Name, SchemaShape.Column.VectorKind Kind, DataViewType ItemType, bool IsKey, string Description);

    public static Shape Of(SchemaShape.Column column) =>
        new(column.Name, column.Kind, column.ItemType, column.IsKey, $"{column.Kind} of {(column.IsKey ? "key " : string.Empty)}{column.ItemType}");

    public static Shape Of(DataViewSchema.Column column)
    {
        DataViewType type = column.Type;
        var kind = SchemaShape.Column.VectorKind.Scalar;
        DataViewType item = type;
        if (type is VectorDataViewType vector)
        {
            kind = vector.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector;
            item = vector.ItemType;
        }

        bool isKey = item is KeyDataViewType;
        return new Shape(column.Name, kind, item, isKey, type.ToString() ?? type.GetType().Name);
    }

    /// <summary>The error for a column that is not there, listing the visible columns present.</summary>
    public static ArgumentOutOfRangeException Missing(string role, string name, string option, IEnumerable<string> present) =>
        new(option, $"{role} column '{name}' not found in the training data (set by {option}). Columns present: {string.Join(", ", present)}.");

    /// <summary>Features: Single, a known-size vector or a scalar.</summary>
    public static void CheckFeatures(Shape column)
    {
        if (column.ItemType == NumberDataViewType.Single && !column.IsKey && column.Kind == SchemaShape.Column.VectorKind.VariableVector)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.FeatureColumnName), $"Features column '{column.Name}' is a vector of varying length ({column.Description}); MLP trainers need the same number of features in every row. Build it with Concatenate from fixed-size columns.");
        }

        if (column.ItemType != NumberDataViewType.Single || column.IsKey)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.FeatureColumnName), $"Features column '{column.Name}' has type {column.Description}; it must be a known-size vector of Single (float), or a Single. Convert it with mlContext.Transforms.Conversion.ConvertType and build it with mlContext.Transforms.Concatenate.");
        }
    }

    /// <summary>The label the task needs: Boolean or 0/1 numbers (binary), an unsigned key (multiclass), Single or Double (regression).</summary>
    public static void CheckLabel(Shape column, MlpTask task)
    {
        bool scalar = column.Kind == SchemaShape.Column.VectorKind.Scalar;
        bool number = !column.IsKey && (column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double);
        string start = $"Label column '{column.Name}' has type {column.Description}";
        switch (task)
        {
            case MlpTask.BinaryClassification:
                if (!scalar || !(number || column.ItemType == BooleanDataViewType.Instance))
                {
                    throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{start}; binary classification needs a scalar Boolean label, or Single or Double holding 0 and 1.");
                }

                break;
            case MlpTask.MulticlassClassification:
                if (scalar && column.IsKey && KeyRawTypes.Contains(column.ItemType.RawType))
                {
                    break;
                }

                string advice = column.IsKey && scalar
                    ? "Map it with mlContext.Transforms.Conversion.MapValueToKey, which makes UInt32 keys."
                    : $"Add mlContext.Transforms.Conversion.MapValueToKey(\"{column.Name}\") before the trainer.";
                throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{start}; multiclass classification needs a scalar key label (a key of Byte, UInt16, UInt32 or UInt64). {advice}");
            default:
                if (!scalar || !number)
                {
                    throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{start}; regression needs a scalar Single or Double label.");
                }

                break;
        }
    }

    /// <summary>Example weights: a Single scalar.</summary>
    public static void CheckWeight(Shape column)
    {
        if (column.ItemType != NumberDataViewType.Single || column.IsKey || column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.ExampleWeightColumnName), $"Example weight column '{column.Name}' has type {column.Description}; it must be a scalar Single (float).");
        }
    }
}
