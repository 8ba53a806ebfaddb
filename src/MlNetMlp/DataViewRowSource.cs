using System;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// An <see cref="IDataView"/> as the engine's streamed rows: one cursor per pass, each row read and checked as
/// loading checks it (<see cref="FeatureRows.ReadDense"/>, <see cref="TrainingData.ClassReader"/>,
/// <see cref="TrainingData.TargetReader"/>, <see cref="TrainingData.ReadWeight"/>: the same messages, naming the
/// column and the row). Features are read dense. A pass with a shuffle seed uses the view's shuffled cursor
/// (<c>GetRowCursor(columns, new Random(seed))</c>) where <see cref="IDataView.CanShuffle"/> says it has one (the
/// binary loader and the cache do); rows are then named by their row id (the row's number in a binary file),
/// otherwise by their position. A row's id for the hold-out rule is its <see cref="DataViewRowId"/>. Its checks are the
/// only ones (<see cref="ICheckedRowSource"/>): the trainer does not check the blocks a second time.
/// </summary>
internal sealed class DataViewRowSource : ICheckedRowSource
{
    private readonly IDataView _data;
    private readonly TrainingData.Columns _columns;
    private readonly bool _shuffledCursor;

    /// <summary>With <paramref name="shuffledCursor"/> false every pass reads the view in its own order (<see cref="MlpTrainerOptions.StreamingShuffledCursor"/>).</summary>
    public DataViewRowSource(IDataView data, TrainingData.Columns columns, bool shuffledCursor)
    {
        _data = data;
        _columns = columns;
        _shuffledCursor = shuffledCursor;
    }

    public MlpTask Task => _columns.TaskColumns.Head.Task;

    public int FeatureCount => _columns.FeatureCount;

    public int ClassCount => _columns.Classifier ? _columns.ClassCount : 0;

    public int TargetCount => _columns.Classifier ? 0 : 1;

    public bool HasWeights => _columns.Weight is not null;

    public IMlpRowReader Open(int? shuffleSeed)
    {
        bool shuffled = shuffleSeed is int && _shuffledCursor && _data.CanShuffle;
        DataViewRowCursor cursor = shuffled ? _data.GetRowCursor(_columns.All, new Random(shuffleSeed!.Value)) : _data.GetRowCursor(_columns.All);
        return new Reader(cursor, _columns, shuffled);
    }

    private sealed class Reader : IMlpRowReader
    {
        private readonly DataViewRowCursor _cursor;
        private readonly FeatureSource _features;
        private readonly string _featureName;
        private readonly Func<long, int>? _readLabel;
        private readonly Func<long, float>? _readTarget;
        private readonly ValueGetter<float>? _weight;
        private readonly string? _weightName;
        private readonly ValueGetter<DataViewRowId> _id;
        private readonly bool _shuffled;
        private long _position;

        public Reader(DataViewRowCursor cursor, TrainingData.Columns columns, bool shuffled)
        {
            _cursor = cursor;
            _features = new FeatureSource(cursor, columns.Features, columns.FeatureCount);
            _featureName = columns.Features.Name;
            _readLabel = columns.Classifier ? TrainingData.ClassReader(cursor, columns.Label, columns.ClassCount) : null;
            _readTarget = columns.Classifier ? null : TrainingData.TargetReader(cursor, columns.Label);
            _weight = columns.Weight is DataViewSchema.Column w ? cursor.GetGetter<float>(w) : null;
            _weightName = columns.Weight?.Name;
            _id = cursor.GetIdGetter();
            _shuffled = shuffled;
        }

        public int Read(MlpRowBlock block, int start, CancellationToken cancellationToken)
        {
            int i = start;
            for (; i < block.Capacity; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!_cursor.MoveNext())
                {
                    break;
                }

                DataViewRowId id = default;
                _id(ref id);
                long row = _shuffled ? (long)id.Low : _position;
                _position++;
                FeatureRows.ReadDense(_features, block.RowFeatures(i), _featureName, row);
                if (_readLabel is not null)
                {
                    block.Labels![i] = _readLabel(row);
                }
                else
                {
                    block.Targets![i] = _readTarget!(row);
                }

                if (_weight is not null)
                {
                    block.Weights![i] = TrainingData.ReadWeight(_weight, _weightName!, row);
                }

                block.RowIds[i] = id.Low ^ (id.High * 0x9E3779B97F4A7C15UL);
            }

            return i - start;
        }

        public void Dispose() => _cursor.Dispose();
    }
}
