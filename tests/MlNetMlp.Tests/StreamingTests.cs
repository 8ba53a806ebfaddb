using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// Training streamed from the view (<see cref="MlpTrainerOptions.Streaming"/>) with a budget so small that every block
/// is one mini-batch: ML.NET's binary loader with its shuffled cursor, the automatic switch, and the errors a view can
/// raise in a later epoch.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetmlp-streaming-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AStreamedBinaryFileGivesTheSameModelForOneAndTwoThreadsAndAcrossRuns()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = BinaryFile(ml, Rows(1200));
        Assert.True(data.CanShuffle);
        float[] first = Parameters(ml, data, Options(threads: 1));
        float[] again = Parameters(ml, data, Options(threads: 1));
        float[] threaded = Parameters(ml, data, Options(threads: 2));
        Assert.Equal(Bits(first), Bits(again));
        Assert.Equal(Bits(first), Bits(threaded));

        // In the file's order, shuffled only within the trainer's blocks: another order, the same determinism.
        MlpBinaryTrainer.Options inOrder = Options(threads: 1);
        inOrder.StreamingShuffledCursor = false;
        float[] blocks = Parameters(ml, data, inOrder);
        Assert.Equal(Bits(blocks), Bits(Parameters(ml, data, inOrder)));
        Assert.NotEqual(Bits(first), Bits(blocks));
    }

    [Fact]
    public void AutomaticStreamsOnlyBeyondTheBudgetAndInMemoryIsUnchanged()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(600));
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        MlpBinaryTrainer.Options never = Options(threads: 1, MlpStreaming.Never);
        MlpBinaryTrainer.Options roomy = Options(threads: 1, MlpStreaming.Automatic);
        roomy.MemoryBudgetBytes = 1L << 30;
        Assert.Equal(Bits(Parameters(ml, data, never)), Bits(Parameters(ml, data, roomy)));
        Assert.DoesNotContain(log, m => m.Contains("rows streamed", StringComparison.Ordinal));

        MlpBinaryTrainer.Options tight = Options(threads: 1, MlpStreaming.Automatic);
        tight.MemoryBudgetBytes = 4096;
        Parameters(ml, data, tight);
        Assert.Contains(log, m => m.Contains("600 rows streamed", StringComparison.Ordinal));
    }

    [Fact]
    public void AStreamedFitLeftToChooseItsThreadsSaysItChoosesPerBlock()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(600));
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        Parameters(ml, data, Options(threads: null, MlpStreaming.Always));
        Parameters(ml, data, Options(threads: null, MlpStreaming.Never));
        Parameters(ml, data, Options(threads: 3, MlpStreaming.Always));

        string[] lines = log.Where(m => m.Contains("hidden layers [", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, lines.Length);
        int processors = Environment.ProcessorCount;
        Assert.Contains("rows streamed", lines[0]);
        Assert.Contains(processors > 1 ? $", {processors} or {processors - 1} threads, whichever trains the streamed blocks faster;" : ", 1 thread(s);", lines[0]);
        Assert.Contains($", {Environment.ProcessorCount} thread(s);", lines[1]);
        Assert.Contains(", 3 thread(s);", lines[2]);
    }

    [Fact]
    public void ANaNInTheThirdEpochNamesTheColumnSlotAndRowAndGivesNoModel()
    {
        var ml = new MLContext(seed: 1);
        var view = new PassView(6, 300) { Break = (pass, row) => pass == 6 && row == 123 ? PassView.Fault.NaN : PassView.Fault.None };
        var epochs = new List<int>();
        MlpBinaryTrainer.Options options = Options(threads: 1);
        options.Progress = r => epochs.Add(r.Epoch);
        var error = Assert.Throws<InvalidOperationException>(() => ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(view));
        Assert.Contains("Features column 'Features' has NaN in slot 3 of row 123", error.Message);
        Assert.Equal([1, 2], epochs);
        Assert.Equal(view.CursorsOpened, view.CursorsDisposed);
    }

    [Fact]
    public void AViewThatThrowsOrChangesItsRowCountStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var failing = new PassView(6, 300) { Break = (pass, row) => pass == 3 && row == 77 ? PassView.Fault.Throw : PassView.Fault.None };
        var thrown = Assert.Throws<IOException>(() => ml.BinaryClassification.Trainers.Mlp(ml, Options(threads: 1)).Fit(failing));
        Assert.Contains("row 77", thrown.Message);
        Assert.Equal(failing.CursorsOpened, failing.CursorsDisposed);

        var shrinking = new PassView(6, 300) { RowsOfPass = pass => pass >= 3 ? 299 : 300 };
        var changed = Assert.Throws<InvalidOperationException>(() => ml.BinaryClassification.Trainers.Mlp(ml, Options(threads: 1)).Fit(shrinking));
        Assert.Contains("changed between passes", changed.Message);
    }

    [Fact]
    public void CancellationWarmStartAndLbfgsWhenStreaming()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(400));
        using var cancellation = new CancellationTokenSource();
        MlpBinaryTrainer.Options cancelled = Options(threads: 1);
        cancelled.CancellationToken = cancellation.Token;
        cancelled.Progress = _ => cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ml.BinaryClassification.Trainers.Mlp(ml, cancelled).Fit(data));

        MlpBinaryTrainer trainer = ml.BinaryClassification.Trainers.Mlp(ml, Options(threads: 1));
        MlpPredictionTransformer first = trainer.Fit(data);
        MlpPredictionTransformer continued = trainer.Fit(data, first.Model);
        Assert.Equal(2 * first.Model.Network.EpochsRun, continued.Model.Network.EpochsRun);
        Assert.Equal(first.Model.Network.History.LossCurve, continued.Model.Network.History.LossCurve.Take(first.Model.Network.EpochsRun));

        MlpBinaryTrainer.Options lbfgs = Options(threads: 1);
        lbfgs.Solver = new LbfgsSolver();
        var error = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.Mlp(ml, lbfgs));
        Assert.Contains("L-BFGS", error.Message);
        Assert.Equal(nameof(MlpTrainerOptions.Streaming), error.ParamName);
    }

    /// <summary>A small network with early stopping, streamed (by default) with a 1-byte budget: every block one mini-batch.</summary>
    private static MlpBinaryTrainer.Options Options(int? threads, MlpStreaming streaming = MlpStreaming.Always) => new()
    {
        Recipe = MlpRecipe.ScikitLearn,
        HiddenLayerSizes = [8],
        BatchSize = 32,
        MaximumNumberOfIterations = 3,
        EarlyStopping = true,
        InputScaling = InputScaling.Robust,
        Seed = 5,
        NumberOfThreads = threads,
        Streaming = streaming,
        MemoryBudgetBytes = 1,
    };

    private static float[] Parameters(MLContext ml, IDataView data, MlpBinaryTrainer.Options options) =>
        ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(data).Model.Network.GetParameters();

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private IDataView BinaryFile(MLContext ml, IEnumerable<Row> rows)
    {
        string path = Path.Combine(_folder, "rows.idv");
        using (FileStream file = File.Create(path))
        {
            ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(rows), file);
        }

        return ml.Data.LoadFromBinary(path);
    }

    private static IEnumerable<Row> Rows(int count)
    {
        const int features = Row.FeatureCount;
        var random = new Random(3);
        for (int i = 0; i < count; i++)
        {
            var x = new float[features];
            for (int j = 0; j < features; j++)
            {
                x[j] = (float)(random.NextDouble() * 2) - 1;
            }

            yield return new Row { Features = x, Label = x[0] + (0.5 * x[1]) > 0 };
        }
    }

    private sealed class Row
    {
        public const int FeatureCount = 10;

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>
    /// A view that knows which pass its cursor serves (pass 1 is the first cursor with columns): a pass may deliver
    /// another row count, a NaN, or an exception at a given row. Counts cursors opened and disposed.
    /// </summary>
    private sealed class PassView : IDataView
    {
        public enum Fault
        {
            None,
            NaN,
            Throw,
        }

        private readonly int _features;
        private readonly int _rows;
        private int _passes;

        public PassView(int features, int rows)
        {
            _features = features;
            _rows = rows;
            var builder = new DataViewSchema.Builder();
            builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
            builder.AddColumn("Label", BooleanDataViewType.Instance);
            Schema = builder.ToSchema();
        }

        public Func<int, int, Fault> Break { get; init; } = (_, _) => Fault.None;

        public Func<int, int>? RowsOfPass { get; init; }

        public int CursorsOpened { get; private set; }

        public int CursorsDisposed { get; private set; }

        public bool CanShuffle => false;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => null;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            bool reads = columnsNeeded.Any();
            int pass = reads ? ++_passes : 0;
            CursorsOpened++;
            return new Cursor(this, pass, RowsOfPass?.Invoke(pass) ?? _rows);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(PassView view, int pass, int rows) : DataViewRowCursor
        {
            private int _position = -1;

            public override long Position => _position;

            public override long Batch => 0;

            public override DataViewSchema Schema => view.Schema;

            public override bool MoveNext() => ++_position < rows;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

            public override bool IsColumnActive(DataViewSchema.Column column) => true;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index == 0)
                {
                    return (ValueGetter<TValue>)(Delegate)(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                    {
                        Fault fault = view.Break(pass, _position);
                        if (fault == Fault.Throw)
                        {
                            throw new IOException($"The database connection dropped at row {_position}.");
                        }

                        var x = new float[view._features];
                        for (int j = 0; j < x.Length; j++)
                        {
                            x[j] = MathF.Sin((_position * 7) + j);
                        }

                        if (fault == Fault.NaN)
                        {
                            x[3] = float.NaN;
                        }

                        value = new VBuffer<float>(x.Length, x);
                    });
                }

                return (ValueGetter<TValue>)(Delegate)(ValueGetter<bool>)((ref bool value) => value = MathF.Sin(_position * 7) > 0);
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    view.CursorsDisposed++;
                }

                base.Dispose(disposing);
            }
        }
    }
}
