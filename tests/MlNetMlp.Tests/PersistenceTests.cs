using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>Saving whole fitted pipelines with MLP models and loading them in a fresh context.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mlnetmlp-tests-" + Guid.NewGuid().ToString("N"));

    public PersistenceTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void BinaryPipelineReloadsWithBitIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(SampleData.BreastCancer(ml), testFraction: 0.2, seed: 1);
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [64, 32], maximumNumberOfIterations: 30))
            .Fit(split.TrainSet);
        string path = Path.Combine(_folder, "cancer.zip");
        ml.Model.SaveWithMlp(model, split.TrainSet.Schema, path);

        var fresh = new MLContext(seed: 99);
        ITransformer loaded = fresh.Model.LoadWithMlp(path, out DataViewSchema schema);
        Assert.Equal(split.TrainSet.Schema.Select(c => (c.Name, c.Type)), schema.Select(c => (c.Name, c.Type)));
        IDataView test = SampleData.BreastCancer(fresh);
        Assert.Equal(model.Transform(test).GetColumn<float>("Score").ToArray(), loaded.Transform(test).GetColumn<float>("Score").ToArray());
        Assert.Equal(model.Transform(test).GetColumn<float>("Probability").ToArray(), loaded.Transform(test).GetColumn<float>("Probability").ToArray());

        var engine = fresh.Model.CreatePredictionEngine<CancerInput, CancerOutput>(loaded);
        float[] first = test.GetColumn<float[]>("Features").First();
        Assert.Equal(model.Transform(test).GetColumn<float>("Score").First(), engine.Predict(new CancerInput { Features = first }).Score);
    }

    [Fact]
    public void MulticlassPipelineWithKeysAndStagesAfterTheTrainerReloads()
    {
        var ml = new MLContext(seed: 2);
        IDataView data = SampleData.IrisColumns(ml);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [8], learningRate: 0.01, maximumNumberOfIterations: 50))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"))
            .Fit(data);
        using var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = new MLContext().Model.LoadWithMlp(stream, out _);
        IDataView before = model.Transform(data);
        IDataView after = loaded.Transform(data);
        Assert.Equal(before.GetColumn<float[]>("Score").SelectMany(s => s), after.GetColumn<float[]>("Score").SelectMany(s => s));
        Assert.Equal(before.GetColumn<string>("PredictedSpecies"), after.GetColumn<string>("PredictedSpecies"));
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        after.Schema["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(3, slotNames.Length);
    }

    [Fact]
    public void RegressionModelAloneReloads()
    {
        var ml = new MLContext(seed: 3);
        IDataView data = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(SampleData.Housing(ml)).Transform(SampleData.Housing(ml));
        MlpPredictionTransformer model = ml.Regression.Trainers.Mlp(ml, hiddenLayerSizes: [16], maximumNumberOfIterations: 20).Fit(data);
        string path = Path.Combine(_folder, "housing.zip");
        ml.Model.SaveWithMlp(model, data.Schema, path);
        ITransformer loaded = ml.Model.LoadWithMlp(path, out _);
        Assert.Equal(model.Transform(data).GetColumn<float>("Score"), loaded.Transform(data).GetColumn<float>("Score"));
        MlpPredictionTransformer reloaded = ((TransformerChain<ITransformer>)loaded).OfType<MlpPredictionTransformer>().Single();
        Assert.Equal(model.Model.LossCurve, reloaded.Model.LossCurve);
    }

    [Fact]
    public void MlNetSaveThrowsAndNamesTheApiToUse()
    {
        var ml = new MLContext(seed: 4);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2).Fit(data);
        var error = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, data.Schema, new MemoryStream()));
        Assert.Contains("SaveWithMlp", error.Message);
        Assert.Contains("LoadWithMlp", error.Message);
    }

    [Fact]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        var ml = new MLContext(seed: 5);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2).Fit(data);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.SaveWithMlp(model, data.Schema, path);
        byte[] before = File.ReadAllBytes(path);

        // A custom mapping without a registered contract cannot be saved by ML.NET: the save fails midway.
        var unsaveable = ml.Transforms.CustomMapping<CancerInput, ExtraColumn>((i, o) => o.Extra = 1f, contractName: null).Fit(data).Append(model);
        Assert.ThrowsAny<Exception>(() => ml.Model.SaveWithMlp(unsaveable, data.Schema, path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void SavingKeepsTheOriginalErrorAndTakesTheLongestValidName()
    {
        var ml = new MLContext(seed: 5);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2).Fit(data);

        // A missing folder: the error names it, not a temporary file that a cleanup failed to delete.
        string missing = Path.Combine(_folder, "missing");
        var error = Assert.Throws<DirectoryNotFoundException>(() => ml.Model.SaveWithMlp(model, data.Schema, Path.Combine(missing, "model.zip")));
        Assert.Contains($"the folder '{missing}' does not exist", error.Message);
        Assert.DoesNotContain(".tmp", error.Message);

        // A 255-character name, the longest file systems allow: the temporary name does not grow with it.
        string path = Path.Combine(_folder, new string('p', 251) + ".zip");
        ml.Model.SaveWithMlp(model, data.Schema, path);
        Assert.NotNull(ml.Model.LoadWithMlp(path, out _));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void DamagedPipelineFilesAreRejectedWithOurError()
    {
        var ml = new MLContext(seed: 6);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, stream);
        byte[] bytes = stream.ToArray();
        foreach (int cut in new[] { 0, 10, bytes.Length / 2, bytes.Length - 1 })
        {
            Assert.Throws<MlpModelFormatException>(() => ml.Model.LoadWithMlp(new MemoryStream(bytes, 0, cut), out _));
        }

        Assert.Throws<MlpModelFormatException>(() => ml.Model.LoadWithMlp(new MemoryStream(new byte[100]), out _));
    }

    /// <summary>
    /// Random byte flips anywhere in a saved pipeline (our entries, ML.NET's entries, the zip structure): every load
    /// either throws <see cref="MlpModelFormatException"/> or gives a pipeline that scores exactly like the original.
    /// </summary>
    [Fact]
    public void FlippedBytesInAPipelineFileNeverLoadAWrongModel()
    {
        var ml = new MLContext(seed: 7);
        IDataView data = SampleData.BreastCancer(ml);
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2))
            .Fit(data);
        using var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, stream);
        byte[] original = stream.ToArray();
        float[] expected = EndToEndTests.Scores(ml, model, data);
        var random = new Random(7);
        int rejected = 0;
        for (int trial = 0; trial < 150; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            int position = random.Next(damaged.Length);
            damaged[position] ^= (byte)(1 << random.Next(8));
            ITransformer loaded;
            try
            {
                loaded = ml.Model.LoadWithMlp(new MemoryStream(damaged), out _);
            }
            catch (MlpModelFormatException)
            {
                rejected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"Flipping byte {position} gave {e.GetType().Name}: {e.Message}");
                return;
            }

            Assert.True(expected.SequenceEqual(EndToEndTests.Scores(ml, loaded, data)), $"byte {position} of {damaged.Length} changed the scores without an error");
        }

        Assert.True(rejected > 0);
    }

    public sealed class ExtraColumn
    {
        public float Extra { get; set; }
    }
}
