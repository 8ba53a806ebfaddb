using System;
using System.Numerics;
using System.Threading;
using Microsoft.ML;
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
    private long _position = -1;

    public RowScorer(MlpModelParameters model, DataViewRow input, DataViewSchema.Column featureColumn)
    {
        _input = input;
        _source = new FeatureSource(input, featureColumn);
        _predictor = model.Network.CreatePredictor();
        _features = new float[model.FeatureCount];
        _columns = model.Columns;
        _scores = new float[model.Network.OutputCount];
    }

    public ReadOnlySpan<float> Scores()
    {
        long position = _input.Position;
        if (position != _position)
        {
            _source.Read(_features);
            _predictor.ComputeScores(_features, _scores);
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
/// The scores are bit-identical to <see cref="RowScorer"/>'s. Buffers grow with the blocks and are then reused.
/// </summary>
internal sealed class BlockScorer
{
    /// <summary>The most parts one block is scored in.</summary>
    public const int MaxParts = 8;

    private readonly FeatureSource _source;
    private readonly MlpPredictor _predictor;
    private readonly int _featureCount;
    private readonly int _outputCount;
    private readonly TaskColumns _columns;
    private readonly float[][] _features = [[], []];
    private readonly float[][] _scores = [[], []];

    /// <summary>Which of the predictor's work buffer pairs are free, one bit each: a part takes one for as long as it runs.</summary>
    private int _freePairs;

    public BlockScorer(MlpModelParameters model, DataViewRow input, DataViewSchema.Column featureColumn)
    {
        _source = new FeatureSource(input, featureColumn);
        _predictor = model.Network.CreatePredictor();
        int pairs = Math.Min(WorkerPool.MaxWorkers, 30);
        _predictor.EnsureBlockBuffers(pairs);
        _freePairs = (1 << pairs) - 1;
        _featureCount = model.FeatureCount;
        _outputCount = model.Network.OutputCount;
        _columns = model.Columns;
        MultiplyAddsPerRow = model.Network.Layout.WeightCount;
    }

    /// <summary>Multiply-adds to score one row.</summary>
    public long MultiplyAddsPerRow { get; }

    /// <summary>Makes room for <paramref name="rows"/> rows in <paramref name="block"/>; its contents are lost if it grows.</summary>
    public void Reserve(int block, int rows)
    {
        if (_features[block].Length < rows * _featureCount)
        {
            _features[block] = new float[rows * _featureCount];
            _scores[block] = new float[rows * _outputCount];
        }
    }

    /// <summary>Reads the input's current row into <paramref name="slot"/> of <paramref name="block"/>.</summary>
    public void ReadFeatures(int block, int slot) => _source.Read(_features[block].AsSpan(slot * _featureCount, _featureCount));

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
            Span<float> scores = _scores[block].AsSpan(first * _outputCount, rows * _outputCount);
            _predictor.ComputeScoresPart(_features[block].AsSpan(first * _featureCount, rows * _featureCount), rows, scores, pair);
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
    public ReadOnlySpan<float> Scores(int block, int slot) => _scores[block].AsSpan(slot * _outputCount, _outputCount);
}
