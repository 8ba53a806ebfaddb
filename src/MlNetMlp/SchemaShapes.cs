using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp;

/// <summary>
/// Builds the <see cref="SchemaShape"/> an estimator promises. <c>SchemaShape.Column</c> has no public constructor,
/// so the shape is made the public way: a <see cref="DataViewSchema"/> with the same columns, read back through a
/// data loader appended to an empty estimator chain, whose output schema ML.NET converts to a shape.
/// </summary>
internal static class SchemaShapes
{
    /// <summary>The input shape plus the given columns.</summary>
    public static SchemaShape Extend(SchemaShape input, IEnumerable<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> added)
    {
        var builder = new DataViewSchema.Builder();
        foreach (SchemaShape.Column column in input)
        {
            builder.AddColumn(column.Name, TypeOf(column.Kind, column.ItemType, column.IsKey), AnnotationsOf(column.Annotations));
        }

        foreach (var (name, type, annotations) in added)
        {
            builder.AddColumn(name, type, annotations);
        }

        return FromSchema(builder.ToSchema());
    }

    /// <summary>The shape of a concrete schema (what ML.NET's internal <c>SchemaShape.Create</c> does).</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) =>
        new SchemaLoader(schema).Append(new EstimatorChain<ITransformer>()).GetOutputSchema();

    /// <summary>The last column named <paramref name="name"/>, as a schema lookup would find it.</summary>
    public static SchemaShape.Column? Find(SchemaShape shape, string name)
    {
        SchemaShape.Column? found = null;
        foreach (SchemaShape.Column column in shape)
        {
            if (column.Name == name)
            {
                found = column;
            }
        }

        return found;
    }

    /// <summary>A concrete type with the shape's kind; sizes and key counts, which shapes do not keep, are stand-ins.</summary>
    private static DataViewType TypeOf(SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey)
    {
        DataViewType item = isKey ? new KeyDataViewType(itemType.RawType, 1) : itemType;
        return kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => item,
            SchemaShape.Column.VectorKind.Vector => new VectorDataViewType((PrimitiveDataViewType)item, 1),
            _ => new VectorDataViewType((PrimitiveDataViewType)item),
        };
    }

    private static DataViewSchema.Annotations? AnnotationsOf(SchemaShape annotations)
    {
        if (!annotations.Any())
        {
            return null;
        }

        var builder = new DataViewSchema.Annotations.Builder();
        foreach (SchemaShape.Column column in annotations)
        {
            DataViewType type = TypeOf(column.Kind, column.ItemType, column.IsKey);
            builder.Add(column.Name, type, UnreadableGetter(type.RawType, column.Name));
        }

        return builder.ToAnnotations();
    }

    /// <summary>A getter of the right delegate type for a shape-only annotation; it is never read.</summary>
    private static Delegate UnreadableGetter(Type rawType, string name) =>
        (Delegate)typeof(SchemaShapes).GetMethod(nameof(Unreadable), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(rawType).Invoke(null, [name])!;

    private static ValueGetter<T> Unreadable<T>(string name) =>
        (ref T value) => throw new InvalidOperationException($"Annotation '{name}' of an estimator's output shape has no value; fit the estimator first.");

    /// <summary>A loader that only has a schema: the public route from a <see cref="DataViewSchema"/> to a <see cref="SchemaShape"/>.</summary>
    private sealed class SchemaLoader : IDataLoader<int>
    {
        private readonly DataViewSchema _schema;

        public SchemaLoader(DataViewSchema schema)
        {
            _schema = schema;
        }

        public DataViewSchema GetOutputSchema() => _schema;

        public IDataView Load(int input) => throw new NotSupportedException("This loader only describes a schema.");

        void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException("This loader only describes a schema.");
    }
}
