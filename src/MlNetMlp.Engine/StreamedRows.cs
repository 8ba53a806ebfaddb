using System;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace MlNetMlp.Engine;

/// <summary>
/// How a streamed fit uses its memory budget: rows per block (a whole number of mini-batches; two blocks are held,
/// one training while the other is read) and the most rows of the sample the recipe's statistics are fitted on.
/// Depends on the budget and the shapes only, never on the thread count or timing.
/// </summary>
internal readonly record struct StreamPlan(int BlockRows, int SampleRows)
{
    /// <summary>
    /// Most rows per block (26 MB of W3's rows): the block is the shuffle buffer, and the first block of each pass is read
    /// before training starts, so larger blocks shuffle more widely and overlap less (measured: 2^18-row blocks left a
    /// 495,000-row epoch waiting for its first half).
    /// </summary>
    public const int MaxBlockRows = 1 << 16;

    /// <summary>Most rows of the statistics sample (quantiles and scales of 131,072 rows are within a fraction of a percent of the full data's).</summary>
    public const int MaxSampleRows = 1 << 17;

    /// <summary>Fewest rows of the statistics sample, whatever the budget (a budget too small for them is exceeded by them).</summary>
    public const int MinSampleRows = 4096;

    /// <summary>
    /// Bytes the held-out rows of early stopping may take, kept in memory after the first validation pass so that later
    /// epochs read the source once instead of twice: the quarter of the budget the statistics sample had, which is freed
    /// once the statistics are fitted. Held-out rows that need more are read from the source every epoch.
    /// </summary>
    public static long HeldOutBudget(long budget) => budget / 4;

    /// <summary>
    /// A quarter of <paramref name="budget"/> for the sample (at least <see cref="MinSampleRows"/> rows), the rest for two blocks of raw rows plus their scaled or
    /// encoded copy (<paramref name="preparedRowBytes"/>) and an index; at least one mini-batch per block.
    /// </summary>
    public static StreamPlan For(IMlpRowSource source, MlpOptions options, long budget, long preparedRowBytes)
    {
        long raw = MlpRowBlock.RowBytes(source);
        int batch = options.Solver.BatchRows(options, int.MaxValue);
        long perRow = (2 * (raw + preparedRowBytes + sizeof(int))) + 1;
        long blockRows = Math.Clamp(budget / 4 * 3 / perRow, 1, MaxBlockRows);
        blockRows = Math.Max(batch, blockRows / batch * batch);
        int sample = (int)Math.Clamp(budget / 4 / raw, MinSampleRows, MaxSampleRows);
        return new StreamPlan((int)Math.Min(blockRows, Array.MaxLength / Math.Max(1, source.FeatureCount)), sample);
    }
}

/// <summary>What a streamed fit does to each block's rows before training: the recipe's encoding or scaling, and target standardization.</summary>
internal sealed record BlockPreparation(PiecewiseLinearEncoder? Encoder, InputScaler? Inputs, TargetScaler? Targets)
{
    /// <summary>Bytes per row of the prepared copies.</summary>
    public long RowBytes(IMlpRowSource source) =>
        sizeof(float) * ((Encoder is not null ? (long)Encoder.Width : Inputs is not null ? source.FeatureCount : 0) + (Targets is not null ? source.TargetCount : 0));
}

/// <summary>One of a streamed fit's two block buffers: the raw rows, their prepared copies, and the view the trainer reads.</summary>
internal sealed class BlockSlot
{
    private readonly IMlpRowSource _source;
    private readonly BlockPreparation? _preparation;
    private readonly float[]? _features;
    private readonly float[]? _targets;

    public BlockSlot(IMlpRowSource source, int capacity, BlockPreparation? preparation)
    {
        _source = source;
        _preparation = preparation;
        Raw = new MlpRowBlock(capacity, source);
        Order = new int[capacity];
        int width = preparation?.Encoder?.Width ?? (preparation?.Inputs is not null ? source.FeatureCount : 0);
        _features = width > 0 ? new float[(long)capacity * width] : null;
        _targets = preparation?.Targets is not null ? new float[(long)capacity * source.TargetCount] : null;
        View = MlpDataset.View(source.Task, Raw.Features, source.FeatureCount, 0, Raw.Labels, source.ClassCount, Raw.Targets, source.TargetCount, Raw.Weights);
    }

    public MlpRowBlock Raw { get; }

    /// <summary>Bytes of the raw block, its prepared copies and its order.</summary>
    public long ByteCount => (Raw.Capacity * MlpRowBlock.RowBytes(_source)) + (((long)(_features?.Length ?? 0) + (_targets?.Length ?? 0) + Order.Length) * sizeof(float));

    /// <summary>The order the trainer visits the block's rows in.</summary>
    public int[] Order { get; }

    /// <summary>The block's rows as the network trains on them.</summary>
    public MlpDataset View { get; private set; }

    public int Count => View.RowCount;

    /// <summary>Prepares the first <paramref name="count"/> rows and makes them the view (on the reading thread, overlapping training).</summary>
    public void Prepare(int count)
    {
        int d = _source.FeatureCount;
        float[] features = Raw.Features;
        int width = d;
        if (_preparation?.Encoder is PiecewiseLinearEncoder encoder)
        {
            encoder.EncodeInto(Raw.Features.AsSpan(0, count * d), count, _features);
            features = _features!;
            width = encoder.Width;
        }
        else if (_preparation?.Inputs is InputScaler inputs)
        {
            inputs.ScaleInto(Raw.Features.AsSpan(0, count * d), _features);
            features = _features!;
        }

        float[]? targets = Raw.Targets;
        if (_preparation?.Targets is TargetScaler scaler)
        {
            scaler.ScaleInto(Raw.Targets.AsSpan(0, count * _source.TargetCount), _targets);
            targets = _targets;
        }

        View = MlpDataset.View(_source.Task, features, width, count, Raw.Labels, _source.ClassCount, targets, _source.TargetCount, Raw.Weights);
    }
}

/// <summary>
/// One pass over a source, read on a thread of its own into two block buffers (double buffering) while the trainer
/// trains on the other: the reading thread fills, checks, keeps the rows the pass wants (packing them to the front, so
/// every block but the last is full whatever rows are dropped) and prepares a block; the trainer takes blocks in
/// order. Block contents depend on the source's row order only, never on timing. An exception on the reading thread
/// (a bad value, a failing source, cancellation) is rethrown on the trainer's thread.
/// </summary>
internal sealed class BlockPass : IDisposable
{
    private readonly IMlpRowSource _source;
    private readonly bool _checksRows;
    private readonly int? _shuffleSeed;
    private readonly Func<ulong, bool>? _keep;
    private readonly BlockingCollection<BlockSlot> _free;
    private readonly BlockingCollection<BlockSlot> _ready;
    private readonly CancellationTokenSource _stop;
    private readonly Thread _thread;
    private ExceptionDispatchInfo? _error;
    private long _rowsRead;
    private long _rowsKept;

    public BlockPass(IMlpRowSource source, int? shuffleSeed, BlockSlot[] slots, Func<ulong, bool>? keep, CancellationToken cancellationToken)
    {
        _source = source;
        _checksRows = source is not ICheckedRowSource;
        _shuffleSeed = shuffleSeed;
        _keep = keep;
        _free = new BlockingCollection<BlockSlot>(slots.Length);
        _ready = new BlockingCollection<BlockSlot>(slots.Length);
        foreach (BlockSlot slot in slots)
        {
            _free.Add(slot);
        }

        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _thread = new Thread(Produce) { IsBackground = true, Name = "MlNetMlp block reader" };
        _thread.Start();
    }

    /// <summary>Rows the source delivered in the pass (kept or not); complete once <see cref="Next"/> returned null.</summary>
    public long RowsRead => _rowsRead;

    /// <summary>Rows the pass kept; complete once <see cref="Next"/> returned null.</summary>
    public long RowsKept => _rowsKept;

    /// <summary>The next block, or null at the end of the pass; rethrows the reading thread's exception.</summary>
    public BlockSlot? Next(CancellationToken cancellationToken)
    {
        if (_ready.TryTake(out BlockSlot? slot, Timeout.Infinite, cancellationToken))
        {
            return slot;
        }

        _error?.Throw();
        return null;
    }

    /// <summary>Hands a block back to be refilled.</summary>
    public void Release(BlockSlot slot) => _free.Add(slot);

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _free.Dispose();
        _ready.Dispose();
    }

    private void Produce()
    {
        CancellationToken token = _stop.Token;
        try
        {
            using IMlpRowReader reader = _source.Open(_shuffleSeed);
            bool end = false;
            while (!end)
            {
                BlockSlot slot = _free.Take(token);
                MlpRowBlock block = slot.Raw;
                int filled = 0;
                while (filled < block.Capacity)
                {
                    token.ThrowIfCancellationRequested();
                    int got = reader.Read(block, filled, token);
                    if (got <= 0)
                    {
                        end = true;
                        break;
                    }

                    if (got > block.Capacity - filled)
                    {
                        throw new InvalidOperationException($"The row source wrote {got} rows into a block with room for {block.Capacity - filled}; {nameof(IMlpRowReader)}.{nameof(IMlpRowReader.Read)} must write at most Capacity - start rows.");
                    }

                    if (_checksRows)
                    {
                        block.Check(filled, got, _source.ClassCount, _rowsRead);
                    }

                    _rowsRead += got;
                    filled = Keep(block, filled, got);
                }

                _rowsKept += filled;
                if (filled == 0)
                {
                    _free.Add(slot, token);
                    continue;
                }

                slot.Prepare(filled);
                _ready.Add(slot, token);
            }
        }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _ready.CompleteAdding();
        }
    }

    /// <summary>Packs the rows of [start, start + count) the pass keeps after the first <paramref name="start"/>; returns the rows now in the block.</summary>
    private int Keep(MlpRowBlock block, int start, int count)
    {
        if (_keep is null)
        {
            return start + count;
        }

        int kept = start;
        for (int i = start; i < start + count; i++)
        {
            if (_keep(block.RowIds[i]))
            {
                if (i != kept)
                {
                    block.Move(i, kept);
                }

                kept++;
            }
        }

        return kept;
    }
}

/// <summary>
/// The first pass of a streamed fit, in the source's own order: the row count, the training and held-out counts under
/// the hold-out rule, which classes are present and weighted, and a uniform sample of the rows (reservoir sampling,
/// seeded) that the recipe's statistics (scaling, quantiles, target mean and deviation) are fitted on.
/// </summary>
internal sealed class StreamSurvey
{
    private MlpDataset? _sample;

    private StreamSurvey(long rows, long trainRows, MlpDataset sample, bool[] present, bool[] weighted)
    {
        Rows = rows;
        TrainRows = trainRows;
        _sample = sample;
        Present = present;
        Weighted = weighted;
    }

    public long Rows { get; }

    public long TrainRows { get; }

    public long ValidationRows => Rows - TrainRows;

    /// <summary>The sample, handed over once: the survey does not keep it (its memory is the held-out rows' share of the budget, <see cref="StreamPlan.HeldOutBudget"/>).</summary>
    public MlpDataset TakeSample()
    {
        MlpDataset sample = _sample ?? throw new InvalidOperationException("The survey's sample was taken already.");
        _sample = null;
        return sample;
    }

    /// <summary>Classes with at least one row.</summary>
    public bool[] Present { get; }

    /// <summary>Classes with a row of positive weight.</summary>
    public bool[] Weighted { get; }

    public static StreamSurvey Run(IMlpRowSource source, BlockSlot[] slots, int sampleRows, Func<ulong, bool>? heldOut, long seed, CancellationToken cancellationToken)
    {
        int d = source.FeatureCount, t = source.TargetCount;
        bool classifier = source.ClassCount > 0;
        var features = new float[(long)sampleRows * d];
        int[]? labels = classifier ? new int[sampleRows] : null;
        float[]? targets = classifier ? null : new float[(long)sampleRows * t];
        float[]? weights = source.HasWeights ? new float[sampleRows] : null;
        var present = new bool[source.ClassCount];
        var weighted = new bool[source.ClassCount];
        var random = new SeededRandom(seed ^ 0x5A3D1E5C0FFEEL);
        long rows = 0, trainRows = 0;
        using (var pass = new BlockPass(source, null, slots, null, cancellationToken))
        {
            while (pass.Next(cancellationToken) is BlockSlot slot)
            {
                MlpRowBlock block = slot.Raw;
                if (labels is not null)
                {
                    MlpDataset.AddClassPresence(block.Labels.AsSpan(0, slot.Count), block.Weights.AsSpan(0, block.Weights is null ? 0 : slot.Count), present, weighted);
                }

                for (int i = 0; i < slot.Count; i++, rows++)
                {
                    trainRows += heldOut is not null && heldOut(block.RowIds[i]) ? 0 : 1;
                    long at = rows < sampleRows ? rows : (long)(((UInt128)random.NextUInt64() * (ulong)(rows + 1)) >> 64);
                    if (at >= sampleRows)
                    {
                        continue;
                    }

                    block.RowFeatures(i).CopyTo(features.AsSpan((int)at * d, d));
                    if (labels is not null)
                    {
                        labels[at] = block.Labels![i];
                    }
                    else
                    {
                        block.Targets.AsSpan(i * t, t).CopyTo(targets.AsSpan((int)at * t, t));
                    }

                    if (weights is not null)
                    {
                        weights[at] = block.Weights![i];
                    }
                }

                pass.Release(slot);
            }
        }

        if (rows == 0)
        {
            throw new ArgumentException("The row source delivered no rows; training needs at least one.", nameof(source));
        }

        int n = (int)Math.Min(rows, sampleRows);
        float[] sampleFeatures = features.AsSpan(0, n * d).ToArray();
        float[]? sampleWeights = weights?.AsSpan(0, n).ToArray();
        if (sampleWeights is not null && Array.TrueForAll(sampleWeights, w => w == 0))
        {
            // The sample only fits statistics; its weights must merely be valid.
            sampleWeights[0] = 1;
        }

        MlpDataset sample = labels is not null
            ? MlpDataset.ForClassification(sampleFeatures, d, labels.AsSpan(0, n).ToArray(), source.ClassCount, sampleWeights, source.Task)
            : MlpDataset.ForRegression(sampleFeatures, d, targets.AsSpan(0, n * t).ToArray(), t, sampleWeights);
        return new StreamSurvey(rows, trainRows, sample, present, weighted);
    }
}

/// <summary>
/// Rows streamed from an <see cref="IMlpRowSource"/>: each epoch one pass (in an order drawn from the fit's random
/// sequence where the source shuffles), blocks of whole mini-batches, each block's rows shuffled within it; the
/// held-out rows (<see cref="ValidationSplit.IsHeldOut"/>) skipped in training passes and scored in a pass of their own.
/// Every pass must deliver the rows the survey counted.
/// </summary>
internal sealed class StreamedRows : EpochRows
{
    private readonly IMlpRowSource _source;
    private readonly BlockSlot[] _slots;
    private readonly long _rows;
    private readonly long _trainRows;
    private readonly long _validationRows;
    private readonly Func<ulong, bool>? _heldOut;
    private readonly StreamThreadChoice? _threads;
    private HeldOutRows? _kept;
    private BlockPass? _pass;
    private BlockSlot? _current;
    private int _next;
    private int _passes;
    private bool _training;
    private CancellationToken _cancellation;
    private SeededRandom? _shuffleRandom;

    /// <summary>
    /// With <paramref name="threads"/> the training blocks choose their threads (automatic threads). With <paramref name="heldOutBudget"/> at least the bytes the held-out rows take once prepared, the first
    /// validation pass keeps them (block by block, as the pass delivered them) and later ones score the kept rows
    /// without reading the source: the same rows in the same chunks, so the same scores.
    /// </summary>
    public StreamedRows(IMlpRowSource source, BlockSlot[] slots, StreamSurvey survey, Func<ulong, bool>? heldOut, long heldOutBudget, StreamThreadChoice? threads = null)
    {
        _source = source;
        _threads = threads;
        _slots = slots;
        _rows = survey.Rows;
        _trainRows = survey.TrainRows;
        _validationRows = survey.ValidationRows;
        _heldOut = heldOut;
        MlpDataset shape = slots[0].View;
        long bytes = _validationRows * HeldOutRows.RowBytes(shape);
        _kept = heldOut is not null && _validationRows > 0 && bytes <= heldOutBudget && _validationRows * Math.Max(shape.FeatureCount, 1) <= Array.MaxLength
            ? new HeldOutRows(shape, (int)_validationRows)
            : null;
    }

    public override long TrainRows => _trainRows;

    public override long DataBytes => _slots.Length * _slots[0].ByteCount;

    public override long ValidationRows => _validationRows;

    public override int? BlockThreads => _threads?.Threads;

    /// <summary>Whether the held-out rows are kept in memory after the first validation pass (<see cref="StreamPlan.HeldOutBudget"/>).</summary>
    public bool KeepsHeldOutRows => _kept is not null;

    public override void BeginEpoch(bool shuffle, SeededRandom random, CancellationToken cancellationToken)
    {
        Func<ulong, bool>? keep = _heldOut is null ? null : id => !_heldOut(id);
        Start(shuffle ? random.NextInt(int.MaxValue) : null, keep, training: true, cancellationToken);
        _shuffleRandom = shuffle ? random : null;
        _threads?.BeginPass();
    }

    public override bool NextBatch(int batchRows, out MlpDataset data, out ReadOnlySpan<int> rows) => Next(batchRows, out data, out rows);

    public override void BeginValidation(CancellationToken cancellationToken)
    {
        _shuffleRandom = null;
        if (_kept is { IsComplete: true })
        {
            Stop();
            _kept.Begin();
            return;
        }

        Start(null, _heldOut, training: false, cancellationToken);
    }

    public override bool NextValidation(int chunkRows, out MlpDataset data, out ReadOnlySpan<int> rows) =>
        _kept is { IsComplete: true } kept ? kept.Next(chunkRows, out data, out rows) : Next(chunkRows, out data, out rows);

    public override void Dispose() => Stop();

    private void Start(int? shuffleSeed, Func<ulong, bool>? keep, bool training, CancellationToken cancellationToken)
    {
        Stop();
        _passes++;
        _training = training;
        _cancellation = cancellationToken;
        _pass = new BlockPass(_source, shuffleSeed, _slots, keep, cancellationToken);
    }

    private bool Next(int count, out MlpDataset data, out ReadOnlySpan<int> rows)
    {
        while (_current is null || _next >= _current.Count)
        {
            if (_current is not null)
            {
                _pass!.Release(_current);
                _current = null;
            }

            if (_pass is null)
            {
                data = null!;
                rows = default;
                return false;
            }

            _current = _pass.Next(_cancellation);
            if (_current is null)
            {
                CheckPass(_pass);
                Stop();
                if (!_training)
                {
                    _kept?.Complete();
                }

                data = null!;
                rows = default;
                return false;
            }

            if (_training)
            {
                _threads?.NextBlock(_current.Count);
            }
            else
            {
                _kept?.Add(_current.View);
            }

            int[] order = _current.Order;
            for (int i = 0; i < _current.Count; i++)
            {
                order[i] = i;
            }

            _shuffleRandom?.Shuffle(order.AsSpan(0, _current.Count));
            _next = 0;
        }

        data = _current.View;
        rows = _current.Order.AsSpan(_next, Math.Min(count, _current.Count - _next));
        _next += rows.Length;
        return true;
    }

    private void CheckPass(BlockPass pass)
    {
        long expected = _training ? _trainRows : _validationRows;
        if (pass.RowsRead != _rows || pass.RowsKept != expected)
        {
            throw new InvalidOperationException($"The training data changed between passes: pass {_passes + 1} over it delivered {pass.RowsRead} rows ({pass.RowsKept} {(_training ? "for training" : "held out")}), the first pass {_rows} ({expected}). A streamed fit reads the data once per epoch and needs the same rows every time; no model was produced.");
        }
    }

    private void Stop()
    {
        _current = null;
        _pass?.Dispose();
        _pass = null;
    }
}

/// <summary>
/// The held-out rows of a streamed fit with early stopping, prepared, copied block by block from the first validation
/// pass; then scored in the chunks that pass gave (a chunk never spans two of its blocks), so the scores are the ones
/// a pass over the source gives.
/// </summary>
internal sealed class HeldOutRows
{
    private readonly float[] _features;
    private readonly int[]? _labels;
    private readonly float[]? _targets;
    private readonly float[]? _weights;
    private readonly int _width;
    private readonly int _targetCount;
    private readonly MlpTask _task;
    private readonly int _classCount;
    private readonly System.Collections.Generic.List<int> _blockEnds = [];
    private readonly int[] _order;
    private MlpDataset? _data;
    private int _count;
    private int _next;
    private int _block;

    /// <summary>Room for <paramref name="rows"/> rows shaped as <paramref name="shape"/> (a block's prepared view).</summary>
    public HeldOutRows(MlpDataset shape, int rows)
    {
        _width = shape.FeatureCount;
        _targetCount = shape.TargetCount;
        _features = new float[(long)rows * _width];
        _labels = shape.Labels is null ? null : new int[rows];
        _targets = shape.Targets is null ? null : new float[(long)rows * _targetCount];
        _weights = shape.Weights is null ? null : new float[rows];
        _order = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            _order[i] = i;
        }

        _task = shape.Task;
        _classCount = shape.ClassCount;
    }

    public bool IsComplete => _data is not null;

    /// <summary>Bytes per kept row of blocks shaped as <paramref name="shape"/>.</summary>
    public static long RowBytes(MlpDataset shape) =>
        (sizeof(float) * ((long)shape.FeatureCount + shape.TargetCount + (shape.Weights is null ? 0 : 1))) + (shape.Labels is null ? 0 : sizeof(int)) + sizeof(int);

    /// <summary>
    /// Copies a block's rows (the next block of the first validation pass). Rows beyond the count the first pass gave are
    /// not copied: the pass's own check (<c>StreamedRows.CheckPass</c>) then reports the changed data.
    /// </summary>
    public void Add(MlpDataset block)
    {
        int n = block.RowCount;
        if (_count + n > _order.Length)
        {
            return;
        }

        block.Features.AsSpan(0, n * _width).CopyTo(_features.AsSpan(_count * _width));
        block.Labels?.AsSpan(0, n).CopyTo(_labels.AsSpan(_count));
        block.Targets?.AsSpan(0, n * _targetCount).CopyTo(_targets.AsSpan(_count * _targetCount));
        block.Weights?.AsSpan(0, n).CopyTo(_weights.AsSpan(_count));
        _count += n;
        _blockEnds.Add(_count);
    }

    /// <summary>Ends the first validation pass: from now on the kept rows are scored.</summary>
    public void Complete() => _data = MlpDataset.View(_task, _features, _width, _count, _labels, _classCount, _targets, _targetCount, _weights);

    public void Begin()
    {
        _next = 0;
        _block = 0;
    }

    public bool Next(int count, out MlpDataset data, out ReadOnlySpan<int> rows)
    {
        data = _data!;
        if (_next >= _count)
        {
            rows = default;
            return false;
        }

        if (_next == _blockEnds[_block])
        {
            _block++;
        }

        rows = _order.AsSpan(_next, Math.Min(count, _blockEnds[_block] - _next));
        _next += rows.Length;
        return true;
    }
}
