using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>Save a whole pipeline with SaveWithMlp, load it in a fresh MLContext with LoadWithMlp and predict.</summary>
public static class Persistence
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile<Patient>(
            Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv"), separatorChar: ',', hasHeader: true);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);
        var model = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, hiddenLayerSizes: [16]))
            .Fit(split.TrainSet);

        // mlContext.Model.Save cannot write a transformer from outside ML.NET; SaveWithMlp writes the whole chain
        // (ML.NET's parts by ML.NET's own saver) into one zip.
        string path = Path.Combine(Path.GetTempPath(), $"mlnetmlp-example-{Environment.ProcessId}.zip");
        mlContext.Model.SaveWithMlp(model, data.Schema, path);

        var serving = new MLContext();
        ITransformer loaded = serving.Model.LoadWithMlp(path, out DataViewSchema inputSchema);
        File.Delete(path);
        Console.WriteLine($"Loaded; input columns: {string.Join(", ", inputSchema.Select(c => c.Name))}");

        float[] before = Probabilities(mlContext, model.Transform(split.TestSet));
        float[] after = Probabilities(serving, loaded.Transform(split.TestSet));
        Console.WriteLine($"Test rows: {after.Length}, identical probabilities after the round trip: {before.SequenceEqual(after)}");

        var engine = serving.Model.CreatePredictionEngine<Patient, Prediction>(loaded, inputSchema: inputSchema);
        Patient first = serving.Data.CreateEnumerable<Patient>(split.TestSet, reuseRowObject: false).First();
        Console.WriteLine($"First test row: label {first.Label}, P(benign) = {engine.Predict(first).Probability:F3}");
    }

    private static float[] Probabilities(MLContext mlContext, IDataView scored) =>
        mlContext.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => p.Probability).ToArray();

    private sealed class Patient
    {
        [LoadColumn(0, 29), VectorType(30)]
        public float[] Features { get; set; } = [];
        [LoadColumn(30)]
        public bool Label { get; set; }
    }

    private sealed class Prediction
    {
        public float Probability { get; set; }
    }
}

// Expected output (numbers within ±0.002):
//   Loaded; input columns: Features, Label
//   Test rows: 114, identical probabilities after the round trip: True
//   First test row: label False, P(benign) = 0.006
