using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The rules for the features and example-weight columns (the label's are its task's: <see cref="TaskColumns.CheckLabel"/>), written once for both the estimator's
/// <c>GetOutputSchema</c> (which sees a <see cref="SchemaShape"/>) and <c>Fit</c> (which sees the data's schema):
/// the same column gets the same message on both paths, naming the column, its type and the types allowed.
/// </summary>
internal static class TrainingColumns
{
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

    /// <summary>Example weights: a Single scalar.</summary>
    public static void CheckWeight(Shape column)
    {
        if (column.ItemType != NumberDataViewType.Single || column.IsKey || column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.ExampleWeightColumnName), $"Example weight column '{column.Name}' has type {column.Description}; it must be a scalar Single (float).");
        }
    }
}
