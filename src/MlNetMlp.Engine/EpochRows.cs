using System;
using System.Threading;

namespace MlNetMlp.Engine;

/// <summary>
/// The rows a stochastic fit trains on, epoch by epoch and mini-batch by mini-batch, and the held-out rows it scores:
/// held in memory (<see cref="InMemoryRows"/>) or streamed from an <see cref="IMlpRowSource"/> (<see cref="StreamedRows"/>).
/// The epoch loop (<c>MlpTrainer.Run.FitStochastic</c>) is the same for both.
/// </summary>
internal abstract class EpochRows : IDisposable
{
    /// <summary>Training rows per epoch.</summary>
    public abstract long TrainRows { get; }

    /// <summary>Bytes the rows occupy while the fit runs (in memory: the data set; streamed: the block buffers), which sizes the backward pass's chunks.</summary>
    public abstract long DataBytes { get; }

    /// <summary>Starts an epoch; with <paramref name="shuffle"/> the order is drawn from <paramref name="random"/>.</summary>
    public abstract void BeginEpoch(bool shuffle, SeededRandom random, CancellationToken cancellationToken);

    /// <summary>The epoch's next mini-batch of at most <paramref name="batchRows"/> rows of <paramref name="data"/>; false at the end of the epoch.</summary>
    public abstract bool NextBatch(int batchRows, out MlpDataset data, out ReadOnlySpan<int> rows);

    /// <summary>Starts a pass over the held-out rows.</summary>
    public abstract void BeginValidation(CancellationToken cancellationToken);

    /// <summary>The next at most <paramref name="chunkRows"/> held-out rows; false at the end.</summary>
    public abstract bool NextValidation(int chunkRows, out MlpDataset data, out ReadOnlySpan<int> rows);

    /// <summary>Held-out rows.</summary>
    public abstract long ValidationRows { get; }

    /// <summary>The threads the current block's batches train on, where the rows choose them (<see cref="StreamThreadChoice"/>); null to keep the fit's.</summary>
    public virtual int? BlockThreads => null;

    /// <summary>Stops any pass still reading.</summary>
    public virtual void Dispose()
    {
    }
}

/// <summary>Rows held in one <see cref="MlpDataset"/>: the training rows shuffled as a whole every epoch, as scikit-learn does.</summary>
internal sealed class InMemoryRows : EpochRows
{
    private readonly MlpDataset _data;
    private readonly int[] _train;
    private readonly int[]? _validation;
    private int _next;

    /// <summary>All rows for training, or with <paramref name="earlyStopping"/> the split of <see cref="ValidationSplit.Split"/> drawn from <paramref name="random"/>.</summary>
    public InMemoryRows(MlpDataset data, bool earlyStopping, double validationFraction, SeededRandom random)
    {
        _data = data;
        if (earlyStopping)
        {
            (_train, _validation) = ValidationSplit.Split(data, validationFraction, random);
        }
        else
        {
            _train = new int[data.RowCount];
            for (int i = 0; i < _train.Length; i++)
            {
                _train[i] = i;
            }
        }
    }

    public override long TrainRows => _train.Length;

    public override long DataBytes => _data.ByteCount;

    public override long ValidationRows => _validation?.Length ?? 0;

    public override void BeginEpoch(bool shuffle, SeededRandom random, CancellationToken cancellationToken)
    {
        if (shuffle)
        {
            random.Shuffle(_train);
        }

        _next = 0;
    }

    public override bool NextBatch(int batchRows, out MlpDataset data, out ReadOnlySpan<int> rows) => Next(_train, batchRows, out data, out rows);

    public override void BeginValidation(CancellationToken cancellationToken) => _next = 0;

    public override bool NextValidation(int chunkRows, out MlpDataset data, out ReadOnlySpan<int> rows) => Next(_validation!, chunkRows, out data, out rows);

    private bool Next(int[] order, int count, out MlpDataset data, out ReadOnlySpan<int> rows)
    {
        data = _data;
        if (_next >= order.Length)
        {
            rows = default;
            return false;
        }

        rows = order.AsSpan(_next, Math.Min(count, order.Length - _next));
        _next += rows.Length;
        return true;
    }
}
