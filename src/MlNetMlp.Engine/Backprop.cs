using System;
using System.Numerics.Tensors;
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
///                              kernels' column panels collide in the L1 cache (see <see cref="Stride"/>)
///   weightT[l] (s_l+1, s_l)    layer l's weight transposed, for the input gradient (l = 1..L-1)
/// </code>
/// Hidden-layer buffers are padded the same way. The work of one chunk runs in phases, each cut into
/// independent pieces that <see cref="WorkerPool"/> spreads over the cores when the chunk is large enough:
/// <list type="number">
/// <item>prepare: copy and transpose the weights;</item>
/// <item>forward: blocks of rows go through every layer (rows do not interact) and get their output delta and
/// loss;</item>
/// <item>backward, for each layer from the top: blocks of weight-gradient rows (<c>dweight += actᵀ delta</c>),
/// the bias gradient, and blocks of rows of the next delta (<c>delta · weightᵀ</c>, times the activation's
/// derivative, fused).</item>
/// </list>
/// Every output element is computed by one piece in a fixed order, and the loss is summed row by row in order,
/// so results are bit-identical for any number of threads.
/// </summary>
internal sealed unsafe class Backprop : IParallelWork
{
    /// <summary>Multiply-adds per chunk below which a chunk runs on one thread: the hand-off would cost more than it saves.</summary>
    internal const long ParallelThreshold = 1_500_000;

    /// <summary>Rows of weight gradient per piece of the backward phase.</summary>
    private const int WeightRowsPerPiece = 16;

    private readonly ParameterLayout _layout;
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

    // The chunk being processed: set for the duration of one call, inside a fixed block.
    private Phase _phase;
    private bool _transpose;
    private int _layer;
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
        _layout = layout;
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
            _actStride[l] = hidden ? Stride(_sizes[l]) : _sizes[l];
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
            _weightStride[l] = Stride(_sizes[l + 1]);
            if (_weightStride[l] != _sizes[l + 1])
            {
                _weightCopy[l] = Allocate((long)_sizes[l] * _weightStride[l]);
            }

            if (l > 0)
            {
                _weightTStride[l] = Stride(_sizes[l]);
                _weightT[l] = Allocate((long)_sizes[l + 1] * _weightTStride[l]);
            }
        }

        _rowLoss = new double[capacity];
    }

    private enum Phase
    {
        Prepare,
        Forward,
        ForwardAndLoss,
        Backward,
    }

    /// <summary>Most rows one call may process.</summary>
    public int Capacity { get; }

    /// <summary>
    /// The row stride used for a matrix with rows of <paramref name="width"/> floats. A row length that is an even
    /// multiple of 64 bytes puts the rows of a column panel into a few L1 cache sets, where they evict each other;
    /// such widths get 16 floats of padding, which spreads the rows over all sets.
    /// </summary>
    internal static int Stride(int width) => width % 16 == 0 && (width / 16) % 2 == 0 ? width + 16 : width;

    /// <summary>
    /// Mean loss and gradient over <paramref name="rows"/> (any count; processed in chunks of <see cref="Capacity"/>),
    /// as scikit-learn's <c>_backprop</c>: <c>loss = (Σ w_i loss_i + alpha/2 Σ W²) / m</c>,
    /// <c>dW = (Σ aᵀ delta + alpha W) / m</c>, <c>db = Σ delta / m</c>. Overwrites <paramref name="gradient"/>.
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows, double alpha, Span<float> gradient)
    {
        gradient.Clear();
        double dataLoss = 0;
        fixed (float* p = parameters, g = gradient, features = data.Features)
        fixed (int* r = rows)
        {
            _parameters = p;
            _gradient = g;
            _features = features;
            _data = data;
            try
            {
                for (int start = 0; start < rows.Length; start += Capacity)
                {
                    int count = Math.Min(Capacity, rows.Length - start);
                    Begin(r + start, count);
                    RunPhase(Phase.Prepare, 0, PreparePieces(transpose: true));
                    RunPhase(Phase.ForwardAndLoss, 0, _rowPieces);
                    for (int l = _layers - 1; l >= 0; l--)
                    {
                        RunPhase(Phase.Backward, l, WeightPieces(l) + 1 + (l > 0 ? _rowPieces : 0));
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

        int weightCount = _layout.WeightCount;
        ReadOnlySpan<float> weights = parameters.Slice(0, weightCount);
        Span<float> weightGradient = gradient.Slice(0, weightCount);
        double sumOfSquares = 0;
        if (alpha > 0)
        {
            sumOfSquares = VectorMath.SumOfSquares(weights);
            TensorPrimitives.MultiplyAdd(weights, (float)alpha, weightGradient, weightGradient);
        }

        float inverse = 1f / rows.Length;
        TensorPrimitives.Multiply(gradient, inverse, gradient);
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
            try
            {
                Begin(r, rows.Length);
                RunPhase(Phase.Prepare, 0, PreparePieces(transpose: false));
                RunPhase(Phase.Forward, 0, _rowPieces);
            }
            finally
            {
                End();
            }
        }

        return new ReadOnlySpan<float>(_act[_layers], rows.Length * _sizes[_layers]);
    }

    /// <summary>One piece of the current phase; see the class remarks for what the pieces are.</summary>
    public void Execute(int piece)
    {
        switch (_phase)
        {
            case Phase.Prepare:
                Prepare(piece);
                break;
            case Phase.Backward:
                Backward(piece);
                break;
            default:
                int r0 = piece * _rowsPerPiece;
                ForwardRows(r0, Math.Min(r0 + _rowsPerPiece, _rows));
                break;
        }
    }

    private bool Parallel => _threads > 1 && _rows * _multiplyAddsPerRow >= ParallelThreshold;

    private void Begin(int* rowIndex, int rows)
    {
        if (rows > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"At most {Capacity} rows per chunk.");
        }

        _rowIndex = rowIndex;
        _rows = rows;
        _rowsPerPiece = Parallel ? Math.Max(8, Math.Min(32, (rows / 8) & ~7)) : Math.Max(rows, 1);
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

    private void RunPhase(Phase phase, int layer, int pieces)
    {
        _phase = phase;
        _layer = layer;
        WorkerPool.For(this, pieces, Parallel ? _threads : 1);
    }

    private int WeightPieces(int layer) => (_sizes[layer] + WeightRowsPerPiece - 1) / WeightRowsPerPiece;

    /// <summary>Pieces of the prepare phase: one per layer (copy where padded, and transpose if asked).</summary>
    private int PreparePieces(bool transpose)
    {
        _transpose = transpose;
        return _layers;
    }

    private float* ForwardWeights(int layer) => _weightCopy[layer] != null ? _weightCopy[layer] : _parameters + _weightOffsets[layer];

    /// <summary>Layer <paramref name="layer"/>'s padded weight copy and, when training, its transpose.</summary>
    private void Prepare(int layer)
    {
        int k = _sizes[layer];
        int n = _sizes[layer + 1];
        float* weights = _parameters + _weightOffsets[layer];
        if (_weightCopy[layer] != null)
        {
            nint stride = _weightStride[layer];
            for (int p = 0; p < k; p++)
            {
                new ReadOnlySpan<float>(weights + (p * n), n).CopyTo(new Span<float>(_weightCopy[layer] + (p * stride), n));
            }
        }

        if (_transpose && layer > 0)
        {
            Gemm.Transpose(weights, n, n, _weightT[layer], _weightTStride[layer], 0, k);
        }
    }

    /// <summary>Rows <c>[r0, r1)</c> through every layer; with the loss phase also their output delta and loss.</summary>
    private void ForwardRows(int r0, int r1)
    {
        int count = r1 - r0;
        int d = _sizes[0];
        float* inputs = _act[0];
        for (int r = r0; r < r1; r++)
        {
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

        if (_phase == Phase.ForwardAndLoss)
        {
            int width = _sizes[_layers];
            OutputLoss.ToDelta(
                _data!,
                new ReadOnlySpan<int>(_rowIndex + r0, count),
                new Span<float>(_act[_layers] + (r0 * width), count * width),
                _rowLoss.AsSpan(r0, count));
        }
    }

    /// <summary>
    /// Piece of the backward step of layer <c>l</c>: weight-gradient rows first, then the bias gradient, then rows
    /// of the delta of layer l - 1.
    /// </summary>
    private void Backward(int piece)
    {
        int l = _layer;
        int m = _rows;
        int k = _sizes[l];
        int n = _sizes[l + 1];
        float* delta = l + 1 == _layers ? _act[_layers] : _delta[l + 1];
        nint deltaStride = _actStride[l + 1];
        float* input = _act[l];
        nint inputStride = _actStride[l];
        int weightPieces = WeightPieces(l);
        if (piece < weightPieces)
        {
            int p0 = piece * WeightRowsPerPiece;
            Gemm.WeightGradientRows(input, inputStride, delta, deltaStride, _gradient + _weightOffsets[l], n, m, n, p0, Math.Min(p0 + WeightRowsPerPiece, k));
            return;
        }

        if (piece == weightPieces)
        {
            Gemm.ColumnSums(delta, deltaStride, m, _gradient + _biasOffsets[l], 0, n);
            return;
        }

        int r0 = (piece - weightPieces - 1) * _rowsPerPiece;
        int r1 = Math.Min(r0 + _rowsPerPiece, m);
        Gemm.InputGradient(delta + (r0 * deltaStride), deltaStride, _weightT[l], _weightTStride[l], input + (r0 * inputStride), inputStride, _delta[l] + (r0 * inputStride), inputStride, r1 - r0, n, k, _activation);
    }
}
