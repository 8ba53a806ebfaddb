using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>Bad data and bad settings at the ML.NET level: each ends in a clear exception naming what is wrong.</summary>
public class BadInputTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static IDataView Rows(params (float[] Features, bool Label)[] rows) =>
        Ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Features = r.Features, Label = r.Label }));

    private static IDataView Good(int count = 40) =>
        Rows(Enumerable.Range(0, count).Select(i => (new[] { i / (float)count, (i % 7) / 7f, 1f }, i % 2 == 0)).ToArray());

    private static Exception FitBinary(IDataView data, MlpBinaryTrainer.Options? options = null) =>
        Record.Exception(() => Ml.BinaryClassification.Trainers.Mlp(Ml, options ?? new MlpBinaryTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfIterations = 3 }).Fit(data))!;

    public static IEnumerable<object[]> BadFeatureValues() =>
        new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }.Select(v => new object[] { v });

    [Theory]
    [MemberData(nameof(BadFeatureValues))]
    public void NonFiniteFeaturesAreRejectedWithRowAndSlot(float bad)
    {
        var rows = Enumerable.Range(0, 10).Select(i => (new[] { 1f, i, 2f }, i % 2 == 0)).ToArray();
        rows[6].Item1[1] = bad;
        var error = Assert.IsType<InvalidOperationException>(FitBinary(Rows(rows)));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("slot 1 of row 6", error.Message);
        Assert.Contains(bad.ToString(), error.Message);
        Assert.Contains("ReplaceMissingValues", error.Message);
    }

    [Fact]
    public void MissingKeyLabelIsRejectedWithTheRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 12).Select(i => new TextRow { Features = [i, 1], Species = (i % 3).ToString() }).ToArray();
        var keys = ml.Transforms.Conversion.MapValueToKey("Label", "Species", keyData: ml.Data.LoadFromEnumerable(new[] { new Term { Species = "0" }, new Term { Species = "1" } }));
        IDataView data = keys.Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var error = Assert.Throws<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [2], maximumNumberOfIterations: 2).Fit(data));
        Assert.Contains("'Label' is missing in row 2", error.Message);
    }

    [Fact]
    public void NaNRegressionLabelIsRejected()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new RegressionRow { Features = [i, 1], Label = i == 5 ? float.NaN : i }));
        var error = Assert.Throws<InvalidOperationException>(() => Ml.Regression.Trainers.Mlp(Ml, hiddenLayerSizes: [2], maximumNumberOfIterations: 2).Fit(data));
        Assert.Contains("'Label' has NaN in row 5", error.Message);
    }

    [Fact]
    public void NumericBinaryLabelOutsideZeroAndOneIsRejected()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new RegressionRow { Features = [i, 1], Label = i == 3 ? 2 : i % 2 }));
        var error = Assert.IsType<InvalidOperationException>(FitBinary(data));
        Assert.Contains("'Label' has 2 in row 3", error.Message);
        Assert.Contains("0 or 1", error.Message);
    }

    [Fact]
    public void BinaryLabelWithOneClassIsRejected()
    {
        var error = Assert.IsType<ArgumentException>(FitBinary(Rows(Enumerable.Range(0, 6).Select(i => (new[] { (float)i, 1f, 2f }, true)).ToArray())));
        Assert.Contains("only one class (true)", error.Message);
    }

    [Fact]
    public void EmptyDataViewIsRejected()
    {
        var error = Assert.IsType<ArgumentException>(FitBinary(Rows()));
        Assert.Contains("no rows", error.Message);
    }

    [Fact]
    public void WrongFeatureTypeIsRejected()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new DoubleRow { Features = [i, 1], Label = i % 2 == 0 }));
        var error = Assert.IsType<ArgumentOutOfRangeException>(FitBinary(data));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("Double", error.Message);
        Assert.Contains("Single", error.Message);
    }

    [Fact]
    public void VaryingLengthFeaturesAreRejected()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new VariableRow { Features = new float[1 + (i % 2)], Label = i % 2 == 0 }));
        var error = Assert.IsType<ArgumentOutOfRangeException>(FitBinary(data));
        Assert.Contains("varying length", error.Message);
    }

    [Theory]
    [InlineData("Nope", "Label", "Features column 'Nope' not found")]
    [InlineData("Features", "Missing", "Label column 'Missing' not found")]
    public void MissingColumnsAreNamed(string features, string label, string expected)
    {
        var error = Assert.IsType<ArgumentOutOfRangeException>(FitBinary(Good(), new MlpBinaryTrainer.Options { FeatureColumnName = features, LabelColumnName = label }));
        Assert.Contains(expected, error.Message);
        Assert.Contains("Columns present: Features, Label", error.Message);
    }

    [Fact]
    public void MulticlassNeedsAKeyLabel()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 6).Select(i => new RegressionRow { Features = [i, 1], Label = i % 3 }));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.Trainers.Mlp(Ml).Fit(data));
        Assert.Contains("MapValueToKey(\"Label\")", error.Message);
    }

    [Theory]
    [InlineData(-1f, "has -1 in row 2")]
    [InlineData(float.NaN, "has NaN in row 2")]
    public void BadExampleWeightsAreRejected(float weight, string expected)
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 6).Select(i => new WeightRow { Features = [i, 1], Label = i % 2 == 0, Weight = i == 2 ? weight : 1 }));
        var error = Assert.IsType<InvalidOperationException>(FitBinary(data, new MlpBinaryTrainer.Options { ExampleWeightColumnName = "Weight", MaximumNumberOfIterations = 2 }));
        Assert.Contains("'Weight'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void FeatureCountAtPredictionMustMatchTraining()
    {
        MlpPredictionTransformer model = Ml.BinaryClassification.Trainers.Mlp(Ml, hiddenLayerSizes: [2], maximumNumberOfIterations: 2).Fit(Good());
        IDataView narrower = Ml.Data.LoadFromEnumerable(new[] { new RegressionRow { Features = [1f, 2f] } });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(narrower));
        Assert.Contains("Vector<Single, 3>", error.Message);
        Assert.Contains("'Features'", error.Message);
    }

    public static IEnumerable<object[]> BadOptions() => new (Action<MlpBinaryTrainer.Options> Set, string Name, string Value)[]
    {
        (o => o.MaximumNumberOfIterations = -1, "MaximumNumberOfIterations", "-1"),
        (o => o.PiecewiseLinearBins = -2, "PiecewiseLinearBins", "-2"),
        (o => o.WeightDecay = 2, "WeightDecay", "2"),
        (o => o.WarmupFraction = 1, "WarmupFraction", "1"),
        (o => o.Dropout = 1, "Dropout", "1"),
        (o => o.Dropout = -0.1, "Dropout", "-0.1"),
        (o => o.LabelSmoothing = 1.5, "LabelSmoothing", "1.5"),
        (o => o.LabelSmoothing = double.NaN, "LabelSmoothing", "NaN"),
        (o => o.L2Regularization = -1, "L2Regularization", "-1"),
        (o => o.L2Regularization = double.NaN, "L2Regularization", "NaN"),
        (o => o.BatchSize = -5, "BatchSize", "-5"),
        (o => o.HiddenLayerSizes = [0], "HiddenLayerSizes", "0"),
        (o => o.HiddenLayerSizes = [10, -3], "HiddenLayerSizes", "-3"),
        (o => o.Solver = new AdamSolver { Beta1 = 1 }, "Beta1", "1"),
        (o => o.Solver = new AdamSolver { Beta2 = 1.5 }, "Beta2", "1.5"),
        (o => o.Solver = new AdamSolver { LearningRate = 0 }, "LearningRate", "0"),
        (o => o.Solver = new SgdSolver { Momentum = 1 }, "Momentum", "1"),
        (o => o.Solver = new LbfgsSolver { MaxFunctionEvaluations = 0 }, "MaxFunctionEvaluations", "0"),
        (o => o.ValidationFraction = 1, "ValidationFraction", "1"),
        (o => o.EpochsWithoutImprovement = 0, "EpochsWithoutImprovement", "0"),
        (o => o.NumberOfThreads = 0, "NumberOfThreads", "0"),
        (o => o.LeakyReluSlope = 2, "LeakyReluSlope", "2"),
        (o => o.OptimizationTolerance = -0.1, "OptimizationTolerance", "-0.1"),
        (o => o.LabelColumnName = "", "LabelColumnName", "''"),
    }.Select(c => new object[] { c.Set, c.Name, c.Value });

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void InvalidOptionsAreRejectedWhenTheTrainerIsCreated(Action<MlpBinaryTrainer.Options> set, string name, string value)
    {
        var options = new MlpBinaryTrainer.Options();
        set(options);
        var error = Assert.ThrowsAny<ArgumentException>(() => Ml.BinaryClassification.Trainers.Mlp(Ml, options));
        Assert.Contains(name, error.Message);
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public void AbsurdLayerSizesFailBeforeAllocating()
    {
        var options = new MlpBinaryTrainer.Options { HiddenLayerSizes = [1 << 20, 1 << 20, 1 << 20] };
        var error = Assert.ThrowsAny<ArgumentException>(() => Ml.BinaryClassification.Trainers.Mlp(Ml, options).Fit(Good()));
        Assert.Contains("HiddenLayerSizes", error.Message);
    }

    [Fact]
    public void ValidationFractionThatLeavesNoRowsIsRejected()
    {
        var error = Assert.IsType<ArgumentOutOfRangeException>(FitBinary(Good(4), new MlpBinaryTrainer.Options { EarlyStopping = true, ValidationFraction = 0.9 }));
        Assert.Contains("ValidationFraction", error.Message);
        Assert.Contains("0.9", error.Message);
    }

    [Fact]
    public void DivergenceIsReportedWithAdviceAndNoModel()
    {
        var rows = Enumerable.Range(0, 100).Select(i => new RegressionRow { Features = [i * 1000f, (i % 9) * 5000f], Label = i * 1e4f }).ToArray();
        // The scikit-learn recipe trains on the features and label as given; the tabular recipe would scale both.
        var error = Assert.Throws<MlpDivergenceException>(() => Ml.Regression.Trainers.Mlp(Ml, new MlpRegressionTrainer.Options
        {
            Recipe = MlpRecipe.ScikitLearn,
            HiddenLayerSizes = [8],
            Solver = new SgdSolver { LearningRate = 10 },
            MaximumNumberOfIterations = 50,
        }).Fit(Ml.Data.LoadFromEnumerable(rows)));
        Assert.Matches("Training diverged in epoch [0-9]+", error.Message);
        Assert.Contains("Lower the learning rate", error.Message);
        // The engine's advice carries no ML.NET names; the adapter adds the pipeline's side.
        Assert.DoesNotContain("NormalizeMeanVariance", Assert.IsType<MlpDivergenceException>(error.InnerException).Message);
        Assert.Contains("NormalizeMeanVariance", error.Message);
    }

    /// <summary>A view of <paramref name="rows"/> dense 3-feature rows; the label alternates.</summary>
    private static HandMadeDataView Counted(int rows, long? claimed = null, Action<int>? onLabel = null) => new(
        3,
        rows,
        r => new VBuffer<float>(3, [r / (float)rows, (r % 7) / 7f, 1f]),
        r =>
        {
            onLabel?.Invoke(r);
            return r % 2 == 0;
        },
        claimed);

    [Fact]
    public void ACancelledTokenStopsTheReadingOfTheData()
    {
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();
        HandMadeDataView before = Counted(100_000);
        Assert.IsAssignableFrom<OperationCanceledException>(FitBinary(before, new MlpBinaryTrainer.Options { CancellationToken = cancelled.Token }));
        Assert.Equal(0, before.RowsDelivered);

        // Cancelled while the rows are read: the next row is not read.
        using var during = new System.Threading.CancellationTokenSource();
        HandMadeDataView slow = Counted(100_000, onLabel: r =>
        {
            if (r == 50)
            {
                during.Cancel();
            }
        });
        Assert.IsAssignableFrom<OperationCanceledException>(FitBinary(slow, new MlpBinaryTrainer.Options { CancellationToken = during.Token }));
        Assert.Equal(51, slow.RowsDelivered);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(400_000_000L)]
    [InlineData(3L)]
    public void TheRowCountAViewClaimsIsNotTrusted(long claimed)
    {
        var options = new MlpBinaryTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfIterations = 3, Seed = 1 };
        var honest = Ml.BinaryClassification.Trainers.Mlp(Ml, options).Fit(Counted(40, claimed: 40));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var lied = Ml.BinaryClassification.Trainers.Mlp(Ml, options).Fit(Counted(40, claimed));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // 400 M claimed rows of 3 features would be 4.8 GB allocated before a row is read.
        Assert.InRange(allocated, 1, 64L << 20);
        Assert.Equal(honest.Model.Network.GetParameters(), lied.Model.Network.GetParameters());
    }

    [Fact]
    public void LabelTypeErrorsNameTheAllowedTypesAndAgreeBetweenSchemaAndFit()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 6).Select(i => new TextRow { Features = [i, 1], Species = "a" }));
        var options = new MlpBinaryTrainer.Options { LabelColumnName = "Species", MaximumNumberOfIterations = 1 };
        var trainer = Ml.BinaryClassification.Trainers.Mlp(Ml, options);
        var fromShape = Assert.IsType<ArgumentOutOfRangeException>(Record.Exception(() => trainer.GetOutputSchema(SchemaShapes.FromSchema(data.Schema))));
        var fromFit = Assert.IsType<ArgumentOutOfRangeException>(Record.Exception(() => trainer.Fit(data)));
        Assert.Contains("Label column 'Species'", fromShape.Message);
        Assert.Contains("Boolean", fromShape.Message);
        Assert.Contains("Single or Double holding 0 and 1", fromShape.Message);
        Assert.Contains("Single or Double holding 0 and 1", fromFit.Message);
        Assert.Equal("LabelColumnName", fromShape.ParamName);
        Assert.Equal("LabelColumnName", fromFit.ParamName);

        var regression = Ml.Regression.Trainers.Mlp(Ml, new MlpRegressionTrainer.Options { LabelColumnName = "Species" });
        Assert.Contains("regression needs a scalar Single or Double label", Assert.ThrowsAny<ArgumentException>(() => regression.GetOutputSchema(SchemaShapes.FromSchema(data.Schema))).Message);
        var multiclass = Ml.MulticlassClassification.Trainers.Mlp(Ml, new MlpMulticlassTrainer.Options { LabelColumnName = "Species" });
        string message = Assert.ThrowsAny<ArgumentException>(() => multiclass.GetOutputSchema(SchemaShapes.FromSchema(data.Schema))).Message;
        Assert.Contains("a key of Byte, UInt16, UInt32 or UInt64", message);
        Assert.Contains("MapValueToKey(\"Species\")", message);
    }

    [Fact]
    public void AByteKeyLabelTrainsAMulticlassModel()
    {
        var definition = Microsoft.ML.Data.SchemaDefinition.Create(typeof(ByteKeyRow));
        definition["Label"].ColumnType = new KeyDataViewType(typeof(byte), 3);
        var rows = Enumerable.Range(0, 60).Select(i => new ByteKeyRow { Features = [i % 3 == 0 ? 3 : 0, i % 3 == 1 ? 3 : 0], Label = (byte)(i % 3) }).ToArray();
        IDataView data = Ml.Data.LoadFromEnumerable(rows, definition);
        var trainer = Ml.MulticlassClassification.Trainers.Mlp(Ml, new MlpMulticlassTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfIterations = 200, Seed = 1, Solver = new AdamSolver { LearningRate = 0.05 } });
        Assert.Contains(trainer.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)), c => c.Name == "PredictedLabel");
        var model = trainer.Fit(data);
        Assert.Equal(3, model.Model.ClassCount);
        uint[] predicted = model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        // The enumerable's byte values 0, 1, 2 are the keys 1, 2, 3.
        Assert.Equal(rows.Select(r => (uint)r.Label + 1), predicted);
    }

    [Fact]
    public void ARegressionLabelBeyondFloatRangeIsCalledSo()
    {
        var rows = Enumerable.Range(0, 8).Select(i => new DoubleLabelRow { Features = [i, 1], Label = i == 3 ? 1e300 : i });
        var error = Assert.Throws<InvalidOperationException>(() => Ml.Regression.Trainers.Mlp(Ml, hiddenLayerSizes: [2], maximumNumberOfIterations: 2).Fit(Ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Label' has 1E+300 in row 3, out of float range", error.Message);
        Assert.DoesNotContain("finite", error.Message);
    }

    [Theory]
    [InlineData("index", "stores slot 3 after slot 0 in row 7")]
    [InlineData("descending", "stores slot 0 after slot 2 in row 7")]
    [InlineData("short", "has 2 values in row 7")]
    public void MalformedVectorsAtTransformNameTheColumnAndRow(string defect, string expected)
    {
        MlpPredictionTransformer model = Ml.BinaryClassification.Trainers.Mlp(Ml, hiddenLayerSizes: [2], maximumNumberOfIterations: 2).Fit(Good());
        var bad = new HandMadeDataView(3, 20, r => r != 7 ? new VBuffer<float>(3, [1f, 2f, 3f]) : defect switch
        {
            "index" => new VBuffer<float>(3, 2, [1f, 2f], [0, 3]),
            "descending" => new VBuffer<float>(3, 2, [1f, 2f], [2, 0]),
            _ => new VBuffer<float>(2, [1f, 2f]),
        }, _ => true);
        IDataView scored = model.Transform(bad);
        var error = Assert.Throws<InvalidOperationException>(() => scored.GetColumn<float>("Score").ToArray());
        Assert.Contains("Features column 'Features'", error.Message);
        Assert.Contains(expected, error.Message);

        var engine = Ml.Model.CreatePredictionEngine<Row, CancerOutput>(model, ignoreMissingColumns: true);
        using DataViewRowCursor cursor = bad.GetRowCursor(bad.Schema);
        var rowMapper = model.GetRowToRowMapper(bad.Schema);
        using DataViewRow mapped = rowMapper.GetRow(cursor, rowMapper.OutputSchema.Where(c => c.Name == "Score"));
        ValueGetter<float> score = mapped.GetGetter<float>(mapped.Schema["Score"]);
        float value = 0;
        for (int r = 0; r < 7; r++)
        {
            Assert.True(cursor.MoveNext());
            score(ref value);
        }

        Assert.True(cursor.MoveNext());
        Assert.Contains(expected, Assert.Throws<InvalidOperationException>(() => score(ref value)).Message);
        GC.KeepAlive(engine);
    }

    [Fact]
    public void OneTransformerServesEightThreadsWithSingleThreadResults()
    {
        var ml = new MLContext(seed: 8);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [32, 16], maximumNumberOfIterations: 10))
            .Fit(data);
        float[] expected = model.Transform(data).GetColumn<float>("Score").ToArray();
        float[][] features = data.GetColumn<float[]>("Features").ToArray();
        var results = new float[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            if (t % 2 == 0)
            {
                results[t] = model.Transform(data).GetColumn<float>("Score").ToArray();
            }
            else
            {
                var engine = ml.Model.CreatePredictionEngine<CancerInput, CancerOutput>(model);
                results[t] = features.Select(f => engine.Predict(new CancerInput { Features = f }).Score).ToArray();
            }
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    private sealed class ByteKeyRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public byte Label { get; set; }
    }

    private sealed class DoubleLabelRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public double Label { get; set; }
    }

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class TextRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public string Species { get; set; } = string.Empty;
    }

    private sealed class Term
    {
        public string Species { get; set; } = string.Empty;
    }

    private sealed class RegressionRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class DoubleRow
    {
        [VectorType(2)]
        public double[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class VariableRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class WeightRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }

        public float Weight { get; set; }
    }
}
