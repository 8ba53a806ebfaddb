using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.Tests;

/// <summary>
/// A data view with a features vector column and a Boolean label, made row by row by a function, that can lie: it
/// reports whatever row count it is given, its vectors may be sparse or malformed, and it counts the rows its
/// cursors deliver. For the inputs ML.NET's own views never produce but a custom <see cref="IDataView"/> may.
/// </summary>
internal sealed class HandMadeDataView : IDataView
{
    private readonly int _rows;
    private readonly Func<int, VBuffer<float>> _features;
    private readonly Func<int, bool> _label;
    private readonly long? _claimedRows;

    public HandMadeDataView(int featureCount, int rows, Func<int, VBuffer<float>> features, Func<int, bool> label, long? claimedRows = null)
    {
        _rows = rows;
        _features = features;
        _label = label;
        _claimedRows = claimedRows;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, featureCount));
        builder.AddColumn("Label", BooleanDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    /// <summary>Rows moved onto by all cursors so far.</summary>
    public int RowsDelivered { get; private set; }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _claimedRows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly HandMadeDataView _view;
        private readonly HashSet<int> _active;
        private int _position = -1;

        public Cursor(HandMadeDataView view, HashSet<int> active)
        {
            _view = view;
            _active = active;
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rows)
            {
                _position = _view._rows;
                return false;
            }

            _position++;
            _view.RowsDelivered++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0)
            {
                return (ValueGetter<TValue>)(Delegate)(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => value = _view._features(_position));
            }

            return (ValueGetter<TValue>)(Delegate)(ValueGetter<bool>)((ref bool value) => value = _view._label(_position));
        }
    }
}
