using System;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Adam's moments overflowing float32 stop every step without making a weight non-finite: the loss freezes and
/// training used to "succeed". It is divergence, reported as such with advice.
/// </summary>
public class DivergenceTests
{
    private static MlpDataset Blobs(float featureScale, float weight)
    {
        MlpDataset blobs = Synthetic.Blobs(seed: 5, rows: 120, features: 4, classes: 2, separation: 3);
        float[] x = Array.ConvertAll(blobs.Features, v => v * featureScale);
        float[]? weights = weight == 1 ? null : new float[blobs.RowCount];
        weights?.AsSpan().Fill(weight);
        return MlpDataset.ForClassification(x, 4, blobs.Labels!, 2, weights);
    }

    [Theory]
    [InlineData(1e22f, 1f, 1e-4)]
    [InlineData(1f, 1e22f, 1e-4)]
    [InlineData(1f, 1f, 1e30)]
    public void OverflowingAdamMomentsAreDivergenceNotSuccess(float featureScale, float weight, double l2)
    {
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [8], L2Regularization = l2, MaxEpochs = 20, Seed = 1 });
        var error = Assert.Throws<MlpDivergenceException>(() => trainer.Fit(Blobs(featureScale, weight)));
        Assert.Contains("Adam's running average of the squared gradient overflowed float32", error.Message, StringComparison.Ordinal);
        Assert.Contains("Standardize the features", error.Message, StringComparison.Ordinal);
    }
}
