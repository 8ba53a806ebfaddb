using System;
using System.IO;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// The tabular recipe's parts in the engine: input scaling, target standardization and piecewise-linear encoding
/// are exact rewrites of the network (the folded model on raw data computes what the trained one computed on the
/// transformed data, so backpropagation, its gradient check and the model format need nothing new); decoupled
/// weight decay and the learning-rate curve do what their formulas say; everything is deterministic across thread
/// counts and survives a save and load.
/// </summary>
public class TabularRecipeTests
{
    [Theory]
    [InlineData(InputScaling.Standard)]
    [InlineData(InputScaling.Robust)]
    public void FoldedInputScalingOnRawFeaturesEqualsTheNetworkOnScaledFeatures(InputScaling scaling)
    {
        MlpDataset raw = Skewed(seed: 3, rows: 200, features: 5);
        MlpModel network = RandomModel(MlpTask.BinaryClassification, [5, 9, 4, 1], seed: 4);
        InputScaler scaler = InputScaler.Fit(raw, scaling);
        float[] onScaled = Synthetic.Scores(network, scaler.Scale(raw));

        float[] folded = network.GetParameters();
        scaler.Fold(network.Layout, folded);
        float[] onRaw = Synthetic.Scores(Like(network, folded), raw);
        AssertClose(onScaled, onRaw, 2e-4);

        // Unfold is Fold's inverse, except that the constant last feature was dropped: its weights come back as 0.
        scaler.Unfold(network.Layout, folded);
        float[] expected = network.GetParameters();
        network.Layout.Weights(expected.AsSpan(), 0).Slice(4 * 9, 9).Clear();
        Assert.All(network.Layout.Weights(folded.AsSpan(), 0).Slice(4 * 9, 9).ToArray(), w => Assert.Equal(0f, w));
        AssertClose(expected, folded, 2e-4);
    }

    [Fact]
    public void RobustScalingCentresOnTheMedianAndScalesByTheInterquartileRange()
    {
        // One feature 0..99 with an outlier, one 90% zeros (quartiles coincide: half the range is used), one constant.
        const int rows = 101;
        var x = new float[rows * 3];
        for (int i = 0; i < rows; i++)
        {
            x[i * 3] = i == 100 ? 1e6f : i;
            x[(i * 3) + 1] = i % 10 == 0 ? 4 : 0;
            x[(i * 3) + 2] = 7;
        }

        MlpDataset data = MlpDataset.ForRegression(x, 3, new float[rows]);
        MlpDataset scaled = InputScaler.Fit(data, InputScaling.Robust).Scale(data);

        // Median 50, quartiles 25 and 75: (x - 50) * 1.349 / 50; the outlier does not move the others.
        Assert.Equal(0, scaled.Features[50 * 3], 5);
        Assert.Equal(1.3489795 / 2, scaled.Features[75 * 3], 4);
        Assert.Equal(2, scaled.Features[1], 5);
        Assert.Equal(0, scaled.Features[(1 * 3) + 1], 5);
        Assert.Equal(0, scaled.Features[2], 5);
    }

    [Fact]
    public void FoldedTargetStandardizationMapsPredictionsBackToTheLabelsUnits()
    {
        MlpDataset data = Synthetic.Linear(seed: 5, rows: 120, features: 4, targets: 2, noise: 0.1);
        var shifted = (float[])data.Targets!.Clone();
        for (int i = 0; i < shifted.Length; i++)
        {
            shifted[i] = (shifted[i] * (i % 2 == 0 ? 300 : 0.01f)) + (i % 2 == 0 ? 1000 : -3);
        }

        MlpDataset labels = MlpDataset.ForRegression(data.Features, 4, shifted, 2);
        MlpModel network = RandomModel(MlpTask.Regression, [4, 6, 2], seed: 6);
        TargetScaler scaler = TargetScaler.Fit(labels);
        float[] standardized = Synthetic.Scores(network, labels);

        float[] folded = network.GetParameters();
        scaler.Fold(network.Layout, folded);
        float[] inUnits = Synthetic.Scores(Like(network, folded), labels);
        MlpDataset back = scaler.Scale(MlpDataset.ForRegression(data.Features, 4, inUnits, 2));
        AssertClose(standardized, back.Targets!, 1e-3);

        scaler.Unfold(network.Layout, folded);
        AssertClose(network.GetParameters(), folded, 1e-4);
    }

    [Theory]
    [InlineData(4, "binary")]
    [InlineData(16, "multiclass")]
    [InlineData(3, "regression")]
    public void ComposedEncodingOnRawFeaturesEqualsTheNetworkOnEncodedFeatures(int bins, string task)
    {
        // Skewed columns, a one-hot-like column and a constant; test rows reach beyond the training range.
        MlpDataset train = Skewed(seed: 7, rows: 300, features: 6, task);
        var encoder = PiecewiseLinearEncoder.Fit(train, bins);
        MlpDataset encoded = encoder.Encode(train);
        Assert.True(encoded.FeatureCount > 6);
        MlpModel network = RandomModel(train.Task, [encoded.FeatureCount, 8, train.OutputCount], seed: 8);
        MlpModel composed = encoder.Compose(network);
        Assert.Equal(6, composed.InputCount);
        Assert.Equal(Activation.Relu, composed.Activation);

        MlpDataset test = Skewed(seed: 9, rows: 100, features: 6, task, spread: 3);
        AssertClose(Synthetic.Scores(network, encoder.Encode(test)), Synthetic.Scores(composed, test), 1e-4);
    }

    [Fact]
    public void EncodingClampsInsideBinsAndExtrapolatesAtTheEnds()
    {
        // Distinct values 0..4 with 8 bins allowed: the values themselves are the edges, 4 unit-wide bins.
        float[] x = [0, 1, 2, 3, 4];
        MlpDataset data = MlpDataset.ForRegression(x, 1, new float[5]);
        var encoder = PiecewiseLinearEncoder.Fit(data, 8);
        Assert.Equal(4, encoder.Width);
        MlpDataset probe = MlpDataset.ForRegression([-1f, 2.5f, 6f], 1, new float[3]);
        float[] e = encoder.Encode(probe).Features;

        // -1: first bin extrapolates below (-1), the rest 0; 2.5: 1, 1, 0.5, 0; 6: 1, 1, 1, then 3 in the last bin.
        Assert.Equal([-1f, 0, 0, 0, 1, 1, 0.5f, 0, 1, 1, 1, 3], e);
    }

    [Fact]
    public void DecoupledWeightDecayShrinksTheWeightsNotTheBiasesAfterTheStep()
    {
        MlpDataset data = Synthetic.Blobs(1, 64, 4, 2, 2);
        MlpOptions plain = new() { HiddenLayerSizes = [5], MaxEpochs = 1, BatchSize = 64, Seed = 2, Shuffle = false, L2Regularization = 0, NumberOfThreads = 1 };
        MlpOptions decayed = plain.Clone();
        decayed.WeightDecay = 0.25;
        MlpModel a = new MlpTrainer(plain).Fit(data);
        MlpModel b = new MlpTrainer(decayed).Fit(data);

        // One Adam step, then W *= 1 - 0.001 * 0.25.
        const float keep = (float)(1 - (0.001 * 0.25));
        for (int l = 0; l < a.LayerCount; l++)
        {
            float[,] wa = a.GetWeights(l), wb = b.GetWeights(l);
            for (int i = 0; i < wa.GetLength(0); i++)
            {
                for (int j = 0; j < wa.GetLength(1); j++)
                {
                    Assert.Equal(wa[i, j] * keep, wb[i, j]);
                }
            }

            Assert.Equal(a.GetBiases(l), b.GetBiases(l));
        }
    }

    [Fact]
    public void LearningRateCurveWarmsUpLinearlyThenFollowsAHalfCosine()
    {
        var curve = new LearningRateCurve(LearningRateDecay.Cosine, 0.1, 100);
        Assert.Equal(0.1, curve.Factor(0), 12);
        Assert.Equal(1.0, curve.Factor(9), 12);
        Assert.Equal(1.0, curve.Factor(10), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 45 / 89)), curve.Factor(55), 12);
        Assert.True(curve.Factor(99) is > 0 and < 0.01);
        for (int s = 10; s < 99; s++)
        {
            Assert.True(curve.Factor(s + 1) <= curve.Factor(s));
        }

        Assert.True(new LearningRateCurve(LearningRateDecay.None, 0, 50).IsConstant);
        Assert.Equal(1.0, new LearningRateCurve(LearningRateDecay.None, 0.5, 10).Factor(7));
    }

    [Fact]
    public void CosineScheduleReachesTheOptimizerAndIsResetAfterTheFit()
    {
        MlpDataset data = Synthetic.Blobs(1, 100, 4, 2, 2);
        var rates = new System.Collections.Generic.List<double>();
        var options = new MlpOptions { HiddenLayerSizes = [4], Solver = new SgdSolver { LearningRate = 0.1 }, MaxEpochs = 10, BatchSize = 100, Seed = 1, LearningRateDecay = LearningRateDecay.Cosine, OptimizationTolerance = 0, EpochsWithoutImprovement = 100 };
        MlpModel model = new MlpTrainer(options).Fit(data, progress: r => rates.Add(r.LearningRate));

        // The report gives the rate the epoch started with: the previous step's, one step per epoch here.
        var curve = new LearningRateCurve(LearningRateDecay.Cosine, 0, 10);
        Assert.Equal(0.1, rates[0], 12);
        for (int e = 1; e < 10; e++)
        {
            Assert.Equal(0.1 * curve.Factor(e - 1), rates[e], 12);
        }

        Assert.Equal(1.0, model.OptimizerState!.RateScale);
    }

    [Fact]
    public void EarlyStoppingOnTheValidationLossKeepsTheEpochWithTheLowestLoss()
    {
        MlpDataset data = Synthetic.Blobs(4, 200, 6, 3, 1.0);
        var options = new MlpOptions { HiddenLayerSizes = [64], Seed = 3, MaxEpochs = 60, EarlyStopping = true, EarlyStoppingMetric = EarlyStoppingMetric.Loss, EpochsWithoutImprovement = 60, Solver = new AdamSolver { LearningRate = 0.02 } };
        MlpModel model = new MlpTrainer(options).Fit(data);
        double best = model.ValidationScores.Max();
        Assert.True(best < 0, "the score is minus the validation loss");
        Assert.Equal(best, model.History.BestValidationScore);

        // The noisy blobs overfit: the last epoch's validation loss is worse than the best, which was kept.
        Assert.True(model.ValidationScores[^1] < best);
    }

    [Fact]
    public void TheWholeRecipeIsBitIdenticalForOneAndTwoThreadsAndSurvivesASaveAndLoad()
    {
        MlpDataset data = Skewed(seed: 11, rows: 600, features: 40, "multiclass");
        MlpOptions one = Recipe();
        one.NumberOfThreads = 1;
        MlpOptions two = one.Clone();
        two.NumberOfThreads = 2;
        MlpModel single = new MlpTrainer(one).Fit(data);
        MlpModel parallel = new MlpTrainer(two).Fit(data);
        SerializerTests.AssertSameModel(single, parallel);

        var stream = new MemoryStream();
        MlpModelSerializer.Save(single, stream);
        stream.Position = 0;
        MlpModel loaded = MlpModelSerializer.Load(stream);
        SerializerTests.AssertSameModel(single, loaded);
        Assert.Equal(Synthetic.Bits(Synthetic.Scores(single, data)), Synthetic.Bits(Synthetic.Scores(loaded, data)));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(8, 2)]
    [InlineData(8, 0)]
    public void AnEnsembleOutputsTheMeanOfItsMembersOutputs(int bins, int hiddenLayers)
    {
        MlpDataset data = Skewed(seed: 14, rows: 240, features: 5, "multiclass");
        var options = new MlpOptions { HiddenLayerSizes = [.. Enumerable.Repeat(12, hiddenLayers)], Seed = 20, MaxEpochs = 5, PiecewiseLinearBins = bins, InputScaling = InputScaling.Robust, EnsembleSize = 3 };
        MlpModel ensemble = new MlpTrainer(options).Fit(data);
        var mean = new float[data.RowCount * 3];
        for (int k = 0; k < 3; k++)
        {
            MlpOptions member = options.Clone();
            member.EnsembleSize = 1;
            member.Seed = 20 + k;
            float[] scores = Synthetic.Scores(new MlpTrainer(member).Fit(data), data);
            for (int i = 0; i < mean.Length; i++)
            {
                mean[i] += scores[i] / 3;
            }
        }

        AssertClose(mean, Synthetic.Scores(ensemble, data), 1e-4);

        // The encoding layer is the same in every member and kept once; the trained layers sit side by side.
        int[] expected = bins > 0 ? [ensemble.HiddenLayerSizes[0], .. Enumerable.Repeat(36, hiddenLayers)] : [.. Enumerable.Repeat(36, hiddenLayers)];
        Assert.Equal(expected, ensemble.HiddenLayerSizes);
        Assert.Contains("3 members averaged", ensemble.History.StopMessage);
    }

    [Fact]
    public void RegressionWithStandardizedTargetsPredictsInTheLabelsUnits()
    {
        MlpDataset data = Synthetic.Linear(seed: 12, rows: 400, features: 5, targets: 1, noise: 0.05);
        float[] y = data.Targets!.Select(v => (v * 250) + 5000).ToArray();
        var big = MlpDataset.ForRegression(data.Features, 5, y);
        var options = new MlpOptions { HiddenLayerSizes = [16], Seed = 1, MaxEpochs = 100, StandardizeTargets = true, InputScaling = InputScaling.Robust };
        MlpModel model = new MlpTrainer(options).Fit(big);
        float[] predicted = Synthetic.Scores(model, big);
        double mean = y.Average(), total = y.Sum(v => (v - mean) * (v - mean)), residual = y.Select((v, i) => (v - predicted[i]) * (double)(v - predicted[i])).Sum();
        Assert.True(1 - (residual / total) > 0.95, $"R² {1 - (residual / total):F3}");
    }

    [Fact]
    public void BadRecipeSettingsAreRejectedByName()
    {
        Assert.Equal("PiecewiseLinearBins", Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpOptions { PiecewiseLinearBins = 8, Activation = Activation.Tanh })).ParamName);
        Assert.Equal("PiecewiseLinearBins", Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { PiecewiseLinearBins = -1 })).ParamName);
        Assert.Equal("WeightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { WeightDecay = 1.5 })).ParamName);
        Assert.Equal("WarmupFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { WarmupFraction = 1 })).ParamName);
        Assert.Equal("InputScaling", Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { InputScaling = (InputScaling)9 })).ParamName);
        Assert.Equal("EnsembleSize", Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { EnsembleSize = 0 })).ParamName);

        MlpDataset data = Synthetic.Blobs(1, 50, 3, 2, 2);
        var scaling = new MlpTrainer(new MlpOptions { InputScaling = InputScaling.Robust, Seed = 1 });
        Assert.Contains("InputScaling", Assert.Throws<InvalidOperationException>(() => scaling.PartialFit(data)).Message);
        Assert.Contains("EnsembleSize", Assert.Throws<InvalidOperationException>(() => new MlpTrainer(new MlpOptions { EnsembleSize = 2 }).PartialFit(data)).Message);
        MlpModel single = new MlpTrainer(new MlpOptions { Seed = 1, MaxEpochs = 2 }).Fit(data);
        Assert.Contains("EnsembleSize", Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpOptions { EnsembleSize = 2, Seed = 1 }).Fit(data, single)).Message);
        var encoding = new MlpTrainer(new MlpOptions { PiecewiseLinearBins = 4, Seed = 1, MaxEpochs = 2 });
        MlpModel model = encoding.Fit(data);
        Assert.Contains("PiecewiseLinearBins", Assert.Throws<ArgumentException>(() => encoding.Fit(data, model)).Message);
    }

    [Fact]
    public void WarmStartWithScalingContinuesFromTheSameFunction()
    {
        MlpDataset data = Skewed(seed: 13, rows: 300, features: 4, "regression");
        var options = new MlpOptions { HiddenLayerSizes = [8], Seed = 1, MaxEpochs = 20, InputScaling = InputScaling.Robust, StandardizeTargets = true };
        MlpModel first = new MlpTrainer(options).Fit(data);

        // Zero epochs are not allowed; one epoch at a tiny rate barely moves: the continued model predicts (almost) the same.
        MlpOptions tiny = options.Clone();
        tiny.MaxEpochs = 1;
        tiny.Solver = new AdamSolver { LearningRate = 1e-9 };
        MlpModel continued = new MlpTrainer(tiny).Fit(data, first);
        AssertClose(Synthetic.Scores(first, data), Synthetic.Scores(continued, data), 1e-3);
        Assert.Equal(21, continued.EpochsRun);
    }

    private static MlpOptions Recipe() => new()
    {
        HiddenLayerSizes = [96, 64],
        Seed = 5,
        MaxEpochs = 6,
        BatchSize = 256,
        L2Regularization = 0,
        EarlyStopping = true,
        ValidationFraction = 0.2,
        EarlyStoppingMetric = EarlyStoppingMetric.Loss,
        PiecewiseLinearBins = 8,
        WeightDecay = 0.01,
        LearningRateDecay = LearningRateDecay.Cosine,
        WarmupFraction = 0.1,
        EnsembleSize = 2,
    };

    /// <summary>Log-normal columns (skewed, at very different scales), a 0/1 column and a constant one.</summary>
    private static MlpDataset Skewed(int seed, int rows, int features, string task = "binary", double spread = 1)
    {
        var random = new Random(seed);
        var x = new float[rows * features];
        var labels = new int[rows];
        var targets = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            double signal = 0;
            for (int j = 0; j < features; j++)
            {
                double g = spread * Synthetic.Gaussian(random);
                double v = j == features - 1 ? 3 : j == features - 2 ? (g > 0.5 ? 1 : 0) : Math.Exp(g) * Math.Pow(10, j % 4);
                x[(i * features) + j] = (float)v;
                signal += j < 3 ? g : 0;
            }

            labels[i] = task == "multiclass" ? (signal > 0.7 ? 2 : signal > -0.7 ? 1 : 0) : signal > 0 ? 1 : 0;
            targets[i] = (float)(signal + (0.1 * Synthetic.Gaussian(random)));
        }

        return task == "regression" ? MlpDataset.ForRegression(x, features, targets) : MlpDataset.ForClassification(x, features, labels, task == "multiclass" ? 3 : 2);
    }

    private static MlpModel RandomModel(MlpTask task, int[] sizes, int seed)
    {
        var random = new Random(seed);
        var p = new float[ParameterLayout.CountParameters(sizes)];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return MlpModel.FromParameters(task, sizes[0], sizes[1..^1], sizes[^1], Activation.Relu, p);
    }

    private static MlpModel Like(MlpModel model, float[] parameters) =>
        MlpModel.FromParameters(model.Task, model.InputCount, [.. model.HiddenLayerSizes], model.OutputCount, model.Activation, parameters);

    private static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(expected.Max(v => Math.Abs((double)v)), 1);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
