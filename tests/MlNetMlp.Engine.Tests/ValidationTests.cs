using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>Every invalid setting and every bad data set is refused up front, with a message naming what and why.</summary>
public class ValidationTests
{
    public static IEnumerable<object[]> InvalidOptions()
    {
        static object[] Case(string name, object value, Action<MlpOptions> set) => [name, value, set];

        yield return Case("L2Regularization", -1.0, o => o.L2Regularization = -1);
        yield return Case("L2Regularization", double.NaN, o => o.L2Regularization = double.NaN);
        yield return Case("L2Regularization", double.PositiveInfinity, o => o.L2Regularization = double.PositiveInfinity);
        yield return Case("BatchSize", -1, o => o.BatchSize = -1);
        yield return Case("MaxEpochs", 0, o => o.MaxEpochs = 0);
        yield return Case("MaxEpochs", -3, o => o.MaxEpochs = -3);
        yield return Case("OptimizationTolerance", -1e-4, o => o.OptimizationTolerance = -1e-4);
        yield return Case("OptimizationTolerance", double.NaN, o => o.OptimizationTolerance = double.NaN);
        yield return Case("EpochsWithoutImprovement", 0, o => o.EpochsWithoutImprovement = 0);
        yield return Case("ValidationFraction", 0.0, o => o.ValidationFraction = 0);
        yield return Case("ValidationFraction", 1.0, o => o.ValidationFraction = 1);
        yield return Case("ValidationFraction", -0.1, o => o.ValidationFraction = -0.1);
        yield return Case("ValidationFraction", double.NaN, o => o.ValidationFraction = double.NaN);
        yield return Case("NumberOfThreads", -1, o => o.NumberOfThreads = -1);
        yield return Case("NumberOfThreads", -2, o => o.NumberOfThreads = -2);
        yield return Case("LeakyReluSlope", 0f, o => o.LeakyReluSlope = 0);
        yield return Case("LeakyReluSlope", 1f, o => o.LeakyReluSlope = 1);
        yield return Case("LeakyReluSlope", -0.5f, o => o.LeakyReluSlope = -0.5f);
        yield return Case("LeakyReluSlope", 1.5f, o => o.LeakyReluSlope = 1.5f);
        yield return Case("LeakyReluSlope", float.NaN, o => o.LeakyReluSlope = float.NaN);
        yield return Case("EluAlpha", 0f, o => o.EluAlpha = 0);
        yield return Case("EluAlpha", float.PositiveInfinity, o => o.EluAlpha = float.PositiveInfinity);
        yield return Case("Activation", 42, o => o.Activation = (Activation)42);
        yield return Case("HiddenLayerSizes", 0, o => o.HiddenLayerSizes = [0]);
        yield return Case("HiddenLayerSizes", -3, o => o.HiddenLayerSizes = [10, -3]);
        yield return Case("HiddenLayerSizes", MlpOptions.MaxLayerWidth + 1, o => o.HiddenLayerSizes = [MlpOptions.MaxLayerWidth + 1]);
        yield return Case("LearningRate", 0.0, o => o.Solver = new AdamSolver { LearningRate = 0 });
        yield return Case("LearningRate", double.NaN, o => o.Solver = new SgdSolver { LearningRate = double.NaN });
        yield return Case("Beta1", 1.0, o => o.Solver = new AdamSolver { Beta1 = 1 });
        yield return Case("Beta1", -0.1, o => o.Solver = new AdamSolver { Beta1 = -0.1 });
        yield return Case("Beta2", 1.0, o => o.Solver = new AdamSolver { Beta2 = 1 });
        yield return Case("Epsilon", -1e-8, o => o.Solver = new AdamSolver { Epsilon = -1e-8 });
        yield return Case("Epsilon", 0.0, o => o.Solver = new AdamSolver { Epsilon = 0 });
        yield return Case("Epsilon", 1e-50, o => o.Solver = new AdamSolver { Epsilon = 1e-50 }); // 0 in float32
        yield return Case("Epsilon", 1e300, o => o.Solver = new AdamSolver { Epsilon = 1e300 }); // +Infinity in float32: every step 0
        yield return Case("LearningRate", 1e300, o => o.Solver = new AdamSolver { LearningRate = 1e300 });
        yield return Case("LearningRate", 1e-50, o => o.Solver = new SgdSolver { LearningRate = 1e-50 }); // 0 in float32
        yield return Case("Beta2", 0.99999999, o => o.Solver = new AdamSolver { Beta2 = 0.99999999 }); // 1 in float32
        yield return Case("Beta1", 0.999999999, o => o.Solver = new AdamSolver { Beta1 = 0.999999999 });
        yield return Case("Momentum", 0.999999999, o => o.Solver = new SgdSolver { Momentum = 0.999999999 });
        yield return Case("L2Regularization", 1e300, o => o.L2Regularization = 1e300);
        yield return Case("Momentum", 1.0, o => o.Solver = new SgdSolver { Momentum = 1 });
        yield return Case("Momentum", -0.5, o => o.Solver = new SgdSolver { Momentum = -0.5 });
        yield return Case("InverseScalingExponent", -1.0, o => o.Solver = new SgdSolver { InverseScalingExponent = -1 });
        yield return Case("Schedule", 9, o => o.Solver = new SgdSolver { Schedule = (LearningRateSchedule)9 });
        yield return Case("MaxFunctionEvaluations", 0, o => o.Solver = new LbfgsSolver { MaxFunctionEvaluations = 0 });
        yield return Case("HistorySize", 0, o => o.Solver = new LbfgsSolver { HistorySize = 0 });
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionIsRejectedNamingItAndItsValue(string name, object value, Action<MlpOptions> set)
    {
        var options = new MlpOptions();
        set(options);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options));
        Assert.Equal(name, error.ParamName);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        // "got -1" (or, for a hidden layer, "HiddenLayerSizes[1] is -3"), and not as part of a longer number.
        Assert.Matches($@"(got|is) {Regex.Escape($"{value}")}(\D|$)", error.Message);
    }

    [Fact]
    public void AdamEpsilonDownToTheSmallestFloatTrainsWithoutNaN()
    {
        // A constant feature and no L2 give some weights an exactly zero gradient: their Adam step is 0 / (0 + eps).
        MlpDataset data = MlpDataset.ForClassification(
            Enumerable.Range(0, 40).SelectMany(i => new[] { (float)Math.Sin(i), 0f }).ToArray(), 2, Enumerable.Range(0, 40).Select(i => Math.Sin(i) > 0 ? 1 : 0).ToArray(), 2);
        var options = new MlpOptions { HiddenLayerSizes = [3], L2Regularization = 0, Seed = 1, MaxEpochs = 3, Solver = new AdamSolver { Epsilon = 1e-45 } };
        MlpModel model = new MlpTrainer(options).Fit(data);
        Assert.All(model.GetParameters(), p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void NullOptionsAreRejectedByName()
    {
        Assert.Equal("HiddenLayerSizes", Assert.Throws<ArgumentNullException>(() => new MlpTrainer(new MlpOptions { HiddenLayerSizes = null! })).ParamName);
        Assert.Equal("Solver", Assert.Throws<ArgumentNullException>(() => new MlpTrainer(new MlpOptions { Solver = null! })).ParamName);
        Assert.Throws<ArgumentNullException>(() => new MlpTrainer(null!));
    }

    [Fact]
    public void NoHiddenLayerIsValid()
    {
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [], Seed = 1, MaxEpochs = 2 }).Fit(Synthetic.Blobs(1, 20, 3, 2, 2));
        Assert.Empty(model.HiddenLayerSizes);
    }

    [Fact]
    public void TheTrainerKeepsItsOwnCopyOfTheOptions()
    {
        var options = new MlpOptions { HiddenLayerSizes = [4], Seed = 1 };
        var trainer = new MlpTrainer(options);
        options.HiddenLayerSizes[0] = -1;
        options.MaxEpochs = 0;
        ((AdamSolver)options.Solver).Beta1 = 5;
        Assert.Equal([4], trainer.Options.HiddenLayerSizes);
        Assert.Equal(200, trainer.Options.MaxEpochs);
        Assert.Equal(0.9, ((AdamSolver)trainer.Options.Solver).Beta1);
    }

    [Theory]
    [InlineData(new[] { 1 << 20, 1 << 20 }, "1048576, 1048576")]
    [InlineData(new[] { 100_000, 100_000 }, "100000, 100000")]
    [InlineData(new[] { 1 << 20, 1 << 20, 1 << 20 }, "1048576, 1048576, 1048576")]
    public void AbsurdLayerSizesAreRejectedBeforeAllocating(int[] hidden, string shown)
    {
        MlpDataset data = Synthetic.Blobs(1, 40, 5, 2, 2);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = hidden, Seed = 1 });
        foreach (Func<MlpModel> fit in new Func<MlpModel>[] { () => trainer.Fit(data), () => trainer.PartialFit(data) })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<ArgumentOutOfRangeException>(fit);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("HiddenLayerSizes", error.ParamName);
            Assert.Contains($"[{shown}]", error.Message, StringComparison.Ordinal);
            Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes before refusing");
        }
    }

    [Fact]
    public void AValidationFractionThatLeavesNoTrainingRowIsRejectedAtFit()
    {
        // ceil(0.9 * 3) = 3 rows would be held out. (Any fraction in (0, 1) holds out at least one row, so the
        // fraction cannot leave the validation part empty; it can leave the training part empty.)
        MlpDataset tiny = MlpDataset.ForClassification([0f, 1f, 2f], 1, [0, 1, 0], 2);
        var trainer = new MlpTrainer(new MlpOptions { EarlyStopping = true, ValidationFraction = 0.9, HiddenLayerSizes = [2], Seed = 1 });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(tiny));
        Assert.Equal("ValidationFraction", error.ParamName);
        Assert.Contains("ValidationFraction = 0.9 of 3 rows", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 training rows", error.Message, StringComparison.Ordinal);

        // A single row cannot be split at all.
        MlpDataset one = MlpDataset.ForRegression([0f], 1, [1f]);
        var single = new MlpTrainer(new MlpOptions { EarlyStopping = true, ValidationFraction = 0.01, HiddenLayerSizes = [2], Seed = 1 });
        Assert.Equal("ValidationFraction", Assert.Throws<ArgumentOutOfRangeException>(() => single.Fit(one)).ParamName);

        // Without early stopping the same fraction is unused, and training goes ahead.
        Assert.Equal(1, new MlpTrainer(new MlpOptions { ValidationFraction = 0.9, HiddenLayerSizes = [2], Seed = 1, MaxEpochs = 1 }).Fit(tiny).EpochsRun);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteFeatureIsRejectedNamingRowAndFeature(float bad)
    {
        float[] x = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        x[(2 * 4) + 1] = bad;
        var error = Assert.Throws<ArgumentException>(() => MlpDataset.ForClassification(x, 4, [0, 1, 0], 2));
        Assert.Equal("features", error.ParamName);
        Assert.Contains($"Feature 1 of row 2 is {bad}", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression(x, 4, [0f, 1f, 2f]));
        Assert.Contains($"Feature 1 of row 2 is {bad}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void LabelOutOfRangeIsRejected(int label)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForClassification(new float[6], 2, [0, label, 1], 2));
        Assert.Equal("labels", error.ParamName);
        Assert.Contains($"Label of row 1 is {label}", error.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadTargetsWeightsAndShapesAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression(new float[4], 1, [0f, 1f, float.NaN, 3f, 4f, 5f, 6f, 7f], 2));
        Assert.Contains("Target of row 1 (target 0) is NaN", error.Message, StringComparison.Ordinal);

        var weight = Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForClassification(new float[3], 1, [0, 1, 0], 2, [1f, -1f, 1f]));
        Assert.Equal("weights", weight.ParamName);
        Assert.Contains("Weight of row 1 is -1", weight.Message, StringComparison.Ordinal);
        Assert.Contains("Weight of row 0 is NaN", Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForRegression(new float[2], 1, [1f, 2f], 1, [float.NaN, 1f])).Message, StringComparison.Ordinal);
        Assert.Contains("Every example weight is 0", Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression(new float[2], 1, [1f, 2f], 1, [0f, 0f])).Message, StringComparison.Ordinal);
        Assert.Contains("weights has 1 values", Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression(new float[2], 1, [1f, 2f], 1, [1f])).Message, StringComparison.Ordinal);

        Assert.Contains("no rows", Assert.Throws<ArgumentException>(() => MlpDataset.ForClassification([], 3, [], 2)).Message, StringComparison.Ordinal);
        Assert.Contains("no rows", Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression([], 3, [])).Message, StringComparison.Ordinal);
        Assert.Equal("featureCount", Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForRegression(new float[3], 0, [1f])).ParamName);
        Assert.Contains("not a whole number of rows", Assert.Throws<ArgumentException>(() => MlpDataset.ForRegression(new float[7], 3, [1f, 2f])).Message, StringComparison.Ordinal);
        Assert.Contains("labels has 2 values", Assert.Throws<ArgumentException>(() => MlpDataset.ForClassification(new float[6], 2, [0, 1], 2)).Message, StringComparison.Ordinal);
        Assert.Equal("classCount", Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForClassification(new float[2], 1, [0, 0], 1)).ParamName);
        Assert.Equal("targetCount", Assert.Throws<ArgumentOutOfRangeException>(() => MlpDataset.ForRegression(new float[2], 1, [0f, 0f], 0)).ParamName);
    }

    [Fact]
    public void SingleClassTrainingDataIsRejectedByFit()
    {
        MlpDataset data = MlpDataset.ForClassification(new float[8], 2, [1, 1, 1, 1], 2);
        var error = Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpOptions { Seed = 1 }).Fit(data));
        Assert.Contains("Every training row has class 1", error.Message, StringComparison.Ordinal);

        // PartialFit takes one batch at a time, and a batch of one class is legitimate there (scikit-learn's partial_fit too).
        Assert.Equal(1, new MlpTrainer(new MlpOptions { Seed = 1, HiddenLayerSizes = [2] }).PartialFit(data).EpochsRun);
    }

    [Fact]
    public void PredictionChecksTheWidthOfEveryBuffer()
    {
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [3], Seed = 1, MaxEpochs = 1 }).Fit(Synthetic.Blobs(1, 30, 4, 3, 2));
        MlpPredictor predictor = model.CreatePredictor();
        var error = Assert.Throws<ArgumentException>(() => predictor.ComputeScores(new float[3], new float[3]));
        Assert.Equal("features", error.ParamName);
        Assert.Contains("expects 4 features; features has 3", error.Message, StringComparison.Ordinal);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => predictor.ComputeScores(new float[4], new float[2])).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => predictor.ComputeScores(new float[9], 2, new float[6])).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => predictor.ComputeScores(new float[8], -2, new float[6])).ParamName);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => predictor.ComputeScores(new float[8], 2, new float[5])).ParamName);
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => predictor.ComputeScores(new float[8], 2, new float[6], threads: 0)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => predictor.PredictProbabilities(new float[4], new float[2])).ParamName);
        Assert.Throws<ArgumentException>(() => predictor.PredictClass(new float[5]));

        MlpModel regression = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [3], Seed = 1, MaxEpochs = 1 }).Fit(Synthetic.Linear(1, 20, 2, 1, 0));
        Assert.Throws<InvalidOperationException>(() => regression.CreatePredictor().PredictClass(new float[2]));
        Assert.Throws<InvalidOperationException>(() => regression.CreatePredictor().PredictProbabilities(new float[2], new float[2]));
    }

    [Fact]
    public void BlockScoringSizeChecksDoNotOverflow()
    {
        // 429,497 rows x 10,000 outputs wraps to 2,704 in int32: the check must see the true product and refuse.
        MlpModel model = MlpModel.FromParameters(MlpTask.MulticlassClassification, 1, [], 10_000, Activation.Identity, new float[20_000]);
        var error = Assert.Throws<ArgumentException>(() => model.CreatePredictor().ComputeScores(new float[429_497], 429_497, new float[2_704]));
        Assert.Equal("scores", error.ParamName);
        Assert.Contains("4294970000", error.Message.Replace(",", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void WarmStartWithAModelOfAnotherShapeIsRejected()
    {
        MlpDataset data = Synthetic.Blobs(1, 40, 4, 3, 2);
        var options = new MlpOptions { HiddenLayerSizes = [5], Seed = 1, MaxEpochs = 1 };
        MlpModel model = new MlpTrainer(options).Fit(data);

        var otherLayers = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [6], Seed = 1, MaxEpochs = 1 });
        var error = Assert.Throws<ArgumentException>(() => otherLayers.Fit(data, model));
        Assert.Contains("[5]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[6]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => otherLayers.PartialFit(data, model));

        var otherActivation = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [5], Activation = Activation.Tanh, Seed = 1, MaxEpochs = 1 });
        Assert.Contains("Tanh", Assert.Throws<ArgumentException>(() => otherActivation.Fit(data, model)).Message, StringComparison.Ordinal);

        var trainer = new MlpTrainer(options);
        MlpDataset moreFeatures = Synthetic.Blobs(1, 40, 5, 3, 2);
        Assert.Contains("4 features", Assert.Throws<ArgumentException>(() => trainer.Fit(moreFeatures, model)).Message, StringComparison.Ordinal);
        MlpDataset fewerClasses = Synthetic.Blobs(1, 40, 4, 2, 2);
        Assert.Contains("BinaryClassification", Assert.Throws<ArgumentException>(() => trainer.Fit(fewerClasses, model)).Message, StringComparison.Ordinal);
        MlpDataset regression = Synthetic.Linear(1, 40, 4, 3, 0);
        Assert.Contains("Regression", Assert.Throws<ArgumentException>(() => trainer.PartialFit(regression, model)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialFitRefusesLbfgs()
    {
        var trainer = new MlpTrainer(new MlpOptions { Solver = new LbfgsSolver(), Seed = 1 });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.PartialFit(Synthetic.Blobs(1, 10, 2, 2, 2)));
        Assert.Contains("L-BFGS", error.Message, StringComparison.Ordinal);
    }
}
