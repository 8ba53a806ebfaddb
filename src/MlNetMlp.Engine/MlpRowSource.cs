using System;
using System.Threading;

namespace MlNetMlp.Engine;

/// <summary>
/// Training rows read block by block, once per epoch, instead of held in memory (<see cref="MlpTrainer.Fit(IMlpRowSource, MlpModel?, Action{MlpEpochReport}?, CancellationToken)"/>):
/// data larger than memory. Every pass must deliver the same rows; the order may differ from pass to pass only
/// where a shuffle seed is given, and the same seed must give the same order.
/// </summary>
public interface IMlpRowSource
{
    /// <summary>The task the rows' labels or targets define.</summary>
    MlpTask Task { get; }

    /// <summary>Features per row.</summary>
    int FeatureCount { get; }

    /// <summary>Classes (2 for binary); 0 for regression.</summary>
    int ClassCount { get; }

    /// <summary>Targets per row for regression; 0 for classification.</summary>
    int TargetCount { get; }

    /// <summary>Whether the rows carry example weights.</summary>
    bool HasWeights { get; }

    /// <summary>
    /// Starts one pass over every row. With <paramref name="shuffleSeed"/> null the rows come in the source's own order;
    /// otherwise a source that can shuffle may deliver them in an order drawn from that seed (the same seed, the same order).
    /// Called on the trainer's reading thread; the reader is disposed there.
    /// </summary>
    IMlpRowReader Open(int? shuffleSeed);
}

/// <summary>
/// A row source whose reader checks every value it writes, as <see cref="MlpRowBlock"/>'s own check would, with
/// messages that name its columns (the ML.NET adapter's view source): the trainer does not check its blocks again.
/// </summary>
internal interface ICheckedRowSource : IMlpRowSource
{
}

/// <summary>One pass over an <see cref="IMlpRowSource"/>'s rows.</summary>
public interface IMlpRowReader : IDisposable
{
    /// <summary>
    /// Writes the next rows of the pass into <paramref name="block"/>, from row <paramref name="start"/> up to at most its
    /// <see cref="MlpRowBlock.Capacity"/>: features, label or targets, weight, and each row's id
    /// (<see cref="MlpRowBlock.RowIds"/>). Returns how many rows it wrote; 0 only at the end of the pass. A bad value
    /// throws, naming the row and the column; the trainer stops and no model is produced.
    /// </summary>
    int Read(MlpRowBlock block, int start, CancellationToken cancellationToken);
}

/// <summary>
/// A block of rows a streamed fit reads into and trains from, refilled for every block (the arrays are allocated
/// once). Row <c>i</c> has features <c>Features[i * FeatureCount ..]</c>, its class in <c>Labels[i]</c> or its targets
/// in <c>Targets[i * TargetCount ..]</c>, its weight in <c>Weights[i]</c>, and its id in <c>RowIds[i]</c>.
/// </summary>
public sealed class MlpRowBlock
{
    internal MlpRowBlock(int capacity, IMlpRowSource source)
    {
        Capacity = capacity;
        FeatureCount = source.FeatureCount;
        TargetCount = source.TargetCount;
        Features = new float[(long)capacity * source.FeatureCount];
        Labels = source.ClassCount > 0 ? new int[capacity] : null;
        Targets = source.ClassCount > 0 ? null : new float[(long)capacity * source.TargetCount];
        Weights = source.HasWeights ? new float[capacity] : null;
        RowIds = new ulong[capacity];
    }

    /// <summary>Most rows the block holds.</summary>
    public int Capacity { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Targets per row (regression); 0 for classification.</summary>
    public int TargetCount { get; }

    /// <summary>Row-major <c>(Capacity, FeatureCount)</c> features.</summary>
    public float[] Features { get; }

    /// <summary>Class index per row, in [0, ClassCount); null for regression.</summary>
    public int[]? Labels { get; }

    /// <summary>Row-major <c>(Capacity, TargetCount)</c> targets; null for classification.</summary>
    public float[]? Targets { get; }

    /// <summary>Non-negative weight per row; null when the source has none.</summary>
    public float[]? Weights { get; }

    /// <summary>
    /// A stable id per row: the same row has the same id in every pass, whatever the order (a position in the
    /// unshuffled order will do). Early stopping's held-out rows are chosen from it.
    /// </summary>
    public ulong[] RowIds { get; }

    /// <summary>Row <paramref name="row"/>'s features.</summary>
    public Span<float> RowFeatures(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>Checks rows [start, start + count) as <see cref="MlpDataset"/> checks its rows; <paramref name="firstRow"/> is row start's number in the pass.</summary>
    internal void Check(int start, int count, int classCount, long firstRow)
    {
        MlpDataset.CheckFeatureValues(Features.AsSpan(start * FeatureCount, count * FeatureCount), FeatureCount, firstRow);
        if (Labels is not null)
        {
            MlpDataset.CheckLabelValues(Labels.AsSpan(start, count), classCount, firstRow);
        }
        else
        {
            MlpDataset.CheckTargetValues(Targets.AsSpan(start * TargetCount, count * TargetCount), TargetCount, firstRow);
        }

        if (Weights is not null)
        {
            MlpDataset.CheckWeightValues(Weights.AsSpan(start, count), firstRow);
        }
    }

    /// <summary>Moves row <paramref name="from"/> to row <paramref name="to"/> (<paramref name="to"/> &lt; <paramref name="from"/>), to pack the rows a pass keeps.</summary>
    internal void Move(int from, int to)
    {
        RowFeatures(from).CopyTo(RowFeatures(to));
        if (Labels is not null)
        {
            Labels[to] = Labels[from];
        }
        else
        {
            Targets.AsSpan(from * TargetCount, TargetCount).CopyTo(Targets.AsSpan(to * TargetCount, TargetCount));
        }

        if (Weights is not null)
        {
            Weights[to] = Weights[from];
        }

        RowIds[to] = RowIds[from];
    }

    /// <summary>Bytes per row of a block of <paramref name="source"/>'s rows.</summary>
    internal static long RowBytes(IMlpRowSource source) =>
        (sizeof(float) * ((long)source.FeatureCount + (source.ClassCount > 0 ? 1 : source.TargetCount) + (source.HasWeights ? 1 : 0))) + sizeof(ulong);
}
