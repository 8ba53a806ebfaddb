using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>The seed workflows on real data, through ML.NET's own loaders, transforms and evaluators.</summary>
public class EndToEndTests
{
    [Fact]
    public void BreastCancerReachesAccuracyAndAuc()
    {
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(Data.BreastCancer(ml), testFraction: 0.2, seed: 1);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [64, 32]));
        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        Assert.True(metrics.Accuracy >= 0.96, $"accuracy {metrics.Accuracy}");
        Assert.True(metrics.AreaUnderRocCurve >= 0.99, $"AUC {metrics.AreaUnderRocCurve}");
        Assert.True(metrics.LogLoss < 0.2, $"log-loss {metrics.LogLoss}");
        Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.NotEmpty(model.LastTransformer.Model.LossCurve);
    }
}
