using System;
using System.Collections.Generic;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.Onnx;

/// <summary>
/// A data view with no rows whose schema is the visible columns of another schema, annotations kept. ML.NET's
/// converter walks a data view back through the transforms that made it and writes one graph input per column of
/// the source it reaches; handed this view, it writes exactly one input per visible column, named as the column.
/// </summary>
internal sealed class SchemaOnlyView : IDataView
{
    public SchemaOnlyView(DataViewSchema schema)
    {
        var builder = new DataViewSchema.Builder();
        foreach (DataViewSchema.Column column in schema)
        {
            if (!column.IsHidden)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new EmptyCursor(Schema);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new EmptyCursor(Schema)];

    private sealed class EmptyCursor(DataViewSchema schema) : DataViewRowCursor
    {
        public override DataViewSchema Schema { get; } = schema;

        public override long Position => -1;

        public override long Batch => 0;

        public override bool MoveNext() => false;

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            (ref TValue value) => throw new InvalidOperationException("The schema-only view has no rows.");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => throw new InvalidOperationException("The schema-only view has no rows.");
    }
}
