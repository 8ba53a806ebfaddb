using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MlNetMlp.Engine;
using MlNetMlp.Onnx;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// The exported model in ONNX Runtime next to ours, measured side by side in one run: single-row latency of the W1
/// network (64-128-64-10) and whole-set throughput of the W1 and W3 (100-256-128-10) networks, for the engine
/// (MlpPredictor against an InferenceSession on <see cref="MlpOnnx"/>'s graph, raw scores both) and inside ML.NET
/// (our transformer against the standard-zip route: the exported graph under ApplyOnnxModel, loaded by Model.Load).
/// </summary>
internal static class OnnxComparison
{
    public static int Run()
    {
        var ml = new MLContext(seed: 1);
        PreparedData digits = Workload.Get("W1").Data;
        int d = digits.FeatureCount;
        var schema = MlNetComparison.SchemaFor(d);
        var train = ml.Data.LoadFromEnumerable(MlNetComparison.Rows(digits.TrainFeatures, digits.TrainLabels!, d), schema);
        var chain = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { HiddenLayerSizes = [128, 64], MaximumNumberOfIterations = 20, BatchSize = 200, NumberOfThreads = 1 }))
            .Fit(train);
        MlpModel network = chain.LastTransformer.Model.Network;
        ITransformer standard = Reload(ml, ml.Transforms.ApplyOnnxModelWithMlp(chain, train), train.Schema);
        Console.WriteLine($"ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version}, engine graph opset {MlpOnnx.Opset}; {Environment.ProcessorCount} logical cores");
        Console.WriteLine();

        Console.WriteLine("Single-row latency, W1 network 64-128-64-10 (best of 5 passes, us per row):");
        MlNetComparison.DigitRow[] rows = MlNetComparison.Rows(digits.TestFeatures, digits.TestLabels!, d).ToArray();
        Report("MlpPredictor.ComputeScores (engine)", EngineLatency(network, digits.TestFeatures), "us/row");
        Report("InferenceSession.Run, 1 row, 1 thread (MlpOnnx graph)", OrtLatency(network, digits.TestFeatures), "us/row");
        Report("PredictionEngine, MlNetMlp chain", PredictionLatency(ml, chain, rows, schema), "us/row");
        Report("PredictionEngine, standard zip (ApplyOnnxModel)", PredictionLatency(ml, standard, rows, schema), "us/row");
        Console.WriteLine();

        foreach ((string name, int repeat) in new[] { ("W1", 56), ("W3", 1) })
        {
            Workload w = Workload.Get(name);
            PreparedData data = w.Data;
            float[] all = [.. data.TrainFeatures, .. data.TestFeatures];
            int n = all.Length / data.FeatureCount;
            MlpModel model = name == "W1" ? network : new MlpTrainer(w.Options(epochs: 1, threads: 1)).Fit(data.TrainSet());
            float[] features = Enumerable.Range(0, repeat).SelectMany(_ => all).ToArray();
            int total = n * repeat;
            Console.WriteLine($"Whole-set throughput, {name} network {string.Join("-", new[] { data.FeatureCount }.Concat(model.HiddenLayerSizes).Append(model.OutputCount))}, {total:N0} rows (best of 3, rows/s):");
            Report("MlpPredictor.ComputeScores in blocks, 1 thread", EngineThroughput(model, features, 1), "rows/s");
            Report("MlpPredictor.ComputeScores in blocks, 2 threads", EngineThroughput(model, features, 2), "rows/s");
            Report("InferenceSession.Run, all rows, 1 intra-op thread", OrtThroughput(model, features, 1), "rows/s");
            Report("InferenceSession.Run, all rows, 2 intra-op threads", OrtThroughput(model, features, 2), "rows/s");
            Console.WriteLine();
        }

        // ML.NET's ONNX transformer runs one row per call; measured on the W1 digits test rows repeated to 20,000.
        Console.WriteLine("Transform + read Score inside ML.NET, W1 network, 20,000 rows (best of 3, rows/s):");
        var view = ml.Data.Cache(ml.Data.LoadFromEnumerable(Enumerable.Range(0, 20_000).Select(i => rows[i % rows.Length]), schema));
        MlNetComparison.Consume(view, "Features");
        Report("MlNetMlp chain", TransformThroughput(chain, view, 20_000), "rows/s");
        Report("standard zip (ApplyOnnxModel)", TransformThroughput(standard, view, 20_000), "rows/s");
        return 0;
    }

    private static void Report(string what, double value, string unit) =>
        Console.WriteLine($"  {what,-58} {value.ToString(unit == "us/row" ? "F3" : "N0", System.Globalization.CultureInfo.InvariantCulture),14} {unit}");

    private static ITransformer Reload(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var zip = new MemoryStream();
        ml.Model.Save(model, schema, zip);
        zip.Position = 0;
        return new MLContext(seed: 1).Model.Load(zip, out _);
    }

    private static InferenceSession Session(MlpModel model, int threads) =>
        new(MlpOnnx.ConvertToOnnx(model), new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        });

    private static double Best(int passes, int calls, Action<int> call, double unitsPerCall)
    {
        for (int i = 0; i < Math.Min(calls, 20_000); i++)
        {
            call(i);
        }

        double best = double.MaxValue;
        for (int r = 0; r < passes; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call(i);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / (calls * unitsPerCall));
        }

        return best;
    }

    private static double EngineLatency(MlpModel model, float[] rows)
    {
        MlpPredictor predictor = model.CreatePredictor();
        int d = model.InputCount;
        int n = rows.Length / d;
        var scores = new float[model.OutputCount];
        return Best(5, 200_000, i => predictor.ComputeScores(rows.AsSpan((i % n) * d, d), scores), 1) * 1e6;
    }

    private static double OrtLatency(MlpModel model, float[] rows)
    {
        using InferenceSession session = Session(model, 1);
        int d = model.InputCount;
        int n = rows.Length / d;
        var x = new float[d];
        var y = new float[model.OutputCount];
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, d]);
        using var output = OrtValue.CreateTensorValueFromMemory(y, [1, model.OutputCount]);
        using var options = new RunOptions();
        string[] inputNames = [MlpOnnx.FeaturesName];
        string[] outputNames = [MlpOnnx.ScoreName];
        OrtValue[] inputs = [input];
        OrtValue[] outputs = [output];
        return Best(5, 100_000, i =>
        {
            rows.AsSpan((i % n) * d, d).CopyTo(x);
            session.Run(options, inputNames, inputs, outputNames, outputs);
        }, 1) * 1e6;
    }

    private static double PredictionLatency(MLContext ml, ITransformer model, MlNetComparison.DigitRow[] rows, Microsoft.ML.Data.SchemaDefinition schema)
    {
        var engine = ml.Model.CreatePredictionEngine<MlNetComparison.DigitRow, ScoreOnly>(model, inputSchemaDefinition: schema);
        var output = new ScoreOnly();
        return Best(5, 50_000, i => engine.Predict(rows[i % rows.Length], ref output), 1) * 1e6;
    }

    private static double EngineThroughput(MlpModel model, float[] features, int threads)
    {
        MlpPredictor predictor = model.CreatePredictor();
        int rows = features.Length / model.InputCount;
        var scores = new float[rows * model.OutputCount];
        return 1 / Best(3, 1, _ => predictor.ComputeScores(features, rows, scores, threads), rows);
    }

    private static double OrtThroughput(MlpModel model, float[] features, int threads)
    {
        using InferenceSession session = Session(model, threads);
        int rows = features.Length / model.InputCount;
        var scores = new float[rows * model.OutputCount];
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, model.InputCount]);
        using var output = OrtValue.CreateTensorValueFromMemory(scores, [rows, model.OutputCount]);
        using var options = new RunOptions();
        return 1 / Best(3, 1, _ => session.Run(options, [MlpOnnx.FeaturesName], [input], [MlpOnnx.ScoreName], [output]), rows);
    }

    private static double TransformThroughput(ITransformer model, IDataView view, int rows) =>
        1 / Best(3, 1, _ => MlNetComparison.Consume(model.Transform(view), "Score"), rows);

    /// <summary>The Score column alone, read back by the prediction engine.</summary>
    internal sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];
    }
}
