using System;
using System.Numerics;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp;

/// <summary>
/// The output layer of the current row, as the score columns read it: what <see cref="TaskColumns.Serve"/> makes
/// of it (the logit for binary, the class probabilities for multiclass, the predictions for regression).
/// </summary>
internal interface IScoreSource
{
    /// <summary>The current row's scores; throws when there is no current row.</summary>
    ReadOnlySpan<float> Scores();
}

/// <summary>
/// Scores the current row of one input row, once per position, with its own predictor and buffers: nothing is
/// allocated per row. Not thread-safe; every row gets its own. Used by <c>PredictionEngine</c>, which scores
/// one row at a time.
/// </summary>
internal sealed class RowScorer : IScoreSource
{
    private readonly DataViewRow _input;
    private readonly FeatureSource _source;
    private readonly MlpPredictor _predictor;
    private readonly float[] _features;
    private readonly float[] _scores;
    private readonly TaskColumns _columns;
    private readonly int[] _starts = new int[2];
    private int[] _indices = [];
    private float[] _values = [];
    private long _position = -1;

    public RowScorer(MlpModelParameters model, DataViewRow input, DataViewSchema.Column featureColumn)
    {
        _input = input;
        _source = new FeatureSource(input, featureColumn, model.FeatureCount);
        _predictor = model.Network.CreatePredictor();
        _predictor.ReserveParts(1, 1);
        _features = new float[model.FeatureCount];
        _columns = model.Columns;
        _scores = new float[model.Network.OutputCount];
    }

    public ReadOnlySpan<float> Scores()
    {
        long position = _input.Position;
        if (position != _position)
        {
            if (_source.IsVector && _features.Length > 1)
            {
                ref readonly VBuffer<float> vector = ref _source.Vector();
                if (vector.IsDense)
                {
                    FeatureReader.CopyDense(in vector, _features);
                    _predictor.ComputeScores(_features, _scores);
                }
                else
                {
                    // A sparse row is multiplied over its stored values (the same scores as the dense row).
                    int count = vector.GetValues().Length;
                    if (_values.Length < count)
                    {
                        _values = new float[count];
                        _indices = new int[count];
                    }

                    vector.GetValues().CopyTo(_values);
                    vector.GetIndices().CopyTo(_indices);
                    _starts[1] = count;
                    _predictor.ComputeScoresInPart(_starts, _indices, _values, 1, _scores, 0);
                }
            }
            else
            {
                _source.Read(_features);
                _predictor.ComputeScores(_features, _scores);
            }

            _columns.Serve(_scores, 1, _scores.Length);

            _position = position;
        }

        return _scores;
    }
}

/// <summary>
/// Scores a cursor's rows a block at a time, for <see cref="ReadAheadRow"/>, with two blocks of buffers (one is
/// scored and served while the next is read): the cursor reads each row's features into a slot of a block with
/// <see cref="ReadFeatures"/>, scores the block with <see cref="ScoreRows"/> (one matrix product per layer, in
/// parts that may run on different threads), and the cursor serves slot after slot with <see cref="Scores"/>.
/// The scores are bit-identical to <see cref="RowScorer"/>'s.
/// <para>
/// Memory is bounded by <see cref="BudgetBytes"/>, whatever the width and the core count (the model's padded copy of
/// the weights, made once and shared by every predictor, aside): half for the predictor's work buffers (fewer parts and fewer rows per product for wide
/// layers), half for the two blocks of rows, whose row count (<see cref="MaxBlockRows"/>) follows the bytes a row
/// takes. When the first row's features come sparse (and the column has several slots), rows are kept sparse (their
/// non-zero values) and a block also ends when its values fill its share; the first layer is then multiplied over
/// the stored values only.
/// </para>
/// </summary>
internal sealed class BlockScorer
{
    /// <summary>The most parts one block is scored in.</summary>
    public const int MaxParts = 8;

    /// <summary>Bytes one cursor's block and work buffers may take.</summary>
    public const long BudgetBytes = 16L << 20;

    /// <summary>The most rows in a block, however small they are.</summary>
    private const int MostRows = 1024;

    /// <summary>Bytes a block row takes besides its features and scores: the cursor's position, batch and id.</summary>
    private const int BookkeepingBytes = 8 + 8 + 16;

    private readonly FeatureSource _source;
    private readonly MlpPredictor _predictor;
    private readonly int _featureCount;
    private readonly int _outputCount;
    private readonly TaskColumns _columns;
    private readonly long _blockBytes;
    private readonly int _denseBlockRows;
    private readonly Block[] _blocks = [new(), new()];
    private bool? _sparse;

    /// <summary>Which of the predictor's work buffer pairs are free, one bit each: a part takes one for as long as it runs.</summary>
    private int _freePairs;

    public BlockScorer(MlpModelParameters model, DataViewRow input, DataViewSchema.Column featureColumn)
    {
        _featureCount = model.FeatureCount;
        _source = new FeatureSource(input, featureColumn, _featureCount);
        _predictor = model.Network.CreatePredictor();
        long workBudget = BudgetBytes / 2;
        long rowWork = 2L * _predictor.WorkFloatsPerRow * sizeof(float);
        Parts = (int)Math.Clamp(workBudget / rowWork, 1, Math.Min(WorkerPool.MaxWorkers, MaxParts));
        int rows = (int)Math.Clamp(workBudget / (Parts * rowWork), 1, MlpPredictor.MaxRowsPerProduct);
        _predictor.ReserveParts(Parts, rows >= 8 ? rows & ~7 : rows);
        _freePairs = (1 << Parts) - 1;
        _outputCount = model.Network.OutputCount;
        _columns = model.Columns;
        MultiplyAddsPerRow = _predictor.MultiplyAddsPerRow;
        _blockBytes = BudgetBytes / 4;
        _denseBlockRows = (int)Math.Clamp(_blockBytes / DenseRowBytes, 1, MostRows);
    }

    /// <summary>Multiply-adds to score one row.</summary>
    public long MultiplyAddsPerRow { get; }

    /// <summary>The most parts a block may be scored in at once (one work buffer pair each).</summary>
    public int Parts { get; }

    /// <summary>The most rows a block may hold: what fits dense, or for sparse rows up to 1,024 while <see cref="HasRoom"/> says so.</summary>
    public int MaxBlockRows => _sparse == true ? MostRows : _denseBlockRows;

    private long DenseRowBytes => (4L * (_featureCount + _outputCount)) + BookkeepingBytes;

    /// <summary>Makes room for <paramref name="rows"/> rows in <paramref name="block"/> and empties it; its contents are lost.</summary>
    public void Reserve(int block, int rows)
    {
        Block b = _blocks[block];
        b.Stored = 0;
        b.Capacity = rows;
        if (b.Scores.Length < rows * _outputCount)
        {
            b.Scores = new float[rows * _outputCount];
        }

        if (_sparse == true)
        {
            if (b.Starts.Length < rows + 1)
            {
                b.Starts = new int[rows + 1];
            }
        }
        else if (_sparse == false && b.Features.Length < (long)rows * _featureCount)
        {
            b.Features = new float[rows * _featureCount];
        }
    }

    /// <summary>Whether <paramref name="block"/>, holding <paramref name="rows"/> rows, has room for another (always for the first).</summary>
    public bool HasRoom(int block, int rows) =>
        rows == 0 || _sparse != true || (8L * _blocks[block].Stored) + (rows * (4L + (4L * _outputCount) + BookkeepingBytes)) < _blockBytes;

    /// <summary>Reads the input's current row into <paramref name="slot"/> of <paramref name="block"/>.</summary>
    public void ReadFeatures(int block, int slot)
    {
        Block b = _blocks[block];
        if (_sparse is null)
        {
            // Decided on the first row; until then no feature buffer is allocated.
            _sparse = _source.IsVector && _featureCount > 1 && !_source.Vector().IsDense;
            Reserve(block, b.Capacity);
        }

        if (_sparse == false)
        {
            _source.Read(b.Features.AsSpan(slot * _featureCount, _featureCount));
            return;
        }

        ref readonly VBuffer<float> vector = ref _source.Vector();
        ReadOnlySpan<float> values = vector.GetValues();
        ReadOnlySpan<int> indices = vector.IsDense ? default : vector.GetIndices();
        if (b.Values.Length - b.Stored < values.Length)
        {
            // Doubling, but not past the block's share of the budget unless one row needs more.
            long needed = (long)b.Stored + values.Length;
            int size = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Min(2L * b.Values.Length, _blockBytes / 8)));
            Array.Resize(ref b.Values, size);
            Array.Resize(ref b.Indices, size);
        }

        b.Starts[slot] = b.Stored;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != 0)
            {
                b.Indices[b.Stored] = vector.IsDense ? i : indices[i];
                b.Values[b.Stored++] = values[i];
            }
        }

        b.Starts[slot + 1] = b.Stored;
    }

    /// <summary>
    /// Scores slots <paramref name="first"/> to <paramref name="end"/> of <paramref name="block"/> with a free pair of
    /// work buffers; calls on different threads (one pair per thread at most) may run at once on different rows.
    /// </summary>
    public void ScoreRows(int block, int first, int end)
    {
        int pair = TakePair();
        try
        {
            int rows = end - first;
            Block b = _blocks[block];
            Span<float> scores = b.Scores.AsSpan(first * _outputCount, rows * _outputCount);
            if (_sparse == true)
            {
                _predictor.ComputeScoresInPart(b.Starts.AsSpan(first, rows + 1), b.Indices, b.Values, rows, scores, pair);
            }
            else
            {
                _predictor.ComputeScoresInPart(b.Features.AsSpan(first * _featureCount, rows * _featureCount), rows, scores, pair);
            }

            _columns.Serve(scores, rows, _outputCount);
        }
        finally
        {
            Interlocked.Or(ref _freePairs, 1 << pair);
        }
    }

    private int TakePair()
    {
        while (true)
        {
            int free = Volatile.Read(ref _freePairs);
            if (free == 0)
            {
                throw new InvalidOperationException("More threads are scoring one block than there are work buffers.");
            }

            int pair = BitOperations.TrailingZeroCount(free);
            if (Interlocked.CompareExchange(ref _freePairs, free & ~(1 << pair), free) == free)
            {
                return pair;
            }
        }
    }

    /// <summary>The scores of <paramref name="slot"/> in <paramref name="block"/>.</summary>
    public ReadOnlySpan<float> Scores(int block, int slot) => _blocks[block].Scores.AsSpan(slot * _outputCount, _outputCount);

    /// <summary>One block's rows: dense features, or sparse rows (starts, slots and values), and their scores.</summary>
    private sealed class Block
    {
        public float[] Features = [];
        public float[] Scores = [];
        public int[] Starts = [];
        public int[] Indices = [];
        public float[] Values = [];
        public int Stored;
        public int Capacity;
    }
}
