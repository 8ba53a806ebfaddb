using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp;

/// <summary>
/// Reads an input cursor ahead a block of rows at a time and then serves those rows one by one. For every row read
/// it keeps the position, batch and id, the values of the pass-through columns the consumer asked for (vectors
/// copied, so a later row cannot overwrite them) and hands the features to a <see cref="BlockScorer"/>, which scores
/// the whole block at once. Blocks start small (a consumer that reads a few rows, such as <c>Preview</c>, reads few
/// ahead) and double up to the scorer's <see cref="BlockScorer.MaxBlockRows"/>, which follows a memory budget
/// (<see cref="BlockScorer.BudgetBytes"/>). There are two blocks of buffers: once blocks are large, the
/// next block is read while the current one is scored, both cut into chunks that <see cref="WorkerPool"/> spreads
/// over the cores (the reading is one chunk, run on the consumer's own thread: the input cursor never sees another). Rows do
/// not interact, so the scores do not depend on the number of threads.
/// An error while reading a row is raised by the <see cref="MoveNext"/> that would have moved onto that row, after
/// the rows before it have been served, as if the input had been read row by row.
/// </summary>
internal sealed class ReadAheadRow : DataViewRow, IParallelWork, IScoreSource
{
    private const int FirstBlock = 16;

    /// <summary>Rows per scoring chunk: small enough that the threads finish close together.</summary>
    private const int PartRows = 128;

    /// <summary>Blocks from this size on are scored while the next one is read.</summary>
    private const int ReadAheadRows = 256;

    private readonly DataViewRowCursor _input;
    private readonly BlockScorer _scorer;
    private readonly CachedColumn?[] _cached;
    private readonly CachedColumn[] _reads;
    private readonly ValueGetter<DataViewRowId> _idGetter;
    private readonly Block[] _blocks = [new(), new()];
    private int _blockSize;
    private bool _inputDone;
    private int _current = -1;
    private int _slot = -1;

    // The block scored and the block read by a parallel step.
    private int _scoring;
    private int _reading;
    private int _parts;

    public ReadAheadRow(DataViewRowCursor input, BlockScorer scorer, IEnumerable<DataViewSchema.Column> passThrough)
    {
        _input = input;
        _scorer = scorer;
        _cached = new CachedColumn?[input.Schema.Count];
        foreach (DataViewSchema.Column column in passThrough)
        {
            _cached[column.Index] = CachedColumn.Create(input, column, this);
        }

        _reads = _cached.OfType<CachedColumn>().ToArray();
        _idGetter = input.GetIdGetter();
    }

    public override long Position => _slot >= 0 ? _blocks[_current].Positions[_slot] : -1;

    public override long Batch => _slot >= 0 ? _blocks[_current].Batches[_slot] : _input.Batch;

    public override DataViewSchema Schema => _input.Schema;

    /// <summary>The block being served.</summary>
    public int Current => _current;

    /// <summary>The slot of the current row; throws when the cursor is not on a row.</summary>
    public int Slot => _slot >= 0
        ? _slot
        : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first, and only read values while it returns true.");

    public bool MoveNext()
    {
        if (_slot >= 0 && _slot + 1 < _blocks[_current].Count)
        {
            _slot++;
            return true;
        }

        int next = _current < 0 ? 0 : 1 - _current;
        if (_current >= 0)
        {
            _blocks[_current].RaisePendingError();
        }

        _slot = -1;
        if (!_blocks[next].Filled)
        {
            if (_inputDone)
            {
                return false;
            }

            Read(next);
        }

        Block block = _blocks[next];
        block.Filled = false;
        _current = next;
        if (block.Count == 0)
        {
            block.RaisePendingError();
            return false;
        }

        Score(next);
        _slot = 0;
        return true;
    }

    /// <summary>The current row's scores, from the block scorer.</summary>
    public ReadOnlySpan<float> Scores() => _scorer.Scores(_current, Slot);

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _blocks[_current].Ids[Slot];

    public override bool IsColumnActive(DataViewSchema.Column column) => _input.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CachedColumn cached = (uint)column.Index < (uint)_cached.Length ? _cached[column.Index]
            ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.")
            : throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not in this row's schema.");
        return cached.Getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    /// <summary>Scores block <paramref name="index"/>; when it is large, reads the next block into the other one at the same time.</summary>
    private void Score(int index)
    {
        int rows = _blocks[index].Count;
        int other = 1 - index;
        bool readAhead = !_inputDone && rows >= ReadAheadRows;
        int parts = Math.Min(_scorer.Parts, (rows + PartRows - 1) / PartRows);
        if (!readAhead && (parts < 2 || !ParallelCost.WorthSplitting(rows * _scorer.MultiplyAddsPerRow)))
        {
            _scorer.ScoreRows(index, 0, rows);
            return;
        }

        _scoring = index;
        _reading = readAhead ? other : -1;
        _parts = parts;
        int chunks = parts + (readAhead ? 1 : 0);
        WorkerPool.For(this, chunks, Math.Min(chunks, WorkerPool.MaxWorkers), chunkZeroOnCaller: readAhead);
    }

    /// <summary>When reading ahead, chunk 0 reads the next block and chunk p + 1 scores part p; otherwise chunk p scores part p.</summary>
    void IParallelWork.Execute(int chunk)
    {
        int part = _reading >= 0 ? chunk - 1 : chunk;
        if (part < 0)
        {
            Read(_reading);
            return;
        }

        int rows = _blocks[_scoring].Count;
        int perPart = (((rows + _parts - 1) / _parts) + 7) & ~7;
        int first = part * perPart;
        int end = Math.Min(rows, first + perPart);
        if (first < end)
        {
            _scorer.ScoreRows(_scoring, first, end);
        }
    }

    /// <summary>Reads up to one block of rows into block <paramref name="index"/>; stops early at the end of the input or at an error, which is kept for later.</summary>
    private void Read(int index)
    {
        Block block = _blocks[index];
        _blockSize = Math.Min(_scorer.MaxBlockRows, Math.Max(FirstBlock, 2 * _blockSize));
        block.Reserve(_blockSize);
        _scorer.Reserve(index, _blockSize);
        foreach (CachedColumn column in _reads)
        {
            column.Reserve(index, _blockSize);
        }

        int n = 0;
        try
        {
            while (n < _blockSize && _scorer.HasRoom(index, n) && _input.MoveNext())
            {
                block.Positions[n] = _input.Position;
                block.Batches[n] = _input.Batch;
                _idGetter(ref block.Ids[n]);
                foreach (CachedColumn column in _reads)
                {
                    column.Read(index, n);
                }

                _scorer.ReadFeatures(index, n);
                n++;
            }

            _inputDone = n < _blockSize && _scorer.HasRoom(index, n);
        }
        catch (Exception e)
        {
            block.Error = ExceptionDispatchInfo.Capture(e);
            _inputDone = true;
        }

        block.Count = n;
        block.Filled = true;
    }

    /// <summary>The bookkeeping of one block of rows read ahead.</summary>
    private sealed class Block
    {
        public long[] Positions = [];
        public long[] Batches = [];
        public DataViewRowId[] Ids = [];
        public int Count;
        public bool Filled;
        public ExceptionDispatchInfo? Error;

        public void Reserve(int rows)
        {
            if (Positions.Length < rows)
            {
                Positions = new long[rows];
                Batches = new long[rows];
                Ids = new DataViewRowId[rows];
            }
        }

        /// <summary>Throws the error that stopped the reading of this block, once.</summary>
        public void RaisePendingError()
        {
            ExceptionDispatchInfo? error = Error;
            Error = null;
            error?.Throw();
        }
    }

    /// <summary>The values of one pass-through column for the rows of a block.</summary>
    private abstract class CachedColumn
    {
        /// <summary>A cache of the right value type for <paramref name="column"/>: vectors are deep-copied, other values kept as read.</summary>
        public static CachedColumn Create(DataViewRow input, DataViewSchema.Column column, ReadAheadRow owner)
        {
            Type raw = column.Type.RawType;
            Type type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
                ? typeof(CachedVector<>).MakeGenericType(raw.GetGenericArguments()[0])
                : typeof(CachedValue<>).MakeGenericType(raw);
            return (CachedColumn)Activator.CreateInstance(type, input, column, owner)!;
        }

        /// <summary>The consumer's getter, reading the current row's slot.</summary>
        public abstract Delegate Getter { get; }

        /// <summary>Makes room for <paramref name="rows"/> rows in <paramref name="block"/>; its contents are lost if it grows (it holds no rows then).</summary>
        public abstract void Reserve(int block, int rows);

        /// <summary>Reads the input's current row into <paramref name="slot"/> of <paramref name="block"/>.</summary>
        public abstract void Read(int block, int slot);
    }

    private sealed class CachedValue<T> : CachedColumn
    {
        private readonly ValueGetter<T> _source;
        private readonly T[][] _values = [[], []];

        public CachedValue(DataViewRow input, DataViewSchema.Column column, ReadAheadRow owner)
        {
            _source = input.GetGetter<T>(column);
            Getter = (ValueGetter<T>)((ref T value) => value = _values[owner.Current][owner.Slot]);
        }

        public override Delegate Getter { get; }

        public override void Reserve(int block, int rows)
        {
            if (_values[block].Length < rows)
            {
                _values[block] = new T[rows];
            }
        }

        public override void Read(int block, int slot) => _source(ref _values[block][slot]);
    }

    private sealed class CachedVector<T> : CachedColumn
    {
        private readonly ValueGetter<VBuffer<T>> _source;
        private readonly VBuffer<T>[][] _values = [[], []];
        private VBuffer<T> _buffer;

        public CachedVector(DataViewRow input, DataViewSchema.Column column, ReadAheadRow owner)
        {
            _source = input.GetGetter<VBuffer<T>>(column);
            Getter = (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[owner.Current][owner.Slot].CopyTo(ref value));
        }

        public override Delegate Getter { get; }

        public override void Reserve(int block, int rows)
        {
            if (_values[block].Length < rows)
            {
                _values[block] = new VBuffer<T>[rows];
            }
        }

        public override void Read(int block, int slot)
        {
            _source(ref _buffer);
            _buffer.CopyTo(ref _values[block][slot]);
        }
    }
}
