using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetMlp.Onnx.Tests;

/// <summary>
/// The standard-zip route: the exported graph under ML.NET's ApplyOnnxModel, saved with mlContext.Model.Save and
/// loaded with mlContext.Model.Load, gives the original pipeline's columns (names, types, values) and metrics, also
/// in a process that loads no MlNetMlp assembly.
/// </summary>
public class StandardZipTests
{
    [Theory]
    [InlineData(MlpTask.BinaryClassification)]
    [InlineData(MlpTask.MulticlassClassification)]
    [InlineData(MlpTask.Regression)]
    public void SavedWithModelSaveAndLoadedWithModelLoadItScoresAsTheOriginal(MlpTask task)
    {
        var ml = new MLContext(seed: 3);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 120, seed: 2);
        ITransformer model = ExportParityTests.Featurizer(ml, task).Append(ExportParityTests.Trainer(ml, task, Activation.Tanh)).Fit(train);

        var fresh = new MLContext(seed: 9);
        ITransformer loaded = ThroughStandardZip(ml, model, train, fresh, out DataViewSchema inputSchema);
        Assert.Equal(train.Schema.Select(c => c.Name), inputSchema.Select(c => c.Name));

        IDataView ours = model.Transform(test);
        IDataView theirs = loaded.Transform(test);
        AssertSameColumns(task, ours, theirs);
        AssertSameMetrics(ml, task, ours, fresh, theirs);
    }

    /// <summary>
    /// Dropout and label smoothing shape training only: a model of the tabular recipe trained with both reloads from our
    /// zip (SaveWithMlp) bit for bit and from the standard zip (Model.Save of the exported graph) as the original.
    /// </summary>
    [Theory]
    [InlineData(MlpTask.BinaryClassification)]
    [InlineData(MlpTask.MulticlassClassification)]
    public void AModelTrainedWithDropoutAndLabelSmoothingReloadsFromBothFormats(MlpTask task)
    {
        var ml = new MLContext(seed: 4);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 120, seed: 2);
        IEstimator<ITransformer> trainer = task == MlpTask.BinaryClassification
            ? ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { LabelColumnName = "BinaryLabel", Dropout = 0.2, LabelSmoothing = 0.1, MaximumNumberOfIterations = 10 })
            : ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Dropout = 0.2, LabelSmoothing = 0.1, MaximumNumberOfIterations = 10 });
        ITransformer model = ExportParityTests.Featurizer(ml, task).Append(trainer).Fit(train);
        IDataView ours = model.Transform(test);

        using var own = new MemoryStream();
        ml.Model.SaveWithMlp(model, train.Schema, own);
        own.Position = 0;
        IDataView reloaded = new MLContext(seed: 8).Model.LoadWithMlp(own, out _).Transform(test);
        string score = task == MlpTask.BinaryClassification ? "Probability" : "Score";
        Assert.Equal(Ort.Floats(ours, score), Ort.Floats(reloaded, score));

        var fresh = new MLContext(seed: 9);
        IDataView theirs = ThroughStandardZip(ml, model, train, fresh, out _).Transform(test);
        AssertSameColumns(task, ours, theirs);
        AssertSameMetrics(ml, task, ours, fresh, theirs);
    }

    /// <summary><paramref name="model"/>'s exported graph under ApplyOnnxModel, saved with <c>Model.Save</c> into memory and loaded back by <paramref name="fresh"/>'s <c>Model.Load</c>.</summary>
    private static ITransformer ThroughStandardZip(MLContext ml, ITransformer model, IDataView train, MLContext fresh, out DataViewSchema inputSchema)
    {
        using var zip = new MemoryStream();
        ml.Model.Save(ml.Transforms.ApplyOnnxModelWithMlp(model, train), train.Schema, zip);
        zip.Position = 0;
        return fresh.Model.Load(zip, out inputSchema);
    }

    [Fact]
    public void SparseInputThroughTheStandardZipScoresAsTheOriginal()
    {
        var ml = new MLContext(seed: 5);
        IDataView train = Synthetic.Sparse(ml, 300, seed: 1);
        IDataView test = Synthetic.Sparse(ml, 100, seed: 2);
        ITransformer model = ml.Regression.Trainers.Mlp(ml, labelColumnName: "RegressionLabel", hiddenLayerSizes: [9], activation: Activation.LeakyRelu, maximumNumberOfIterations: 10).Fit(train);
        IDataView theirs = ThroughStandardZip(ml, model, train, new MLContext(seed: 1), out _).Transform(test);
        Assert.True(Ort.LargestError(Ort.Floats(model.Transform(test), "Score"), Ort.Floats(theirs, "Score")) <= ExportParityTests.Tolerance);
    }

    [Theory]
    [InlineData(MlpTask.BinaryClassification)]
    [InlineData(MlpTask.MulticlassClassification)]
    public void AProcessWithoutMlNetMlpLoadsTheZipAndScoresAsTheOriginal(MlpTask task)
    {
        var ml = new MLContext(seed: 3);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 80, seed: 2);
        ITransformer model = ExportParityTests.Featurizer(ml, task).Append(ExportParityTests.Trainer(ml, task, Activation.Relu)).Fit(train);

        string folder = Directory.CreateTempSubdirectory("mlnetmlp-onnx-").FullName;
        try
        {
            string zip = Path.Combine(folder, "model.zip");
            string input = Path.Combine(folder, "test.idv");
            string output = Path.Combine(folder, "scored.idv");
            ml.Model.Save(ml.Transforms.ApplyOnnxModelWithMlp(model, train), train.Schema, zip);
            using (FileStream stream = File.Create(input))
            {
                ml.Data.SaveAsBinary(test, stream);
            }

            var start = new ProcessStartInfo("dotnet", [PureLoaderPath(), zip, input, output]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process process = Process.Start(start)!;
            string stdout = process.StandardOutput.ReadToEnd();
            string stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(120_000), "the loader process did not finish");
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {stdout} {stderr}");
            Assert.Contains("no MlNetMlp assembly loaded", stdout);

            AssertSameColumns(task, model.Transform(test), ml.Data.LoadFromBinary(output));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string PureLoaderPath()
    {
        // This assembly is in tests/MlNetMlp.Onnx.Tests/bin/<Configuration>/<tfm>/; the loader builds beside it.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = here.Name;
        string configuration = here.Parent!.Name;
        string path = Path.Combine(here.Parent.Parent!.Parent!.Parent!.FullName, "MlNetMlp.Onnx.PureLoader", "bin", configuration, tfm, "PureMlNetLoader.dll");
        Assert.True(File.Exists(path), $"The loader was not built at {path}.");
        return path;
    }

    /// <summary>
    /// The loaded pipeline's columns: ML.NET's own columns (Features, the label key) with their exact types; the MLP's
    /// columns with the same values, scalars as one-element vectors, the multiclass PredictedLabel a key with the same key values.
    /// </summary>
    private static void AssertSameColumns(MlpTask task, IDataView ours, IDataView theirs)
    {
        Assert.Equal(ours.Schema["Features"].Type, theirs.Schema["Features"].Type);
        Assert.True(Ort.LargestError(Ort.Floats(ours, "Features"), Ort.Floats(theirs, "Features")) <= ExportParityTests.Tolerance, "Features differs");
        Assert.True(Ort.LargestError(Ort.Floats(ours, "Score"), Ort.Floats(theirs, "Score")) <= ExportParityTests.Tolerance, "Score differs");
        var one = new VectorDataViewType(NumberDataViewType.Single, 1);
        switch (task)
        {
            case MlpTask.BinaryClassification:
                Assert.Equal(one, theirs.Schema["Score"].Type);
                Assert.Equal(one, theirs.Schema["Probability"].Type);
                Assert.Equal(new VectorDataViewType(BooleanDataViewType.Instance, 1), theirs.Schema["PredictedLabel"].Type);
                Assert.True(Ort.LargestError(Ort.Floats(ours, "Probability"), Ort.Floats(theirs, "Probability")) <= ExportParityTests.Tolerance, "Probability differs");
                float[] score = Ort.Floats(ours, "Score");
                bool[] a = ours.GetColumn<bool>("PredictedLabel").ToArray();
                bool[] b = Ort.Values<bool>(theirs, theirs.Schema["PredictedLabel"], 1);
                Assert.Equal(a.Length, b.Length);
                Assert.All(Enumerable.Range(0, a.Length), i => Assert.True(a[i] == b[i] || score[i] == 0, $"row {i}"));
                break;
            case MlpTask.MulticlassClassification:
                Assert.Equal(ours.Schema["Score"].Type, theirs.Schema["Score"].Type);
                Assert.Equal(ours.Schema["Label"].Type, theirs.Schema["Label"].Type);
                var key = (KeyDataViewType)ours.Schema["PredictedLabel"].Type;
                Assert.Equal(new VectorDataViewType(key, 1), theirs.Schema["PredictedLabel"].Type);
                Assert.Equal(KeyValues(ours.Schema["PredictedLabel"]), KeyValues(theirs.Schema["PredictedLabel"]));
                Assert.Equal(ours.GetColumn<uint>("PredictedLabel").ToArray(), Ort.Values<uint>(theirs, theirs.Schema["PredictedLabel"], 1));
                break;
            default:
                Assert.Equal(one, theirs.Schema["Score"].Type);
                break;
        }
    }

    private static void AssertSameMetrics(MLContext ml, MlpTask task, IDataView ours, MLContext fresh, IDataView theirs)
    {
        switch (task)
        {
            case MlpTask.BinaryClassification:
                CalibratedBinaryClassificationMetrics a = ml.BinaryClassification.Evaluate(ours, labelColumnName: "BinaryLabel");
                CalibratedBinaryClassificationMetrics b = fresh.BinaryClassification.Evaluate(Scalars.Binary(fresh, theirs), labelColumnName: "BinaryLabel");
                Assert.Equal(a.Accuracy, b.Accuracy);
                Assert.Equal(a.AreaUnderRocCurve, b.AreaUnderRocCurve, 6);
                Assert.Equal(a.LogLoss, b.LogLoss, 5);
                break;
            case MlpTask.MulticlassClassification:
                MulticlassClassificationMetrics c = ml.MulticlassClassification.Evaluate(ours);
                MulticlassClassificationMetrics d = fresh.MulticlassClassification.Evaluate(theirs);
                Assert.Equal(c.MacroAccuracy, d.MacroAccuracy);
                Assert.Equal(c.LogLoss, d.LogLoss, 5);
                break;
            default:
                RegressionMetrics e = ml.Regression.Evaluate(ours, labelColumnName: "RegressionLabel");
                RegressionMetrics f = fresh.Regression.Evaluate(Scalars.Regression(fresh, theirs), labelColumnName: "RegressionLabel");
                Assert.Equal(e.RootMeanSquaredError, f.RootMeanSquaredError, 4);
                Assert.Equal(e.RSquared, f.RSquared, 5);
                break;
        }
    }

    private static string[] KeyValues(DataViewSchema.Column column)
    {
        var values = default(VBuffer<ReadOnlyMemory<char>>);
        column.Annotations.GetValue("KeyValues", ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }
}
