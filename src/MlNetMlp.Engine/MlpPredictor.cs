using System;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// Runs a model forward with work buffers of its own, allocated once: predicting allocates nothing.
/// Not thread-safe: create one per thread with <see cref="MlpModel.CreatePredictor"/>.
/// Single rows and blocks of rows give bit-identical results.
/// </summary>
public sealed class MlpPredictor
{
    /// <summary>The most rows one product of a block scoring covers (the default of <see cref="ReserveParts"/>).</summary>
    public const int MaxRowsPerProduct = 128;

    private readonly MlpModel _model;
    private readonly int[] _widths;
    private readonly float[][] _weights;
    private readonly float[][] _biases;
    private readonly float[] _ping;
    private readonly float[] _pong;
    private readonly ScoringJob _job = new();

    /// <summary>Ping and pong buffers of <see cref="_bufferRows"/> rows for each part of a block scoring, grown on demand.</summary>
    private float[][] _blockBuffers = [];

    /// <summary>Rows each of <see cref="_blockBuffers"/> holds.</summary>
    private int _bufferRows = MaxRowsPerProduct;

    internal MlpPredictor(MlpModel model)
    {
        _model = model;
        PaddedWeights padded = model.PaddedWeights;
        _widths = padded.Widths;
        _weights = padded.Weights;
        _biases = padded.Biases;
        _ping = new float[padded.MaxStride];
        _pong = new float[padded.MaxStride];
    }

    /// <summary>
    /// The weights as the predictors read them, made once per model and shared (read-only) by all its predictors:
    /// each layer's columns zero-padded to a multiple of 16.
    /// </summary>
    internal sealed class PaddedWeights
    {
        public PaddedWeights(MlpModel model)
        {
            ParameterLayout layout = model.Layout;
            int layers = layout.LayerCount;
            Widths = new int[layers];
            Weights = new float[layers][];
            Biases = new float[layers][];
            long floats = 0;
            for (int l = 0; l < layers; l++)
            {
                int k = layout.Sizes[l];
                int n = layout.Sizes[l + 1];
                Widths[l] = (n + 15) & ~15;
                MaxStride = Math.Max(MaxStride, Widths[l]);
                Weights[l] = new float[checked((int)((long)k * Widths[l]))];
                Biases[l] = new float[Widths[l]];
                ReadOnlySpan<float> weights = layout.Weights(model.Parameters, l);
                for (int p = 0; p < k; p++)
                {
                    weights.Slice(p * n, n).CopyTo(Weights[l].AsSpan(p * Widths[l]));
                }

                layout.Biases(model.Parameters, l).CopyTo(Biases[l]);
                floats += Weights[l].Length + Biases[l].Length;
            }

            Bytes = floats * sizeof(float);
        }

        public int[] Widths { get; }

        public float[][] Weights { get; }

        public float[][] Biases { get; }

        public int MaxStride { get; }

        /// <summary>Bytes of the copy.</summary>
        public long Bytes { get; }
    }


    /// <summary>
    /// Floats per row of a work buffer: the widest layer, padded. Work buffers for <c>p</c> parts of <c>r</c> rows per
    /// product (<see cref="ReserveParts"/>) take <c>2 p r</c> times this many floats.
    /// </summary>
    public int WorkFloatsPerRow => _ping.Length;

    /// <summary>Multiply-adds to score one dense row (the weight count), for callers deciding whether a block is worth threads.</summary>
    public long MultiplyAddsPerRow => _model.Layout.WeightCount;

    /// <summary>The model this predictor runs.</summary>
    public MlpModel Model => _model;

    /// <summary>
    /// Writes the raw output layer for one row into <paramref name="scores"/> (length <see cref="MlpModel.OutputCount"/>):
    /// the logit for binary classification, the class logits for multiclass, the predictions for regression.
    /// </summary>
    public unsafe void ComputeScores(ReadOnlySpan<float> features, Span<float> scores)
    {
        CheckWidth(features.Length, _model.InputCount, nameof(features), "features");
        CheckWidth(scores.Length, _model.OutputCount, nameof(scores), "score slots");
        fixed (float* input = features, output = scores, ping = _ping, pong = _pong)
        {
            Run(input, 1, output, ping, pong, _ping.Length);
        }
    }

    /// <summary>
    /// Writes the raw output layer for <paramref name="rowCount"/> rows stored row-major in <paramref name="features"/>
    /// into <paramref name="scores"/> <c>(rowCount, OutputCount)</c>, on the calling thread.
    /// </summary>
    public void ComputeScores(ReadOnlySpan<float> features, int rowCount, Span<float> scores) =>
        ComputeScores(features, rowCount, scores, threads: 1);

    /// <summary>
    /// Writes the raw output layer for <paramref name="rowCount"/> rows stored row-major in <paramref name="features"/>
    /// into <paramref name="scores"/> <c>(rowCount, OutputCount)</c>, on up to <paramref name="threads"/> threads when
    /// the block is large enough to pay for the hand-off. Rows are independent, so the scores are bit-identical for
    /// any number of threads and to scoring the rows one at a time.
    /// </summary>
    public unsafe void ComputeScores(ReadOnlySpan<float> features, int rowCount, Span<float> scores, int threads)
    {
        int d = _model.InputCount;
        int outputs = _model.OutputCount;
        if (rowCount < 0 || features.Length != (long)rowCount * d)
        {
            throw new ArgumentException($"{nameof(features)} has {features.Length} values; {rowCount} rows of {d} features need {(long)rowCount * d}.", nameof(features));
        }

        CheckWidth(scores.Length, (long)rowCount * outputs, nameof(scores), "score values");
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1.");
        }

        int parts = Math.Min(Math.Min(threads, WorkerPool.MaxWorkers), (rowCount + MaxRowsPerProduct - 1) / MaxRowsPerProduct);
        if (!ParallelCost.WorthSplitting((long)rowCount * _model.Layout.WeightCount))
        {
            parts = 1;
        }

        parts = Math.Max(parts, 1);
        ReserveParts(parts, _bufferRows);
        fixed (float* input = features, output = scores)
        {
            if (parts == 1)
            {
                RunRows(input, output, 0, rowCount, 0);
                return;
            }

            _job.Set(this, input, output, rowCount, parts);
            try
            {
                WorkerPool.For(_job, parts, parts);
            }
            finally
            {
                _job.Clear();
            }
        }
    }

    /// <summary>
    /// Writes the raw output layer of every row of <paramref name="rows"/> into <paramref name="scores"/>
    /// <c>(RowCount, OutputCount)</c>, on the calling thread. The first layer is multiplied over each row's stored
    /// values only, so a row costs its stored values (not its slots) times the first hidden width; the scores are
    /// those of the same rows held dense.
    /// </summary>
    public void ComputeScores(MlpSparseFeatures rows, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CheckWidth(rows.FeatureCount, _model.InputCount, nameof(rows), "features per row");
        CheckWidth(scores.Length, (long)rows.RowCount * _model.OutputCount, nameof(scores), "score values");
        ReserveParts(1, _bufferRows);
        ScoreSparseRows(rows.RowStarts, rows.Indices, rows.Values, rows.RowCount, scores, 0);
    }

    /// <summary>Scores rows <paramref name="first"/> to <paramref name="end"/> in blocks of <see cref="MaxRowsPerProduct"/> with work buffer pair <paramref name="part"/>.</summary>
    private unsafe void RunRows(float* input, float* output, int first, int end, int part)
    {
        int d = _model.InputCount;
        int outputs = _model.OutputCount;
        int stride = _ping.Length;
        int step = _bufferRows;
        fixed (float* ping = _blockBuffers[2 * part], pong = _blockBuffers[(2 * part) + 1])
        {
            for (int start = first; start < end; start += step)
            {
                int m = Math.Min(step, end - start);
                Run(input + ((long)start * d), m, output + ((long)start * outputs), ping, pong, stride);
            }
        }
    }

    /// <summary>
    /// Scores <paramref name="rowCount"/> sparse rows with work buffer pair <paramref name="part"/>: row r stores
    /// <c>values[rowStarts[r] .. rowStarts[r + 1])</c> at the ascending slots <c>indices[...]</c>, each checked by the
    /// slots in <c>[0, InputCount)</c>, which are checked. The first layer is multiplied over the stored values only;
    /// the scores are those of the same rows held dense. Calls with different parts (see <see cref="ReserveParts"/>)
    /// may run concurrently on different rows.
    /// </summary>
    public void ComputeScoresInPart(ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int rowCount, Span<float> scores, int part)
    {
        if (rowCount < 0 || rowStarts.Length < rowCount + 1)
        {
            throw new ArgumentException($"{nameof(rowStarts)} has {rowStarts.Length} values; {rowCount} rows need {rowCount + 1L}.", nameof(rowStarts));
        }

        int d = _model.InputCount;
        for (int r = 0; r < rowCount; r++)
        {
            int start = rowStarts[r], end = rowStarts[r + 1];
            if (start < 0 || end < start || end > indices.Length || end > values.Length)
            {
                throw new ArgumentException($"Row {r} stores values {start} to {end}; starts must be non-decreasing from 0 and within the {Math.Min(indices.Length, values.Length)} indices and values given.", nameof(rowStarts));
            }

            for (int i = start; i < end; i++)
            {
                if ((uint)indices[i] >= (uint)d || (i > start && indices[i] <= indices[i - 1]))
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"Row {r} stores slot {indices[i]}; slots must ascend within a row and lie in [0, {d}).");
                }
            }
        }

        ScoreSparseRows(rowStarts, indices, values, rowCount, scores, part);
    }

    /// <summary><see cref="ComputeScoresInPart(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, int, Span{float}, int)"/> for rows already checked.</summary>
    private unsafe void ScoreSparseRows(ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int rowCount, Span<float> scores, int part)
    {
        if (rowStarts.Length < rowCount + 1 || scores.Length < (long)rowCount * _model.OutputCount || (uint)(2 * part) >= (uint)_blockBuffers.Length
            || (rowCount > 0 && (rowStarts[rowCount] > indices.Length || rowStarts[rowCount] > values.Length)))
        {
            throw new ArgumentException($"Buffers too small for {rowCount} sparse rows, or no work buffers for part {part}.");
        }

        int outputs = _model.OutputCount;
        int stride = _ping.Length;
        fixed (int* starts = rowStarts, slots = indices)
        fixed (float* x = values, output = scores, ping = _blockBuffers[2 * part], pong = _blockBuffers[(2 * part) + 1])
        {
            for (int start = 0; start < rowCount; start += _bufferRows)
            {
                int m = Math.Min(_bufferRows, rowCount - start);
                RunSparse(starts + start, slots, x, m, output + ((long)start * outputs), ping, pong, stride);
            }
        }
    }

    /// <summary>The first layer of <paramref name="rows"/> sparse rows into <paramref name="ping"/>, then <see cref="Run"/> from the second layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunSparse(int* starts, int* indices, float* values, int rows, float* scores, float* ping, float* pong, nint stride)
    {
        ParameterLayout layout = _model.Layout;
        int n = layout.Sizes[1];
        bool hidden = layout.LayerCount > 1;
        fixed (float* weights = _weights[0])
        {
            for (int r = 0; r < rows; r++)
            {
                var output = new Span<float>(ping + (r * stride), _widths[0]);
                SparseRows.MultiplyAdd(indices, values, starts[r], starts[r + 1], weights, _widths[0], _biases[0], output);
                if (hidden)
                {
                    _model.HiddenActivation.Forward(output[..n]);
                }
                else
                {
                    output[..n].CopyTo(new Span<float>(scores + (r * n), n));
                }
            }
        }

        if (hidden)
        {
            Run(ping, rows, scores, ping, pong, stride, firstLayer: 1);
        }
    }

    /// <summary>
    /// Writes the raw output layer for <paramref name="rowCount"/> rows stored row-major in <paramref name="features"/>
    /// into <paramref name="scores"/> with work buffer pair <paramref name="part"/> (see <see cref="ReserveParts"/>): calls
    /// with different parts may run concurrently on different rows, for callers that schedule their own threads. The
    /// scores are bit-identical to <see cref="ComputeScores(ReadOnlySpan{float}, Span{float})"/>'s, row by row.
    /// </summary>
    public unsafe void ComputeScoresInPart(ReadOnlySpan<float> features, int rowCount, Span<float> scores, int part)
    {
        if (features.Length < (long)rowCount * _model.InputCount || scores.Length < (long)rowCount * _model.OutputCount || (uint)(2 * part) >= (uint)_blockBuffers.Length)
        {
            throw new ArgumentException($"Buffers too small for {rowCount} rows, or no work buffers for part {part}.");
        }

        fixed (float* input = features, output = scores)
        {
            RunRows(input, output, 0, rowCount, part);
        }
    }

    /// <summary>
    /// Makes sure work buffer pairs <c>0 .. parts-1</c> exist for <see cref="ComputeScoresInPart(ReadOnlySpan{float}, int, Span{float}, int)"/>,
    /// each buffer <paramref name="rows"/> rows of <see cref="WorkFloatsPerRow"/> floats (blocks are scored that many
    /// rows at a time; fewer rows per product take less memory). Not thread-safe: call before scoring in parallel.
    /// </summary>
    public void ReserveParts(int parts, int rows = MaxRowsPerProduct)
    {
        if (parts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parts), parts, $"{nameof(parts)} must be at least 1; got {parts}.");
        }

        if (rows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"{nameof(rows)} must be at least 1; got {rows}.");
        }

        if (rows != _bufferRows)
        {
            _blockBuffers = [];
            _bufferRows = Math.Max(rows, 1);
        }

        if (_blockBuffers.Length >= 2 * parts)
        {
            return;
        }

        int stride = _ping.Length;
        var grown = new float[2 * parts][];
        Array.Copy(_blockBuffers, grown, _blockBuffers.Length);
        for (int i = _blockBuffers.Length; i < grown.Length; i++)
        {
            grown[i] = new float[checked(_bufferRows * stride)];
        }

        _blockBuffers = grown;
    }

    /// <summary>One parallel block scoring: part p takes the p-th of <c>parts</c> equal runs of whole blocks of rows.</summary>
    private sealed unsafe class ScoringJob : IParallelWork
    {
        private MlpPredictor? _predictor;
        private float* _input;
        private float* _output;
        private int _rows;
        private int _rowsPerPart;

        public void Set(MlpPredictor predictor, float* input, float* output, int rows, int parts)
        {
            _predictor = predictor;
            _input = input;
            _output = output;
            _rows = rows;
            int blocks = (rows + MaxRowsPerProduct - 1) / MaxRowsPerProduct;
            _rowsPerPart = ((blocks + parts - 1) / parts) * MaxRowsPerProduct;
        }

        public void Clear()
        {
            _predictor = null;
            _input = null;
            _output = null;
        }

        public void Execute(int chunk)
        {
            int first = chunk * _rowsPerPart;
            int end = Math.Min(_rows, first + _rowsPerPart);
            if (first < end)
            {
                _predictor!.RunRows(_input, _output, first, end, chunk);
            }
        }
    }

    /// <summary>
    /// The forward pass of <paramref name="rows"/> contiguous rows into contiguous scores. Every layer is computed
    /// on the predictor's copy of the weights, whose columns are zero-padded to a multiple of 16 (whole registers:
    /// no narrow remainders, and still one dense block for a single row to stream from L2); hidden layers
    /// alternate between two buffers of rows
    /// <paramref name="stride"/> floats apart, and the last layer's padded block is copied out to the scores.
    /// Relu and identity are fused into the products; other activations run after each hidden layer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Run(float* input, int rows, float* scores, float* ping, float* pong, nint stride, int firstLayer = 0)
    {
        ParameterLayout layout = _model.Layout;
        HiddenActivation activation = _model.HiddenActivation;
        int layers = layout.LayerCount;
        nint inputStride = firstLayer == 0 ? layout.InputWidth : stride;
        for (int l = firstLayer; l < layers; l++)
        {
            int k = layout.Sizes[l];
            int n = layout.Sizes[l + 1];
            bool hidden = l + 1 < layers;
            float* output = l % 2 == 0 ? ping : pong;
            fixed (float* weights = _weights[l], bias = _biases[l])
            {
                bool done = (hidden ? activation : HiddenActivation.Identity).Function.ForwardProduct(input, inputStride, weights, _widths[l], bias, output, stride, rows, k, _widths[l]);
                if (hidden && !done)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        activation.Forward(new Span<float>(output + (r * stride), n));
                    }
                }
            }

            if (!hidden)
            {
                for (int r = 0; r < rows; r++)
                {
                    new ReadOnlySpan<float>(output + (r * stride), n).CopyTo(new Span<float>(scores + (r * n), n));
                }
            }

            input = output;
            inputStride = stride;
        }
    }

    /// <summary>
    /// Class probabilities for one row into <paramref name="probabilities"/> (length <see cref="MlpModel.ClassCount"/>);
    /// scikit-learn's <c>predict_proba</c>. For binary models slot 0 is <c>1 - p</c> and slot 1 is <c>p</c>.
    /// </summary>
    public void PredictProbabilities(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        OutputHead head = RequireClassifier();
        CheckWidth(probabilities.Length, head.ProbabilityCount(_model.ClassCount), nameof(probabilities), "probability slots");

        // A classifier has no more outputs than probabilities: the outputs go to the start of the probabilities.
        Span<float> outputs = probabilities[.._model.OutputCount];
        ComputeScores(features, outputs);
        head.Probabilities(outputs, probabilities);
    }

    /// <summary>The most probable class of one row (ties go to the lower index); scikit-learn's <c>predict</c>.</summary>
    public int PredictClass(ReadOnlySpan<float> features)
    {
        OutputHead head = RequireClassifier();
        Span<float> scores = _model.OutputCount <= 256 ? stackalloc float[_model.OutputCount] : new float[_model.OutputCount];
        ComputeScores(features, scores);
        return head.PredictClass(scores);
    }

    private OutputHead RequireClassifier()
    {
        OutputHead head = _model.Head;
        if (!head.IsClassifier)
        {
            throw new InvalidOperationException("This is a regression model; it has no classes. Use ComputeScores for its predictions.");
        }

        return head;
    }

    private static void CheckWidth(long actual, long expected, string parameter, string what)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"The model expects {expected} {what}; {parameter} has {actual}.", parameter);
        }
    }
}
