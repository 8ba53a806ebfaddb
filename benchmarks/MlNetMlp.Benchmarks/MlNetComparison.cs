using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// The ML.NET side of the comparison: single-row <c>PredictionEngine</c> latency of the W1 network (and of ML.NET's
/// own maximum-entropy model on the same rows, for scale), and whole-data-view <c>Transform</c> throughput of the
/// W1 and W3 networks. compare.py times PyTorch's forward pass on the same shapes.
/// </summary>
internal static class MlNetComparison
{
    /// <summary>One measurement, as written to ours.json.</summary>
    internal sealed record Measurement(string Name, string Network, int Features, int[] Hidden, int Outputs, int Rows, double Value, string Unit);

    public static List<Measurement> Run()
    {
        var results = new List<Measurement>();
        var ml = new MLContext(seed: 1);

        // W1: digits, (128, 64) relu, trained briefly (latency does not depend on the weights' values).
        PreparedData digits = Workload.Get("W1").Data;
        IDataView train = ml.Data.LoadFromEnumerable(Rows(digits.TrainFeatures, digits.TrainLabels!, digits.FeatureCount), SchemaFor(digits.FeatureCount));
        var mlp = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [128, 64], MaximumNumberOfIterations = 20, BatchSize = 200, NumberOfThreads = 1 }))
            .Fit(train);
        var maxEnt = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(train);
        DigitRow[] testRows = Rows(digits.TestFeatures, digits.TestLabels!, digits.FeatureCount).ToArray();
        var schema = SchemaFor(digits.FeatureCount);
        double mlpLatency = Latency(ml.Model.CreatePredictionEngine<DigitRow, DigitPrediction>(mlp, inputSchemaDefinition: schema), testRows);
        double maxEntLatency = Latency(ml.Model.CreatePredictionEngine<DigitRow, DigitPrediction>(maxEnt, inputSchemaDefinition: schema), testRows);
        double engineLatency = EngineLatency(digits);
        results.Add(new Measurement("PredictionEngine.Predict, MlNetMlp", "W1", 64, [128, 64], 10, 1, mlpLatency, "us/row"));
        results.Add(new Measurement("PredictionEngine.Predict, ML.NET LbfgsMaximumEntropy", "W1 data", 64, [], 10, 1, maxEntLatency, "us/row"));
        results.Add(new Measurement("MlpPredictor.PredictClass (engine only)", "W1", 64, [128, 64], 10, 1, engineLatency, "us/row"));
        Console.Error.WriteLine($"[ours] PredictionEngine latency, W1 network: MlNetMlp {mlpLatency:F3} us, ML.NET maximum entropy {maxEntLatency:F3} us, engine alone {engineLatency:F3} us");

        // Transform throughput over a cached data view: the W1 network on the digits rows repeated to 100k rows,
        // and the W3 network on the 200k synthetic rows.
        foreach ((string name, Workload w, int repeat) in new[] { ("W1", Workload.Get("W1"), 56), ("W3", Workload.Get("W3"), 1) })
        {
            PreparedData data = w.Data;
            float[] all = [.. data.TrainFeatures, .. data.TestFeatures];
            int[] labels = [.. data.TrainLabels!, .. data.TestLabels!];
            int rows = labels.Length * repeat;
            IEnumerable<DigitRow> source = Enumerable.Range(0, repeat).SelectMany(_ => Rows(all, labels, data.FeatureCount));
            IDataView view = ml.Data.Cache(ml.Data.LoadFromEnumerable(source, SchemaFor(data.FeatureCount)));
            int trainRows = Math.Min(20_000, labels.Length);
            IDataView fitView = ml.Data.LoadFromEnumerable(Rows(all.AsSpan(0, trainRows * data.FeatureCount).ToArray(), labels.AsSpan(0, trainRows).ToArray(), data.FeatureCount), SchemaFor(data.FeatureCount));
            var model = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = w.Hidden, MaximumNumberOfIterations = 1, BatchSize = w.BatchSize }))
                .Fit(fitView);
            Consume(view, "Features");
            double chainSeconds = double.MaxValue;
            double mlpSeconds = double.MaxValue;
            double readSeconds = double.MaxValue;
            for (int r = 0; r < 3; r++)
            {
                chainSeconds = Math.Min(chainSeconds, Seconds(() => Consume(model.Transform(view), "Score")));
                mlpSeconds = Math.Min(mlpSeconds, Seconds(() => Consume(model.LastTransformer.Transform(view), "Score")));
                readSeconds = Math.Min(readSeconds, Seconds(() => Consume(view, "Features")));
            }

            double block = BlockThroughput(model.LastTransformer.Model.Network, all, data.FeatureCount, repeat, threads: 1);
            double block2 = BlockThroughput(model.LastTransformer.Model.Network, all, data.FeatureCount, repeat, threads: 2);
            results.Add(new Measurement("Transform + read Score, MlNetMlp transformer", name, data.FeatureCount, w.Hidden, 10, rows, rows / mlpSeconds, "rows/s"));
            results.Add(new Measurement("Transform + read Score, the fitted chain (MapValueToKey + MlNetMlp)", name, data.FeatureCount, w.Hidden, 10, rows, rows / chainSeconds, "rows/s"));
            results.Add(new Measurement("MlpPredictor.ComputeScores in blocks, one thread (engine only)", name, data.FeatureCount, w.Hidden, 10, rows, block, "rows/s"));
            results.Add(new Measurement("MlpPredictor.ComputeScores in blocks, two threads (engine only)", name, data.FeatureCount, w.Hidden, 10, rows, block2, "rows/s"));
            results.Add(new Measurement("Reading the Features column alone (ML.NET's cached view, no model)", name, data.FeatureCount, [], 0, rows, rows / readSeconds, "rows/s"));
            Console.Error.WriteLine(
                $"[ours] Transform throughput, {name} network, {rows:N0} rows: transformer {rows / mlpSeconds:N0} rows/s, fitted chain {rows / chainSeconds:N0} rows/s " +
                $"(engine block scoring {block:N0} rows/s on one thread, {block2:N0} on two; reading the features alone {rows / readSeconds:N0} rows/s)");
        }

        return results;
    }

    private static double Seconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Rows per second of the engine's block scoring over <paramref name="repeat"/> passes of the rows, best of three.</summary>
    private static double BlockThroughput(MlpModel model, float[] features, int d, int repeat, int threads)
    {
        MlpPredictor predictor = model.CreatePredictor();
        int rows = features.Length / d;
        var scores = new float[rows * model.OutputCount];
        predictor.ComputeScores(features, rows, scores, threads);
        double best = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int p = 0; p < repeat; p++)
            {
                predictor.ComputeScores(features, rows, scores, threads);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return (double)rows * repeat / best;
    }

    /// <summary>Best of five passes over the rows, in microseconds per Predict call.</summary>
    private static double Latency(PredictionEngine<DigitRow, DigitPrediction> engine, DigitRow[] rows)
    {
        var output = new DigitPrediction();
        for (int i = 0; i < 20_000; i++)
        {
            engine.Predict(rows[i % rows.Length], ref output);
        }

        double best = double.MaxValue;
        const int Calls = 200_000;
        for (int r = 0; r < 5; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Calls; i++)
            {
                engine.Predict(rows[i % rows.Length], ref output);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / Calls);
        }

        return best;
    }

    private static double EngineLatency(PreparedData digits)
    {
        MlpModel model = new MlpTrainer(Workload.Get("W1").Options(epochs: 5, threads: 1)).Fit(digits.TrainSet());
        MlpPredictor predictor = model.CreatePredictor();
        int d = digits.FeatureCount;
        int n = digits.TestRows;
        int sink = 0;
        for (int i = 0; i < 20_000; i++)
        {
            sink += predictor.PredictClass(digits.TestFeatures.AsSpan((i % n) * d, d));
        }

        double best = double.MaxValue;
        const int Calls = 500_000;
        for (int r = 0; r < 5; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Calls; i++)
            {
                sink += predictor.PredictClass(digits.TestFeatures.AsSpan((i % n) * d, d));
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / Calls);
        }

        return sink == int.MinValue ? double.NaN : best;
    }

    /// <summary>Reads every value of one vector column through a cursor.</summary>
    internal static void Consume(IDataView view, string column)
    {
        DataViewSchema.Column col = view.Schema[column];
        using DataViewRowCursor cursor = view.GetRowCursor([col]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> value = default;
        float sum = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            sum += value.GetValues()[0];
        }

        GC.KeepAlive(sum);
    }

    internal static IEnumerable<DigitRow> Rows(float[] features, int[] labels, int d)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            yield return new DigitRow { Features = features.AsSpan(i * d, d).ToArray(), Label = labels[i] };
        }
    }

    internal static SchemaDefinition SchemaFor(int features)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(DigitRow));
        schema[nameof(DigitRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return schema;
    }

    /// <summary>An input row: a feature vector and an integer class.</summary>
    internal sealed class DigitRow
    {
        public float[] Features { get; set; } = [];

        public int Label { get; set; }
    }

    /// <summary>The prediction columns read back.</summary>
    internal sealed class DigitPrediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }
}
