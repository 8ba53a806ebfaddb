using System;
using System.IO;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>The output head: one per task, asked by the data set, the model, the predictor and the serializer.</summary>
public class OutputHeadTests
{
    [Fact]
    public void TwoClassesDefaultToOneLogisticOutputAsScikitLearn()
    {
        MlpDataset data = Synthetic.Blobs(seed: 1, rows: 60, features: 3, classes: 2, separation: 3);
        Assert.Equal(MlpTask.BinaryClassification, data.Task);
        Assert.Equal(1, data.OutputCount);
    }

    [Fact]
    public void TwoClassesWithTheMulticlassHeadTrainTwoSoftmaxOutputsAndRoundTrip()
    {
        MlpDataset blobs = Synthetic.Blobs(seed: 2, rows: 200, features: 3, classes: 2, separation: 3);
        MlpDataset data = MlpDataset.ForClassification(blobs.Features, 3, blobs.Labels!, 2, null, MlpTask.MulticlassClassification);
        Assert.Equal(2, data.OutputCount);
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [6], Seed = 3, MaxEpochs = 400, BatchSize = 20 }).Fit(data);
        Assert.Equal(MlpTask.MulticlassClassification, model.Task);
        Assert.Equal(2, model.OutputCount);
        Assert.Equal(2, model.ClassCount);
        Assert.True(Synthetic.Accuracy(model, data) > 0.9);

        MlpPredictor predictor = model.CreatePredictor();
        var probabilities = new float[2];
        var logits = new float[2];
        for (int row = 0; row < data.RowCount; row++)
        {
            ReadOnlySpan<float> x = data.Features.AsSpan(row * 3, 3);
            predictor.PredictProbabilities(x, probabilities);
            predictor.ComputeScores(x, logits);
            Assert.Equal(1.0, probabilities[0] + probabilities[1], 1e-6);
            Assert.Equal(1.0 / (1 + Math.Exp(logits[0] - logits[1])), probabilities[1], 1e-6);
            Assert.Equal(probabilities[1] > probabilities[0] ? 1 : 0, predictor.PredictClass(x));
        }

        using var stream = new MemoryStream();
        MlpModelSerializer.Save(model, stream);
        stream.Position = 0;
        MlpModel loaded = MlpModelSerializer.Load(stream);
        Assert.Equal(MlpTask.MulticlassClassification, loaded.Task);
        Assert.Equal(Synthetic.Scores(model, data), Synthetic.Scores(loaded, data));
    }

    [Fact]
    public void ABinaryHeadRejectsThreeClassesAndARegressionHeadRejectsClasses()
    {
        MlpDataset blobs = Synthetic.Blobs(seed: 4, rows: 30, features: 3, classes: 3, separation: 3);
        var binary = Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForClassification(blobs.Features, 3, blobs.Labels!, 3, null, MlpTask.BinaryClassification));
        Assert.Contains("BinaryClassification head cannot classify classCount = 3", binary.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForClassification(blobs.Features, 3, blobs.Labels!, 3, null, MlpTask.Regression));
        MlpModel regression = MlpModel.FromParameters(MlpTask.Regression, 1, [], 1, Activation.Identity, [1f, 0f]);
        Assert.Throws<InvalidOperationException>(() => regression.CreatePredictor().PredictClass([1f]));
    }
}
