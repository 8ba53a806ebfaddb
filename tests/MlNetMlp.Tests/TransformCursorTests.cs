using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// The scored view's cursor reads its input ahead in blocks (up to 1024 rows, the next block read while the current
/// one is scored on other threads): every row must still come out with its own pass-through values, position, id and
/// scores, in order, and an input error must surface after the rows before it.
/// </summary>
public class TransformCursorTests
{
    // Enough rows for every block size (16, 32, ..., 1024) and several full blocks read ahead, and not a multiple of any.
    private const int RowCount = 5_003;

    private static Row[] MakeRows(int count, int classes)
    {
        var random = new Random(5);
        var rows = new Row[count];
        for (int i = 0; i < count; i++)
        {
            float[] features = Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            int label = Math.Abs((int)((features[0] + features[1] - features[2]) * classes * 0.6)) % classes;
            rows[i] = new Row
            {
                Id = i,
                Name = $"row {i}",
                Extra = [i, -i, i * 0.5f],
                Features = features,
                Label = (uint)label,
                Flag = label == 1,
            };
        }

        return rows;
    }

    [Fact]
    public void BinaryScoresAndPassThroughColumnsStayAlignedWithTheirRows()
    {
        var ml = new MLContext(seed: 3);
        Row[] rows = MakeRows(RowCount, 2);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Flag),
            HiddenLayerSizes = [64, 32],
            MaximumNumberOfIterations = 3,
        }).Fit(data);
        IDataView scored = model.Transform(data);
        MlpPredictor predictor = model.Model.Network.CreatePredictor();
        var expected = new float[1];

        DataViewSchema schema = scored.Schema;
        using DataViewRowCursor cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name is "Id" or "Name" or "Extra" or "Features" or "Score" or "Probability" or "PredictedLabel"));
        var id = cursor.GetGetter<int>(schema["Id"]);
        var name = cursor.GetGetter<ReadOnlyMemory<char>>(schema["Name"]);
        var extra = cursor.GetGetter<VBuffer<float>>(schema["Extra"]);
        var features = cursor.GetGetter<VBuffer<float>>(schema["Features"]);
        var score = cursor.GetGetter<float>(schema["Score"]);
        var probability = cursor.GetGetter<float>(schema["Probability"]);
        var predicted = cursor.GetGetter<bool>(schema["PredictedLabel"]);
        var rowId = cursor.GetIdGetter();
        using DataViewRowCursor plain = data.GetRowCursor(data.Schema);
        var plainId = plain.GetIdGetter();

        int seen = 0;
        int idValue = 0;
        ReadOnlyMemory<char> nameValue = default;
        VBuffer<float> extraValue = default, featureValue = default;
        float scoreValue = 0, probabilityValue = 0;
        bool predictedValue = false;
        DataViewRowId id1 = default, id2 = default;
        while (cursor.MoveNext())
        {
            Assert.True(plain.MoveNext());
            Row row = rows[seen];
            Assert.Equal(seen, cursor.Position);
            id(ref idValue);
            name(ref nameValue);
            extra(ref extraValue);
            features(ref featureValue);
            score(ref scoreValue);
            probability(ref probabilityValue);
            predicted(ref predictedValue);
            rowId(ref id1);
            plainId(ref id2);
            Assert.Equal(row.Id, idValue);
            Assert.Equal(row.Name, nameValue.ToString());
            Assert.Equal(row.Extra, extraValue.DenseValues().ToArray());
            Assert.Equal(row.Features, featureValue.DenseValues().ToArray());
            Assert.Equal(id2, id1);
            predictor.ComputeScores(row.Features, expected);
            Assert.Equal(expected[0], scoreValue);
            Assert.Equal(BinaryColumns.ProbabilityOf(expected[0]), probabilityValue);
            Assert.Equal(expected[0] > 0, predictedValue);
            seen++;
        }

        Assert.Equal(RowCount, seen);
        Assert.Equal(-1, cursor.Position);
        Assert.False(cursor.MoveNext());
    }

    [Fact]
    public void MulticlassProbabilitiesOfEveryRowMatchTheEngine()
    {
        var ml = new MLContext(seed: 4);
        Row[] rows = MakeRows(RowCount, 3);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Key", nameof(Row.Label)).Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var model = ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options
        {
            LabelColumnName = "Key",
            HiddenLayerSizes = [128, 64],
            MaximumNumberOfIterations = 3,
        }).Fit(data);
        float[][] scores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        uint[] predicted = model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        MlpPredictor predictor = model.Model.Network.CreatePredictor();
        var expected = new float[3];
        Assert.Equal(RowCount, scores.Length);
        for (int i = 0; i < RowCount; i++)
        {
            predictor.PredictProbabilities(rows[i].Features, expected);
            Assert.Equal(expected, scores[i]);
            Assert.Equal((uint)predictor.PredictClass(rows[i].Features) + 1, predicted[i]);
        }
    }

    [Fact]
    public void AnInputErrorSurfacesAfterTheRowsBeforeIt()
    {
        var ml = new MLContext(seed: 5);
        Row[] rows = MakeRows(RowCount, 2);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Flag),
            HiddenLayerSizes = [8],
            MaximumNumberOfIterations = 1,
        }).Fit(ml.Data.LoadFromEnumerable(rows));
        const int BadRow = 3_000;
        IDataView failing = ml.Data.LoadFromEnumerable(FailAt(rows, BadRow), ml.Data.LoadFromEnumerable(rows).Schema);
        IDataView scored = model.Transform(failing);
        using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Id"], scored.Schema["Score"]]);
        var id = cursor.GetGetter<int>(scored.Schema["Id"]);
        var score = cursor.GetGetter<float>(scored.Schema["Score"]);
        int served = 0, value = 0;
        float s = 0;
        Exception error = Assert.ThrowsAny<Exception>(() =>
        {
            while (cursor.MoveNext())
            {
                id(ref value);
                score(ref s);
                Assert.Equal(served, value);
                served++;
            }
        });
        Assert.Equal(BadRow, served);
        Assert.Contains("row 3000 cannot be read", Flatten(error));
    }

    [Fact]
    public void ACursorThatReadsOnlyAFewRowsGetsThem()
    {
        var ml = new MLContext(seed: 6);
        Row[] rows = MakeRows(RowCount, 2);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { LabelColumnName = nameof(Row.Flag), HiddenLayerSizes = [8], MaximumNumberOfIterations = 1 }).Fit(data);
        var preview = model.Transform(data).Preview(maxRows: 3);
        Assert.Equal(3, preview.RowView.Length);
        Assert.Equal("row 2", preview.ColumnView.Single(c => c.Column.Name == "Name").Values[2].ToString());

        using DataViewRowCursor cursor = model.Transform(data).GetRowCursor(model.Transform(data).Schema);
        var score = cursor.GetGetter<float>(cursor.Schema["Score"]);
        float value = 0;
        Assert.Throws<InvalidOperationException>(() => score(ref value));
        Assert.True(cursor.MoveNext());
        score(ref value);
        var expected = new float[1];
        model.Model.Network.CreatePredictor().ComputeScores(rows[0].Features, expected);
        Assert.Equal(expected[0], value);
    }

    [Fact]
    public void ReadingScoresAllocatesNothingPerRow()
    {
        var ml = new MLContext(seed: 7);
        Row[] rows = MakeRows(RowCount, 2);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { LabelColumnName = nameof(Row.Flag), HiddenLayerSizes = [32], MaximumNumberOfIterations = 1 })
            .Fit(ml.Data.LoadFromEnumerable(rows));

        // 40 copies of the rows in ML.NET's cache, which itself reads without allocating.
        IDataView data = ml.Data.Cache(ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).SelectMany(_ => rows)));
        long Pass()
        {
            IDataView scored = model.Transform(data);
            long before = GC.GetAllocatedBytesForCurrentThread();
            using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Id"], scored.Schema["Score"], scored.Schema["Probability"]]);
            var score = cursor.GetGetter<float>(scored.Schema["Score"]);
            var id = cursor.GetGetter<int>(scored.Schema["Id"]);
            float value = 0, sum = 0;
            int idValue = 0;
            while (cursor.MoveNext())
            {
                score(ref value);
                id(ref idValue);
                sum += value + idValue;
            }

            Assert.True(float.IsFinite(sum));
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Pass();
        long allocated = Pass();

        // The cursor's buffers (blocks of 1024 rows, the predictor's copy of the weights) are allocated once; a single
        // object per row would already be 200,120 rows x 24 bytes = 4.8 MB.
        Assert.True(allocated < 1_000_000, $"reading 200,120 scored rows allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AnMlpReadingAnotherMlpsScoresGetsEveryRowRight()
    {
        // The outer cursor reads its input (the inner scored view, which reads ahead and scores on the shared worker
        // pool itself) while the outer pool run is under way: the inner one must fall back to its own thread.
        var ml = new MLContext(seed: 9);
        Row[] rows = MakeRows(RowCount, 3);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Key", nameof(Row.Label)).Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var inner = ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { LabelColumnName = "Key", HiddenLayerSizes = [64, 64], MaximumNumberOfIterations = 2 }).Fit(data);
        IDataView innerScored = ml.Transforms.CopyColumns("InnerScore", "Score").Fit(inner.Transform(data)).Transform(inner.Transform(data));
        var outer = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { FeatureColumnName = "InnerScore", LabelColumnName = nameof(Row.Flag), HiddenLayerSizes = [256, 256], MaximumNumberOfIterations = 1 })
            .Fit(innerScored);
        float[] scores = outer.Transform(innerScored).GetColumn<float>("Score").ToArray();

        MlpPredictor first = inner.Model.Network.CreatePredictor(), second = outer.Model.Network.CreatePredictor();
        var probabilities = new float[3];
        var expected = new float[1];
        Assert.Equal(RowCount, scores.Length);
        for (int i = 0; i < RowCount; i++)
        {
            first.PredictProbabilities(rows[i].Features, probabilities);
            second.ComputeScores(probabilities, expected);
            Assert.Equal(expected[0], scores[i]);
        }
    }

    private static IEnumerable<Row> FailAt(Row[] rows, int bad)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if (i == bad)
            {
                throw new InvalidOperationException($"row {i} cannot be read");
            }

            yield return rows[i];
        }
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);

    private sealed class Row
    {
        public int Id { get; set; }

        public string Name { get; set; } = string.Empty;

        [VectorType(3)]
        public float[] Extra { get; set; } = [];

        [VectorType(8)]
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }

        public bool Flag { get; set; }
    }
}
