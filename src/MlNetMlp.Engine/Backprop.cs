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
///   delta[l]   (m, s_l)        gradient w.r.t. the pre-activation of hidden layer l; layer by layer (below) it is
///                              written over act[l]
///   weight[l]  (s_l, s_l+1)    a copy of layer l's weight, made only for chunks that may be split between threads
///                              and only where its row length would make the kernels' column panels collide in the
///                              L1 cache (see <see cref="Gemm.PaddedStride"/>)
///   weightT[l] (s_l+1, s_l)    layer l's weight transposed, for the input gradient (l = 1..L-1), padded likewise
/// </code>
/// Every buffer's stride and length comes from one <see cref="BackpropBufferPlan"/>, which <see cref="WorkBytes"/> also
/// reads. Hidden-layer activations and deltas are always padded. The weights are copied and transposed once per call
/// (prepare). A chunk large enough to be split between threads (<see cref="ParallelCost.SerialMultiplyAdds"/>) then runs in two
/// phases, each cut into independent pieces that <see cref="WorkerPool"/> spreads over the cores:
/// <list type="number">
/// <item>rows: blocks of rows go through every layer, get their output delta and loss, and go back down
/// through every layer's input gradient (<c>delta · weightᵀ</c>, times the activation's derivative, fused):
/// rows do not interact until the weight gradient;</item>
/// <item>weights: blocks of weight-gradient rows of every layer (<c>dweight = actᵀ delta</c>) and the bias
/// gradients; on the last chunk each piece also adds its rows' L2 term and divides by the row count.</item>
/// </list>
/// A smaller chunk runs on the calling thread layer by layer: forward, then from the top, each layer's weight and
/// bias gradient followed by its input gradient, which overwrites the layer's activations (nothing else reads them
/// afterwards). That needs one buffer per hidden layer instead of two: what bounds a fit's memory when the trainer
/// cuts the mini-batches of a small data set into small chunks (<see cref="RowsWithinBudget"/>).
/// Every output element is computed in a fixed order whatever the chunk and the pieces (the kernels add one
/// product per step in ascending depth, and a chunk continues from the previous chunk's sums), the loss is summed
/// row by row in order and the L2 sum over fixed blocks of weight rows in order, so results are bit-identical for
/// any number of threads and any chunk size.
/// </summary>
internal sealed unsafe class Backprop : IParallelWork
{
    /// <summary>
    /// Rows per product of the forward pass and the input gradient layer by layer: below <see cref="Gemm.PackRows"/>,
    /// so the kernels read the unpadded weights (no copies are made layer by layer) in place rather than copying
    /// their column panels first, which only pays over more rows. A multiple of the tiles' 8 rows.
    /// </summary>
    private const int LayerRowBlock = Gemm.PackRows - 8;

    /// <summary>Fewest rows <see cref="RowsWithinBudget"/> gives a chunk (unless the batch is smaller): the kernels' tiles are 8 rows high.</summary>
    internal const int MinChunkRows = 8;

    /// <summary>
    /// Rows of weights per piece of the prepare and weight phases when they run in parallel (on one thread a piece
    /// is a whole layer, so each column panel of the delta is read from L2 once per layer).
    /// </summary>
    private const int WeightRowsPerPiece = 64;

    /// <summary>
    /// Rows whose cache lines are requested ahead of the copy when gathering the shuffled input rows: a large data
    /// set is read from memory in random order, and this keeps many misses in flight instead of one row's.
    /// </summary>
    private const int GatherAhead = 16;

    /// <summary>Rows of weights per partial sum of squares: a fixed grouping, whatever the pieces.</summary>
    private const int SquareRows = 16;

    private readonly HiddenActivation _activation;
    private readonly bool _sparseInput;
    private int _threads;
    private readonly bool _layerByLayer;
    private readonly int _layers;
    private readonly int[] _sizes;
    private readonly ParameterLayout _layout;

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
    // for the bias; the prepare phase takes the others); and Σ W² per block of SquareRows rows of every layer.
    private readonly WeightPiece[] _serialPieces;
    private readonly WeightPiece[] _parallelPieces;
    private readonly int[] _squareOffsets;
    private readonly double[] _squares;

    // The chunk being processed: set for the duration of one call, inside a fixed block.
    private Phase _phase;
    private bool _training;
    private bool _firstChunk;
    private bool _lastChunk;
    private float _l2;
    private float _inverse;
    private int _rows;
    private int _chunkStart;
    private Dropout _dropout;
    private float _labelSmoothing;
    private int _rowsPerPiece;
    private int _rowPieces;
    private float* _parameters;
    private float* _gradient;
    private int* _rowIndex;
    private float* _features;
    private int* _rowStarts;
    private int* _indices;
    private float* _values;
    private MlpDataset? _data;

    /// <summary>
    /// Work buffers for chunks of up to <paramref name="capacity"/> rows. With <paramref name="sparseInput"/> the rows
    /// come from <see cref="MlpDataset.SparseFeatures"/>: no input block is gathered, the first layer is multiplied over
    /// each row's stored values, and its weight gradient is scattered from them.
    /// </summary>
    public Backprop(ParameterLayout layout, HiddenActivation activation, int capacity, int threads, bool sparseInput = false)
    {
        _activation = activation;
        _sparseInput = sparseInput;
        Threads = threads;
        Capacity = capacity;
        _layers = layout.LayerCount;
        _sizes = layout.Sizes.ToArray();
        int layers = _layers;
        _layout = layout;
        Plan = new BackpropBufferPlan(layout, capacity, sparseInput);
        _layerByLayer = Plan.LayerByLayer;
        _buffers = new float[Plan.BufferCount][];
        int buffer = 0;
        float* Allocate(long length)
        {
            if (length == 0)
            {
                return null;
            }

            float[] array = GC.AllocateArray<float>(checked((int)length), pinned: true);
            _buffers[buffer++] = array;
            fixed (float* p = array)
            {
                return p;
            }
        }

        _act = new float*[layers + 1];
        _actStride = Plan.ActStride;
        _delta = new float*[layers + 1];
        for (int l = 0; l <= layers; l++)
        {
            _act[l] = Allocate(Plan.ActFloats[l]);
            if (l > 0 && l < layers)
            {
                _delta[l] = Plan.DeltaFloats[l] == 0 ? _act[l] : Allocate(Plan.DeltaFloats[l]);
            }
        }

        _weightCopy = new float*[layers];
        _weightStride = Plan.WeightStride;
        _weightT = new float*[layers];
        _weightTStride = Plan.WeightTStride;
        for (int l = 0; l < layers; l++)
        {
            _weightCopy[l] = Allocate(Plan.WeightCopyFloats[l]);
            _weightT[l] = Allocate(Plan.WeightTFloats[l]);
        }

        _rowLoss = new double[Plan.RowLossDoubles];
        _serialPieces = WeightPieces(int.MaxValue);
        _parallelPieces = _layerByLayer ? _serialPieces : WeightPieces(WeightRowsPerPiece);
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

    /// <summary>Most rows one chunk may hold; longer calls are processed in chunks of this many rows.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Share of hidden units <see cref="LossAndGradient"/> drops per row (<see cref="Engine.Dropout"/>), in [0, 1); 0 for
    /// none. Needs relu hidden layers. <see cref="Forward"/> never drops.
    /// </summary>
    public double DropoutRate { get; set; }

    /// <summary>The fit's dropout key; with <see cref="DropoutStep"/> it decides which units the next call drops.</summary>
    public ulong DropoutKey { get; set; }

    /// <summary>The optimizer step the next <see cref="LossAndGradient"/> call is for: each step drops other units.</summary>
    public long DropoutStep { get; set; }

    /// <summary>
    /// Label smoothing of the training loss (classification heads), in [0, 1): the target puts <c>1 - ε</c> on the label
    /// and spreads <c>ε</c> over all classes (<see cref="OutputHead.ToDelta"/>). Regression ignores it.
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>
    /// Rows per chunk: the whole batch if its work buffers (<see cref="WorkBytes"/>) fit in <paramref name="budgetBytes"/>,
    /// else the most rows that fit, in multiples of <see cref="MinChunkRows"/> (the kernels' tile height; at least
    /// that many), evened out so that a full batch splits into chunks of nearly equal size. Depends only on the
    /// shapes and the budget, never on the thread count.
    /// </summary>
    public static int RowsWithinBudget(ParameterLayout layout, int batchRows, long budgetBytes, bool sparseInput = false)
    {
        if (WorkBytes(layout, batchRows, sparseInput) <= budgetBytes)
        {
            return batchRows;
        }

        // WorkBytes grows with the rows: the most that fit, by bisection (at least MinChunkRows, or the batch).
        int most = Math.Min(MinChunkRows, batchRows), high = batchRows;
        while (most < high)
        {
            int middle = most + ((high - most + 1) / 2);
            if (WorkBytes(layout, middle, sparseInput) <= budgetBytes)
            {
                most = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        if (most < MinChunkRows)
        {
            return most;
        }

        most = most / MinChunkRows * MinChunkRows;
        int chunks = (batchRows + most - 1) / most;
        int even = (batchRows + chunks - 1) / chunks;
        return (even + MinChunkRows - 1) / MinChunkRows * MinChunkRows;
    }

    /// <summary>Bytes of the work buffers a <see cref="Backprop"/> of this capacity allocates (<see cref="BackpropBufferPlan.Bytes"/>: the arrays' contents; their headers and the small bookkeeping arrays aside).</summary>
    public static long WorkBytes(ParameterLayout layout, int capacity, bool sparseInput = false) => new BackpropBufferPlan(layout, capacity, sparseInput).Bytes;

    /// <summary>The sizes of this instance's work buffers, as allocated.</summary>
    internal BackpropBufferPlan Plan { get; }

    /// <summary>Bytes of the work buffers this instance actually holds, counted from the arrays themselves (for tests: it must equal <see cref="BackpropBufferPlan.Bytes"/>).</summary>
    internal long AllocatedWorkBytes
    {
        get
        {
            long bytes = (long)_rowLoss.Length * sizeof(double);
            foreach (float[] array in _buffers)
            {
                bytes += (long)array.Length * sizeof(float);
            }

            return bytes;
        }
    }

    /// <summary>
    /// Mean loss and gradient over <paramref name="rows"/> (any count; processed in chunks of <see cref="Capacity"/>),
    /// as scikit-learn's <c>_backprop</c>: <c>loss = (Σ w_i loss_i + l2/2 Σ W²) / m</c>,
    /// <c>dW = (Σ aᵀ delta + l2 W) / m</c>, <c>db = Σ delta / m</c>. Overwrites <paramref name="gradient"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double LossAndGradient(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows, double l2, Span<float> gradient)
    {
        if (rows.Length == 0)
        {
            throw new ArgumentException("At least one row is needed.", nameof(rows));
        }

        double dataLoss = 0;
        double sumOfSquares = 0;
        CheckInput(data);
        MlpSparseFeatures? sparse = data.SparseFeatures;
        fixed (float* p = parameters, g = gradient, features = data.Features, values = sparse?.Values)
        fixed (int* r = rows, starts = sparse?.RowStarts, indices = sparse?.Indices)
        {
            _parameters = p;
            _gradient = g;
            _features = features;
            _rowStarts = starts;
            _indices = indices;
            _values = values;
            _data = data;
            _training = true;
            _l2 = l2 > 0 ? (float)l2 : 0f;
            _inverse = 1f / rows.Length;
            _dropout = new Dropout(DropoutRate, DropoutKey, DropoutStep);
            _labelSmoothing = (float)LabelSmoothing;
            try
            {
                // The weights do not change between chunks: copy and transpose them once per call.
                Begin(r, Math.Min(Capacity, rows.Length));
                RunPhase(Phase.Prepare, Pieces.Length - _layers);
                for (int start = 0; start < rows.Length; start += Capacity)
                {
                    int count = Math.Min(Capacity, rows.Length - start);
                    _firstChunk = start == 0;
                    _lastChunk = start + count == rows.Length;
                    _chunkStart = start;
                    Begin(r + start, count);
                    if (_layerByLayer)
                    {
                        LayerByLayer();
                    }
                    else
                    {
                        RunPhase(Phase.Rows, _rowPieces);
                        RunPhase(Phase.Weights, Pieces.Length);
                    }

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

        if (l2 > 0)
        {
            for (int block = 0; block < _squares.Length; block++)
            {
                sumOfSquares += _squares[block];
            }
        }

        return (dataLoss + (0.5 * l2 * sumOfSquares)) / rows.Length;
    }

    /// <summary>
    /// Runs the forward pass for one chunk of rows and returns the raw output layer <c>(rows.Length, s_L)</c>:
    /// logits for classification, predictions for regression. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows)
    {
        CheckInput(data);
        MlpSparseFeatures? sparse = data.SparseFeatures;
        fixed (float* p = parameters, features = data.Features, values = sparse?.Values)
        fixed (int* r = rows, starts = sparse?.RowStarts, indices = sparse?.Indices)
        {
            _parameters = p;
            _features = features;
            _rowStarts = starts;
            _indices = indices;
            _values = values;
            _data = data;
            _training = false;
            _dropout = default;
            try
            {
                Begin(r, rows.Length);
                RunPhase(Phase.Prepare, Pieces.Length - _layers);
                RunPhase(Phase.Rows, _rowPieces);
            }
            finally
            {
                End();
            }
        }

        return new ReadOnlySpan<float>(_act[_layers], rows.Length * _sizes[_layers]);
    }

    private void CheckInput(MlpDataset data)
    {
        if (data.IsSparse != _sparseInput)
        {
            throw new ArgumentException($"These work buffers are for {(_sparseInput ? "sparse" : "dense")} rows; the data set's are {(data.IsSparse ? "sparse" : "dense")}.", nameof(data));
        }
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

    /// <summary>Threads the next chunks may use; it may change between chunks, since results do not depend on it.</summary>
    public int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Threads), value, $"{nameof(Threads)} must be at least 1; got {value}.");
    }

    private bool Parallel => _threads > 1 && MaySplit(_rows, _layout.WeightCount);

    private WeightPiece[] Pieces => Parallel ? _parallelPieces : _serialPieces;

    /// <summary>Whether a chunk of this many rows is large enough to be split between threads (given more than one).</summary>
    internal static bool MaySplit(long rows, long multiplyAddsPerRow) => ParallelCost.WorthSplitting(rows * multiplyAddsPerRow);

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
        // more than the balance they buy; a late helper only means the caller takes its block too. Layer by layer,
        // blocks of LayerRowBlock rows.
        _rowsPerPiece = Parallel ? Math.Max(8, ((rows / _threads) + 7) & ~7) : Math.Max(_layerByLayer ? Math.Min(rows, LayerRowBlock) : rows, 1);
        _rowPieces = (rows + _rowsPerPiece - 1) / _rowsPerPiece;
    }

    private void End()
    {
        _parameters = null;
        _gradient = null;
        _rowIndex = null;
        _features = null;
        _rowStarts = null;
        _indices = null;
        _values = null;
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
        // Sparse rows scatter the first layer's weight gradient row by row: one piece, so every weight row is
        // summed in row order whatever the threads.
        int RowsOf(int layer) => layer == 0 && _sparseInput ? int.MaxValue : rows;
        int count = _layers;
        for (int l = 0; l < _layers; l++)
        {
            count += (int)((_sizes[l] + (long)RowsOf(l) - 1) / RowsOf(l));
        }

        var pieces = new WeightPiece[count];
        int next = 0;
        for (int l = 0; l < _layers; l++)
        {
            int step = RowsOf(l);
            for (int p = 0; p < _sizes[l]; p += Math.Min(step, _sizes[l]))
            {
                pieces[next++] = new WeightPiece(l, p, (int)Math.Min((long)p + step, _sizes[l]));
            }
        }

        for (int l = 0; l < _layers; l++)
        {
            pieces[next++] = new WeightPiece(l, -1, 0);
        }

        return pieces;
    }

    private float* ForwardWeights(int layer) => _weightCopy[layer] != null ? _weightCopy[layer] : _parameters + _layout.WeightOffset(layer);

    /// <summary>One block of weight rows (a weight piece): its padded copy and, when training, its part of the transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Prepare(int index)
    {
        (int layer, int p0, int p1) = Pieces[index];
        int n = _sizes[layer + 1];
        float* weights = _parameters + _layout.WeightOffset(layer);
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
            Transpose.Rows(weights, n, n, _weightT[layer], _weightTStride[layer], p0, p1);
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
        int firstDense = 0;
        if (_sparseInput)
        {
            SparseFirstLayer(r0, r1);
            firstDense = 1;
        }

        for (int r = r0; r < Math.Min(r0 + GatherAhead, r1) && !_sparseInput; r++)
        {
            Prefetch(_features + ((long)_rowIndex[r] * d), d);
        }

        for (int r = r0; r < r1 && !_sparseInput; r++)
        {
            if (r + GatherAhead < r1)
            {
                Prefetch(_features + ((long)_rowIndex[r + GatherAhead] * d), d);
            }

            new ReadOnlySpan<float>(_features + ((long)_rowIndex[r] * d), d).CopyTo(new Span<float>(inputs + ((long)r * d), d));
        }

        for (int l = firstDense; l < _layers; l++)
        {
            int k = _sizes[l];
            int n = _sizes[l + 1];
            bool hidden = l + 1 < _layers;
            nint inStride = _actStride[l], outStride = _actStride[l + 1];
            float* output = _act[l + 1] + (r0 * outStride);
            bool done = (hidden ? _activation : HiddenActivation.Identity).Function.ForwardProduct(_act[l] + (r0 * inStride), inStride, ForwardWeights(l), _weightStride[l], _parameters + _layout.BiasOffset(l), output, outStride, count, k, n);
            if (hidden && !done)
            {
                for (int r = 0; r < count; r++)
                {
                    _activation.Forward(new Span<float>(output + (r * outStride), n));
                }
            }

            for (int r = 0; hidden && _dropout.IsActive && r < count; r++)
            {
                _dropout.Apply(new Span<float>(output + (r * outStride), n), _chunkStart + r0 + r, l + 1);
            }
        }

        if (!_training)
        {
            return;
        }

        int width = _sizes[_layers];
        _data!.Head.ToDelta(
            _data,
            new ReadOnlySpan<int>(_rowIndex + r0, count),
            new Span<float>(_act[_layers] + (r0 * width), count * width),
            _rowLoss.AsSpan(r0, count),
            _labelSmoothing);

        if (_layerByLayer)
        {
            return;
        }

        for (int l = _layers - 1; l > 0; l--)
        {
            InputGradient(l, r0, r1);
        }
    }

    /// <summary>
    /// The first layer of rows <c>[r0, r1)</c> from their stored values: <c>act[1][r] = bias + Σ x_p W[p, :]</c> over the
    /// row's stored slots p in ascending order, one fused multiply-add per term (<see cref="SparseRows"/>), then the
    /// activation when the layer is hidden.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SparseFirstLayer(int r0, int r1)
    {
        int n = _sizes[1];
        nint outStride = _actStride[1];
        bool hidden = _layers > 1;
        float* weights = _parameters + _layout.WeightOffset(0);
        var bias = new ReadOnlySpan<float>(_parameters + _layout.BiasOffset(0), n);
        for (int r = r0; r < r1; r++)
        {
            int row = _rowIndex[r];
            var output = new Span<float>(_act[1] + (r * outStride), n);
            SparseRows.MultiplyAdd(_indices, _values, _rowStarts[row], _rowStarts[row + 1], weights, n, bias, output);
            if (hidden)
            {
                _activation.Forward(output);
                if (_dropout.IsActive)
                {
                    _dropout.Apply(output, _chunkStart + r, 1);
                }
            }
        }
    }

    /// <summary>Rows <c>[r0, r1)</c> of hidden layer <paramref name="l"/>'s delta from the layer above's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputGradient(int l, int r0, int r1)
    {
        float* delta = l + 1 == _layers ? _act[_layers] : _delta[l + 1];
        nint deltaStride = _actStride[l + 1], stride = _actStride[l];
        _activation.Function.InputGradient(delta + (r0 * deltaStride), deltaStride, _weightT[l], _weightTStride[l], _act[l] + (r0 * stride), stride, _delta[l] + (r0 * stride), stride, r1 - r0, _sizes[l + 1], _sizes[l]);
        for (int r = r0; _dropout.IsActive && r < r1; r++)
        {
            _dropout.ScaleDelta(new Span<float>(_delta[l] + (r * stride), _sizes[l]));
        }
    }

    /// <summary>
    /// The whole chunk on the calling thread, one layer at a time: forward and output delta, then from the top each
    /// layer's weight and bias gradient (the last reads of its input activations) before the input gradient that
    /// overwrites them with the layer's delta.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LayerByLayer()
    {
        RunPhase(Phase.Rows, _rowPieces);
        for (int l = _layers - 1; l >= 0; l--)
        {
            // One serial piece per layer's weights, then one per layer's biases.
            WeightGradient(l);
            WeightGradient(_layers + l);
            for (int r0 = 0; l > 0 && r0 < _rows; r0 += LayerRowBlock)
            {
                InputGradient(l, r0, Math.Min(r0 + LayerRowBlock, _rows));
            }
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
    /// chunk writes, later chunks add; the last chunk then adds <c>l2 W</c> and divides by the row count,
    /// recording <c>Σ W²</c> per fixed block of rows for the loss.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient(int index)
    {
        WeightPiece piece = Pieces[index];
        int l = piece.Layer;
        int k = _sizes[l];
        int n = _sizes[l + 1];
        float* delta = l + 1 == _layers ? _act[_layers] : _delta[l + 1];
        nint deltaStride = _actStride[l + 1];
        if (piece.Start < 0)
        {
            Span<float> biasGradient = new(_gradient + _layout.BiasOffset(l), n);
            if (_firstChunk)
            {
                biasGradient.Clear();
            }

            ColumnSums.Accumulate(delta, deltaStride, _rows, _gradient + _layout.BiasOffset(l), 0, n);
            if (_lastChunk)
            {
                VectorMath.Scale(biasGradient, _inverse);
            }

            return;
        }

        int p0 = piece.Start, p1 = piece.End;
        float* gradient = _gradient + _layout.WeightOffset(l);
        if (l == 0 && _sparseInput)
        {
            // dW[p, :] += x_p delta[r, :] for each stored slot p of each row r in order: the dense product's chain
            // for every weight, less the rows where x_p is 0.
            if (_firstChunk)
            {
                new Span<float>(gradient, k * n).Clear();
            }

            for (int r = 0; r < _rows; r++)
            {
                int row = _rowIndex[r];
                SparseRows.Scatter(_indices, _values, _rowStarts[row], _rowStarts[row + 1], new ReadOnlySpan<float>(delta + (r * deltaStride), n), gradient, n);
            }
        }
        else
        {
            Gemm.WeightGradientRows(_act[l], _actStride[l], delta, deltaStride, gradient, n, _rows, n, p0, p1, accumulate: !_firstChunk);
        }

        if (!_lastChunk)
        {
            return;
        }

        for (int b0 = p0; b0 < p1; b0 += SquareRows)
        {
            int b1 = Math.Min(b0 + SquareRows, p1);
            var weights = new ReadOnlySpan<float>(_parameters + _layout.WeightOffset(l) + (b0 * n), (b1 - b0) * n);
            var rows = new Span<float>(gradient + (b0 * n), (b1 - b0) * n);
            if (_l2 > 0)
            {
                _squares[_squareOffsets[l] + (b0 / SquareRows)] = VectorMath.SumOfSquares(weights);
                VectorMath.AddPenaltyAndScale(weights, rows, _l2, _inverse);
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
