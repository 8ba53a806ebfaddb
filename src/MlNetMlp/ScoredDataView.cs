using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp;

/// <summary>The lazily scored view <see cref="MlpPredictionTransformer.Transform"/> returns: the input plus the score columns.</summary>
internal sealed class ScoredDataView : IDataView
{
    private readonly IDataView _input;
    private readonly ScoreColumns _columns;

    public ScoredDataView(IDataView input, ScoreColumns columns)
    {
        _input = input;
        _columns = columns;
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema => _columns.OutputSchema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        bool[] active = _columns.ActiveFlags(columnsNeeded);
        return new ScoredCursor(_input.GetRowCursor(_columns.InputColumnsFor(columnsNeeded), rand), _columns, active);
    }

    /// <summary>One cursor: it already scores blocks of rows on every core while it reads the next block, and one cursor keeps the row order.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}

/// <summary>
/// A cursor over the scored view: input columns pass through, score columns are computed on demand. When a score
/// column is active, the input is read ahead a block of rows at a time (<see cref="ReadAheadRow"/>) and the block is
/// scored at once, which is several times faster than scoring row by row; otherwise the input cursor is used as is.
/// </summary>
internal sealed class ScoredCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly ReadAheadRow? _readAhead;
    private readonly ScoredRowCore _core;

    public ScoredCursor(DataViewRowCursor input, ScoreColumns columns, bool[] active)
    {
        _input = input;
        if (columns.NeedsFeatures(i => active[i]))
        {
            BlockScorer scorer = columns.CreateBlockScorer(input);
            var passThrough = columns.InputSchema.Where(c => active[c.Index]);
            _readAhead = new ReadAheadRow(input, scorer, passThrough);
            _core = new ScoredRowCore(_readAhead, columns, active, _readAhead);
        }
        else
        {
            _core = new ScoredRowCore(input, columns, active, null);
        }
    }

    public override long Position => _readAhead?.Position ?? _input.Position;

    public override long Batch => _readAhead?.Batch ?? _input.Batch;

    public override DataViewSchema Schema => _core.Schema;

    public override bool MoveNext() => _readAhead?.MoveNext() ?? _input.MoveNext();

    public override ValueGetter<DataViewRowId> GetIdGetter() => _readAhead?.GetIdGetter() ?? _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _core.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _core.GetGetter<TValue>(column);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A single scored row over an input row, for <see cref="IRowToRowMapper"/> (what <c>PredictionEngine</c> uses).</summary>
internal sealed class ScoredRow : DataViewRow
{
    private readonly DataViewRow _input;
    private readonly ScoredRowCore _core;

    public ScoredRow(DataViewRow input, ScoreColumns columns, bool[] active)
    {
        _input = input;
        _core = new ScoredRowCore(input, columns, active, columns.NeedsFeatures(i => active[i]) ? columns.CreateRowScorer(input) : null);
    }

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override DataViewSchema Schema => _core.Schema;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _core.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _core.GetGetter<TValue>(column);
}

/// <summary>What a scored row and a scored cursor share: column activity and getters.</summary>
internal sealed class ScoredRowCore
{
    private readonly DataViewRow _input;
    private readonly ScoreColumns _columns;
    private readonly bool[] _active;
    private readonly IScoreSource? _scorer;

    /// <summary>Input columns are read from <paramref name="input"/>; score columns from <paramref name="scorer"/>, which is null when none is active.</summary>
    public ScoredRowCore(DataViewRow input, ScoreColumns columns, bool[] active, IScoreSource? scorer)
    {
        _input = input;
        _columns = columns;
        _active = active;
        _scorer = scorer;
    }

    public DataViewSchema Schema => _columns.OutputSchema;

    public bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return _active[column.Index];
    }

    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CheckColumn(column);
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.");
        }

        int inputCount = _columns.InputSchema.Count;
        if (column.Index < inputCount)
        {
            return _input.GetGetter<TValue>(_columns.InputSchema[column.Index]);
        }

        if (typeof(TValue) != column.Type.RawType)
        {
            throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        return (ValueGetter<TValue>)_columns.MakeGetter(column.Index - inputCount, _scorer!);
    }

    private void CheckColumn(DataViewSchema.Column column)
    {
        if ((uint)column.Index >= (uint)_active.Length || Schema[column.Index].Name != column.Name)
        {
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not in this row's schema.");
        }
    }
}

/// <summary>The <see cref="IRowToRowMapper"/> of a fitted MLP for one input schema.</summary>
internal sealed class ScoreRowMapper : IRowToRowMapper
{
    private readonly ScoreColumns _columns;

    public ScoreRowMapper(ScoreColumns columns)
    {
        _columns = columns;
    }

    public DataViewSchema InputSchema => _columns.InputSchema;

    public DataViewSchema OutputSchema => _columns.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        _columns.InputColumnsFor(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        if (input.Schema != InputSchema)
        {
            throw new ArgumentException("The row's schema is not the schema this mapper was created for.", nameof(input));
        }

        return new ScoredRow(input, _columns, _columns.ActiveFlags(activeColumns));
    }
}
