// ONNX export: train a census-income pipeline (missing-value replacement, one-hot, standardization, an MLP), export
// the whole fitted chain as one ONNX graph, score the test rows with ONNX Runtime's InferenceSession directly and
// compare every output with the pipeline's own; then save the pure ML.NET chain (the graph under ApplyOnnxModel)
// with mlContext.Model.Save, reload it in a fresh MLContext and compare the metrics.
//
//   dotnet run -c Release --project samples/OnnxExport
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Transforms;
using MlNetMlp;
using MlNetMlp.SampleSupport;
using Spectre.Console;

SampleConsole.Configure();
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string outputDirectory = SamplePaths.OutputDirectory("onnx-export");
var mlContext = new MLContext(seed: 1);

// 1. Data and pipeline: UCI Adult, 80/20 split; numerics get missing-value replacement and standardization, text
//    columns one-hot encoding; a (32, 16) ReLU MLP predicts income over 50K.
IDataView data = SampleData.Adult(mlContext);
DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);
var pipeline = mlContext.Transforms.ReplaceMissingValues(SampleData.AdultNumeric.Select(c => new InputOutputColumnPair(c, c)).ToArray(), MissingValueReplacingEstimator.ReplacementMode.Mean)
    .Append(SampleData.AdultFeaturizer(mlContext))
    .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, hiddenLayerSizes: [32, 16], maximumNumberOfIterations: 15));
var model = pipeline.Fit(split.TrainSet);
IDataView ours = model.Transform(split.TestSet);
Console.WriteLine($"Trained on {DataViews.CountRows(split.TrainSet)} rows; {DataViews.CountRows(split.TestSet)} test rows.");

// 2. Export the whole chain as one ONNX graph: ML.NET's transforms through ML.NET's converter, the MLP as ONNX nodes.
string onnxPath = Path.Combine(outputDirectory, "census-mlp.onnx");
using (FileStream file = File.Create(onnxPath))
{
    mlContext.Model.ConvertToOnnxWithMlp(model, split.TrainSet, file);
}

Console.WriteLine($"Exported {SamplePaths.Display(onnxPath)} ({new FileInfo(onnxPath).Length / 1024.0:F1} KiB).");

// 3. Score the test rows with ONNX Runtime directly: one input tensor per input column, all rows in one run.
// (Log level Error: ML.NET's one-hot nodes declare [N, K] outputs that ONNX Runtime infers as [N, 1, K] and warns about.)
using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
using var session = new InferenceSession(onnxPath, options);
var inputs = session.InputMetadata.Select(p => Feed(split.TestSet, p.Key, p.Value)).ToList();
using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs, ["Score.output", "Probability.output", "PredictedLabel.output", "Features.output"]);
Tensor<float> Output(string name) => results.Single(r => r.Name == name).AsTensor<float>();
double largest = 0;
largest = Math.Max(largest, LargestDifference(Column(ours, "Score"), Output("Score.output").ToArray()));
largest = Math.Max(largest, LargestDifference(Column(ours, "Probability"), Output("Probability.output").ToArray()));
largest = Math.Max(largest, LargestDifference(Column(ours, "Features"), Output("Features.output").ToArray()));
float[] ourLabels = ours.GetColumn<bool>("PredictedLabel").Select(b => b ? 1f : 0f).ToArray();
float[] onnxLabels = results.Single(r => r.Name == "PredictedLabel.output").AsTensor<bool>().Select(b => b ? 1f : 0f).ToArray();
largest = Math.Max(largest, LargestDifference(ourLabels, onnxLabels));
Console.WriteLine($"largest absolute difference: {largest.ToString("G3", CultureInfo.InvariantCulture)}");

// 4. The standard-zip route: the same pipeline as ML.NET transformers only (each MLP's graph under ApplyOnnxModel),
//    saved with mlContext.Model.Save and loaded by plain ML.NET in a fresh MLContext.
string zipPath = Path.Combine(outputDirectory, "census-mlp-onnx.zip");
mlContext.Model.Save(mlContext.Transforms.ApplyOnnxModelWithMlp(model, split.TrainSet), split.TrainSet.Schema, zipPath);
var fresh = new MLContext(seed: 2);
ITransformer loaded = fresh.Model.Load(zipPath, out DataViewSchema _);
IDataView theirs = loaded.Transform(split.TestSet);
Console.WriteLine($"Saved {SamplePaths.Display(zipPath)} with mlContext.Model.Save and loaded it with mlContext.Model.Load.");

// ML.NET's ONNX transformer gives scalar columns as one-element vectors (Score: Vector<Single, 1>); the binary
// evaluator wants scalars, so a CustomMapping here, in the evaluating code, takes element 0.
IDataView scalars = fresh.Transforms.CustomMapping<OneElement, Scalar>((v, s) =>
{
    s.Score = v.Score[0];
    s.Probability = v.Probability[0];
    s.PredictedLabel = v.PredictedLabel[0];
}, contractName: null).Fit(theirs).Transform(theirs);
CalibratedBinaryClassificationMetrics a = mlContext.BinaryClassification.Evaluate(ours);
CalibratedBinaryClassificationMetrics b = fresh.BinaryClassification.Evaluate(scalars);
Console.WriteLine();
var table = new Table().AddColumns("metric", "MlNetMlp pipeline", "reloaded ONNX zip");
foreach ((string metric, double mine, double reloaded) in new[] { ("accuracy", a.Accuracy, b.Accuracy), ("AUC", a.AreaUnderRocCurve, b.AreaUnderRocCurve), ("F1", a.F1Score, b.F1Score), ("log-loss (bits)", a.LogLoss, b.LogLoss) })
{
    table.AddRow(metric, mine.ToString("F4", CultureInfo.InvariantCulture), reloaded.ToString("F4", CultureInfo.InvariantCulture));
}

AnsiConsole.Write(table);

static NamedOnnxValue Feed(IDataView data, string name, NodeMetadata meta)
{
    DataViewSchema.Column column = data.Schema[name];
    if (meta.ElementType == typeof(string))
    {
        string[] text = data.GetColumn<ReadOnlyMemory<char>>(column).Select(v => v.ToString()).ToArray();
        return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(text, [text.Length, 1]));
    }

    if (meta.ElementType == typeof(bool))
    {
        bool[] flags = data.GetColumn<bool>(column).ToArray();
        return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(flags, [flags.Length, 1]));
    }

    float[] values = data.GetColumn<float>(column).ToArray();
    return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values, [values.Length, 1]));
}

static float[] Column(IDataView data, string name) => data.Schema[name].Type is VectorDataViewType
    ? data.GetColumn<float[]>(name).SelectMany(v => v).ToArray()
    : data.GetColumn<float>(name).ToArray();

static double LargestDifference(float[] expected, float[] actual)
{
    if (expected.Length != actual.Length)
    {
        throw new InvalidOperationException($"{expected.Length} values of ours, {actual.Length} from ONNX Runtime.");
    }

    double largest = 0;
    for (int i = 0; i < expected.Length; i++)
    {
        largest = Math.Max(largest, Math.Abs((double)expected[i] - actual[i]));
    }

    return largest;
}

internal sealed class OneElement
{
    [VectorType(1)]
    public float[] Score { get; set; } = [];

    [VectorType(1)]
    public float[] Probability { get; set; } = [];

    [VectorType(1)]
    public bool[] PredictedLabel { get; set; } = [];
}

internal sealed class Scalar
{
    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}
