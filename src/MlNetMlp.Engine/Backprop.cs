using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// Forward and backward passes over chunks of rows, with every work buffer allocated (pinned) once per fit.
/// Legend: m = rows in the chunk (at most <see cref="Capacity"/>), s_l = width of layer l, L = weight layers.
/// <code>
///   act[0]     (m, s_0)        the gathered input rows
///   act[l]     (m, s_l)        hidden activations, l = 1..L-1
///   act[L]     (m, s_L)        output logits, turned into the output delta in place
///   delta[l]   (m, s_l)        gradient w.r.t. the pre-activation of hidden layer l
///   weight[l]  (s_l, s_l+1)    a copy of layer l's weight, made only where its row length would make the
///                              kernels' column panels collide in the L1 cache (see <see cref="Gemm.PaddedStride"/>)
///   weightT[l] (s_l+1, s_l)    layer l's weight transposed, for the input gradient (l = 1..L-1)
/// </code>
/// Hidden-layer buffers are padded the same way. The work of one chunk runs in three phases, each cut into
/// independent pieces that <see cref="WorkerPool"/> spreads over the cores when the chunk is large enough:
/// <list type="number">
/// <item>prepare: copy and transpose the weights, in blocks of weight rows;</item>
/// <item>rows: blocks of rows go through every layer, get their output delta and loss, and go back down
/// through every layer's input gradient (<c>delta · weightᵀ</c>, times the activation's derivative, fused):
/// rows do not interact until the weight gradient;</item>
/// <item>weights: blocks of weight-gradient rows of every layer (<c>dweight = actᵀ delta</c>) and the bias
/// gradients; on the last chunk each piece also adds its rows' L2 term and divides by the row count.</item>
/// </list>
/// Every output element is computed by one piece in a fixed order, the loss is summed row by row in order and
/// the L2 sum over fixed blocks of weight rows in order, so results are bit-identical for any number of threads.
/// </summary>
internal sealed unsafe class Backprop : IParallelWork
{
    /// <summary>Multiply-adds per chunk below which a chunk runs on one thread: the hand-off would cost more than it saves.</summary>
    internal const long ParallelThreshold = 1_500_000;

    /// <summary>
    /// Rows of weight gradient per piece of the weight phase when it runs in parallel (on one thread a piece is a
    /// whole layer, so each column panel of the delta is read from L2 once per layer).
    /// </summary>
    private const int WeightRowsPerPiece = 64;

    /// <summary>
    /// Rows whose cache lines are requested ahead of the copy when gathering the shuffled input rows: a large data
    /// set is read from memory in random order, and this keeps many misses in flight instead of one row's.
    /// </summary>
    private const int GatherAhead = 16;

    /// <summary>Weight rows per piece of the prepare phase (copy and transpose).</summary>
    private const int PrepareRowsPerPiece = 64;

    /// <summary>Rows of weights per partial sum of squares: a fixed grouping, whatever the pieces.</summary>
    private const int SquareRows = 16;

    private readonly HiddenActivation _activation;
    private readonly int _threads;
    private readonly int _layers;
    private readonly int[] _sizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly long _multiplyAddsPerRow;

    // Pinned work buffers and their row strides (in floats).
    private readonly float[][] _buffers;
    private readonly float*[] _act;
    private readonly nint[] _actStride;
    private readonly float*[] _delta;
    private readonly float*[] _weightCopy;
    private readonly nint[] _weightStride;
    private readonly float*[] _weightT;
    private readonly nint[] _weightTStride;
    private readonly double[] _rowLoss;

    // The pieces of the weight phase, on one thread and in parallel: layer, first and end weight row (first -1
    // for the bias); and Σ W² per block of SquareRows rows of every layer.
    private readonly WeightPiece[] _serialPieces;
    private readonly WeightPiece[] _parallelPieces;
    private readonly (int Layer, int Start, int End)[] _preparePieces;
    private readonly int[] _squareOffsets;
    private readonly double[] _squares;

    // The chunk being processed: set for the duration of one call, inside a fixed block.
    private Phase _phase;
    private bool _training;
    private bool _firstChunk;
    private bool _lastChunk;
    private float _alpha;
    private float _inverse;
    private int _rows;
    private int _rowsPerPiece;
    private int _rowPieces;
    private float* _parameters;
    private float* _gradient;
    private int* _rowIndex;
    private float* _features;
    private MlpDataset? _data;

    public Backprop(ParameterLayout layout, HiddenActivation activation, int capacity, int threads)
    {
        _activation = activation;
        _threads = threads;
        Capacity = capacity;
        _layers = layout.LayerCount;
        _sizes = layout.Sizes.ToArray();
        int layers = _layers;
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        int weightOffset = 0, biasOffset = layout.WeightCount;
        for (int l = 0; l < layers; l++)
        {
            _weightOffsets[l] = weightOffset;
            _biasOffsets[l] = biasOffset;
            weightOffset += _sizes[l] * _sizes[l + 1];
            biasOffset += _sizes[l + 1];
            _multiplyAddsPerRow += (long)_sizes[l] * _sizes[l + 1];
        }

        _buffers = new float[(4 * layers) + 1][];
        int buffer = 0;
        float* Allocate(long length)
        {
            float[] array = GC.AllocateArray<float>(checked((int)Math.Max(length, 1)), pinned: true);
            _buffers[buffer++] = array;
            fixed (float* p = array)
            {
                return p;
            }
        }

        _act = new float*[layers + 1];
        _actStride = new nint[layers + 1];
        _delta = new float*[layers + 1];
        for (int l = 0; l <= layers; l++)
        {
            bool hidden = l > 0 && l < layers;
            _actStride[l] = hidden ? Gemm.PaddedStride(_sizes[l]) : _sizes[l];
            _act[l] = Allocate((long)capacity * _actStride[l]);
            if (hidden)
            {
                _delta[l] = Allocate((long)capacity * _actStride[l]);
            }
        }

        _weightCopy = new float*[layers];
        _weightStride = new nint[layers];
        _weightT = new float*[layers];
        _weightTStride = new nint[layers];
        for (int l = 0; l < layers; l++)
        {
            _weightStride[l] = Gemm.PaddedStride(_sizes[l + 1]);
            if (_weightStride[l] != _sizes[l + 1])
            {
                _weightCopy[l] = Allocate((long)_sizes[l] * _weightStride[l]);
            }

            if (l > 0)
            {
                _weightTStride[l] = Gemm.PaddedStride(_sizes[l]);
                _weightT[l] = Allocate((long)_sizes[l + 1] * _weightTStride[l]);
            }
        }

        _rowLoss = new double[capacity];
        var prepare = new System.Collections.Generic.List<(int, int, int)>();
        for (int l = 0; l < layers; l++)
        {
            for (int p = 0; p < _sizes[l]; p += PrepareRowsPerPiece)
            {
                prepare.Add((l, p, Math.Min(p + PrepareRowsPerPiece, _sizes[l])));
            }
        }

        _preparePieces = prepare.ToArray();
        _serialPieces = WeightPieces(int.MaxValue);
        _parallelPieces = WeightPieces(WeightRowsPerPiece);
        _squareOffsets = new int[layers];
        int blocks = 0;
        for (int l = 0; l < layers; l++)
        {
            _squareOffsets[l] = blocks;
            blocks += (_sizes[l] + SquareRows - 1) / SquareRows;
        }

        _squares = new double[blocks];
    }

    private enum Phase
    {
        Prepare,
        Rows,
        Weights,
    }

    /// <summary>Most rows one call may process.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Mean loss and gradient over <paramref name="rows"/> (any count; processed in chunks of <see cref="Capacity"/>),
    /// as scikit-learn's <c>_backprop</c>: <c>loss = (Σ w_i loss_i + alpha/2 Σ W²) / m</c>,
    /// <c>dW = (Σ aᵀ delta + alpha W) / m</c>, <c>db = Σ delta / m</c>. Overwrites <paramref name="gradient"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double LossAndGradient(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows, double alpha, Span<float> gradient)
    {
        if (rows.Length == 0)
        {
            throw new ArgumentException("At least one row is needed.", nameof(rows));
        }

        double dataLoss = 0;
        double sumOfSquares = 0;
        fixed (float* p = parameters, g = gradient, features = data.Features)
        fixed (int* r = rows)
        {
            _parameters = p;
            _gradient = g;
            _features = features;
            _data = data;
            _training = true;
            _alpha = alpha > 0 ? (float)alpha : 0f;
            _inverse = 1f / rows.Length;
            try
            {
                // The weights do not change between chunks: copy and transpose them once per call.
                Begin(r, Math.Min(Capacity, rows.Length));
                RunPhase(Phase.Prepare, _preparePieces.Length);
                for (int start = 0; start < rows.Length; start += Capacity)
                {
                    int count = Math.Min(Capacity, rows.Length - start);
                    _firstChunk = start == 0;
                    _lastChunk = start + count == rows.Length;
                    Begin(r + start, count);
                    RunPhase(Phase.Rows, _rowPieces);
                    RunPhase(Phase.Weights, (Parallel ? _parallelPieces : _serialPieces).Length);
                    for (int i = 0; i < count; i++)
                    {
                        dataLoss += _rowLoss[i];
                    }
                }
            }
            finally
            {
                End();
            }
        }

        if (alpha > 0)
        {
            for (int block = 0; block < _squares.Length; block++)
            {
                sumOfSquares += _squares[block];
            }
        }

        return (dataLoss + (0.5 * alpha * sumOfSquares)) / rows.Length;
    }

    /// <summary>
    /// Runs the forward pass for one chunk of rows and returns the raw output layer <c>(rows.Length, s_L)</c>:
    /// logits for classification, predictions for regression. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows)
    {
        fixed (float* p = parameters, features = data.Features)
        fixed (int* r = rows)
        {
            _parameters = p;
            _features = features;
            _data = data;
            _training = false;
            try
            {
                Begin(r, rows.Length);
                RunPhase(Phase.Prepare, _preparePieces.Length);
                RunPhase(Phase.Rows, _rowPieces);
            }
            finally
            {
                End();
            }
        }

        return new ReadOnlySpan<float>(_act[_layers], rows.Length * _sizes[_layers]);
    }

    /// <summary>One piece of the current phase; see the class remarks for what the pieces are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int piece)
    {
        switch (_phase)
        {
            case Phase.Prepare:
                Prepare(piece);
                break;
            case Phase.Rows:
                int r0 = piece * _rowsPerPiece;
                Rows(r0, Math.Min(r0 + _rowsPerPiece, _rows));
                break;
            default:
                WeightGradient(piece);
                break;
        }
    }

    private bool Parallel => _threads > 1 && _rows * _multiplyAddsPerRow >= ParallelThreshold;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Begin(int* rowIndex, int rows)
    {
        if (rows > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"At most {Capacity} rows per chunk.");
        }

        _rowIndex = rowIndex;
        _rows = rows;
        // One block of rows per thread: every block streams all the weights through L1, so smaller blocks cost
        // more than the balance they buy; a late helper only means the caller takes its block too.
        _rowsPerPiece = Parallel ? Math.Max(8, ((rows / _threads) + 7) & ~7) : Math.Max(rows, 1);
        _rowPieces = (rows + _rowsPerPiece - 1) / _rowsPerPiece;
    }

    private void End()
    {
        _parameters = null;
        _gradient = null;
        _rowIndex = null;
        _features = null;
        _data = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunPhase(Phase phase, int pieces)
    {
        _phase = phase;
        WorkerPool.For(this, pieces, Parallel ? _threads : 1);
    }

    /// <summary>The weight phase cut into pieces of at most <paramref name="rows"/> weight rows (a multiple of <see cref="SquareRows"/>), then one bias piece per layer.</summary>
    private WeightPiece[] WeightPieces(int rows)
    {
        var pieces = new System.Collections.Generic.List<WeightPiece>();
        for (int l = 0; l < _layers; l++)
        {
            for (int p = 0; p < _sizes[l]; p += Math.Min(rows, _sizes[l]))
            {
                pieces.Add(new WeightPiece(l, p, (int)Math.Min((long)p + rows, _sizes[l])));
            }
        }

        for (int l = 0; l < _layers; l++)
        {
            pieces.Add(new WeightPiece(l, -1, 0));
        }

        return pieces.ToArray();
    }

    private float* ForwardWeights(int layer) => _weightCopy[layer] != null ? _weightCopy[layer] : _parameters + _weightOffsets[layer];

    /// <summary>One block of weight rows: its padded copy and, when training, its part of the transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Prepare(int index)
    {
        (int layer, int p0, int p1) = _preparePieces[index];
        int n = _sizes[layer + 1];
        float* weights = _parameters + _weightOffsets[layer];
        if (_weightCopy[layer] != null)
        {
            nint stride = _weightStride[layer];
            for (int p = p0; p < p1; p++)
            {
                new ReadOnlySpan<float>(weights + (p * n), n).CopyTo(new Span<float>(_weightCopy[layer] + (p * stride), n));
            }
        }

        if (_training && layer > 0)
        {
            Gemm.Transpose(weights, n, n, _weightT[layer], _weightTStride[layer], p0, p1);
        }
    }

    /// <summary>
    /// Rows <c>[r0, r1)</c> through every layer; when training also their output delta and loss, and their delta
    /// at every hidden layer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rows(int r0, int r1)
    {
        int count = r1 - r0;
        int d = _sizes[0];
        float* inputs = _act[0];
        for (int r = r0; r < Math.Min(r0 + GatherAhead, r1); r++)
        {
            Prefetch(_features + ((long)_rowIndex[r] * d), d);
        }

        for (int r = r0; r < r1; r++)
        {
            if (r + GatherAhead < r1)
            {
                Prefetch(_features + ((long)_rowIndex[r + GatherAhead] * d), d);
            }

            new ReadOnlySpan<float>(_features + ((long)_rowIndex[r] * d), d).CopyTo(new Span<float>(inputs + ((long)r * d), d));
        }

        for (int l = 0; l < _layers; l++)
        {
            int k = _sizes[l];
            int n = _sizes[l + 1];
            bool hidden = l + 1 < _layers;
            nint inStride = _actStride[l], outStride = _actStride[l + 1];
            float* output = _act[l + 1] + (r0 * outStride);
            bool done = Gemm.Forward(_act[l] + (r0 * inStride), inStride, ForwardWeights(l), _weightStride[l], _parameters + _biasOffsets[l], output, outStride, count, k, n, hidden ? _activation.Kind : Activation.Identity);
            if (hidden && !done)
            {
                for (int r = 0; r < count; r++)
                {
                    _activation.Forward(new Span<float>(output + (r * outStride), n));
                }
            }
        }

        if (!_training)
        {
            return;
        }

        int width = _sizes[_layers];
        OutputLoss.ToDelta(
            _data!,
            new ReadOnlySpan<int>(_rowIndex + r0, count),
            new Span<float>(_act[_layers] + (r0 * width), count * width),
            _rowLoss.AsSpan(r0, count));

        for (int l = _layers - 1; l > 0; l--)
        {
            float* delta = l + 1 == _layers ? _act[_layers] : _delta[l + 1];
            nint deltaStride = _actStride[l + 1], stride = _actStride[l];
            Gemm.InputGradient(delta + (r0 * deltaStride), deltaStride, _weightT[l], _weightTStride[l], _act[l] + (r0 * stride), stride, _delta[l] + (r0 * stride), stride, count, _sizes[l + 1], _sizes[l], _activation);
        }
    }

    private static void Prefetch(float* row, int length)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        byte* end = (byte*)(row + length);
        for (byte* line = (byte*)row; line < end; line += 64)
        {
            Sse.Prefetch0(line);
        }
    }

    /// <summary>
    /// Piece of the weight phase: a block of rows of one layer's weight gradient, or its bias gradient. The first
    /// chunk writes, later chunks add; the last chunk then adds <c>alpha W</c> and divides by the row count,
    /// recording <c>Σ W²</c> per fixed block of rows for the loss.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient(int index)
    {
        WeightPiece piece = (Parallel ? _parallelPieces : _serialPieces)[index];
        int l = piece.Layer;
        int k = _sizes[l];
        int n = _sizes[l + 1];
        float* delta = l + 1 == _layers ? _act[_layers] : _delta[l + 1];
        nint deltaStride = _actStride[l + 1];
        if (piece.Start < 0)
        {
            Span<float> biasGradient = new(_gradient + _biasOffsets[l], n);
            if (_firstChunk)
            {
                biasGradient.Clear();
            }

            Gemm.ColumnSums(delta, deltaStride, _rows, _gradient + _biasOffsets[l], 0, n);
            if (_lastChunk)
            {
                VectorMath.Scale(biasGradient, _inverse);
            }

            return;
        }

        int p0 = piece.Start, p1 = piece.End;
        float* gradient = _gradient + _weightOffsets[l];
        Gemm.WeightGradientRows(_act[l], _actStride[l], delta, deltaStride, gradient, n, _rows, n, p0, p1, accumulate: !_firstChunk);
        if (!_lastChunk)
        {
            return;
        }

        for (int b0 = p0; b0 < p1; b0 += SquareRows)
        {
            int b1 = Math.Min(b0 + SquareRows, p1);
            var weights = new ReadOnlySpan<float>(_parameters + _weightOffsets[l] + (b0 * n), (b1 - b0) * n);
            var rows = new Span<float>(gradient + (b0 * n), (b1 - b0) * n);
            if (_alpha > 0)
            {
                _squares[_squareOffsets[l] + (b0 / SquareRows)] = VectorMath.SumOfSquares(weights);
                VectorMath.AddPenaltyAndScale(weights, rows, _alpha, _inverse);
            }
            else
            {
                VectorMath.Scale(rows, _inverse);
            }
        }
    }

    /// <summary>One piece of the weight phase: rows <c>[Start, End)</c> of a layer's weight gradient, or (Start -1) its bias gradient.</summary>
    private readonly record struct WeightPiece(int Layer, int Start, int End);
}
