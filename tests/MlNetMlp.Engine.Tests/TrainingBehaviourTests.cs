using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>Stopping rules, schedules, warm start, PartialFit, progress, cancellation and divergence.</summary>
public class TrainingBehaviourTests
{
    [Fact]
    public void EarlyStoppingStopsAnEasyProblemBeforeMaxEpochs()
    {
        MlpDataset data = Synthetic.Blobs(5, 400, 4, 2, 5.0);
        var reports = new List<MlpEpochReport>();
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [8], EarlyStopping = true, Seed = 2 }).Fit(data, progress: reports.Add);

        Assert.True(model.EpochsRun < 200, $"ran {model.EpochsRun} epochs");
        Assert.Equal(model.EpochsRun, model.ValidationScores.Count);
        Assert.Equal(model.ValidationScores, reports.Select(r => r.ValidationScore!.Value));
        Assert.Equal(model.ValidationScores.Max(), model.History.BestValidationScore);
        Assert.Equal(MlpStopReason.NoImprovement, model.History.StopReason);
        Assert.True(model.History.Converged);
        Assert.Contains("validation score did not improve", model.History.StopMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStoppingReturnsTheWeightsOfTheBestValidationEpoch()
    {
        // Overlapping classes and a large SGD step make the validation accuracy wander, so the last epoch is not
        // the best one. Starting from given weights leaves the validation split as the first use of the seed, so
        // the test can draw the same rows.
        const int seed = 4;
        const double fraction = 0.2;
        MlpDataset data = Synthetic.Blobs(6, 300, 3, 2, 1.0);
        var initial = new float[(3 * 6) + (6 * 1) + 6 + 1];
        var random = new Random(1);
        for (int i = 0; i < initial.Length; i++)
        {
            initial[i] = (float)(random.NextDouble() - 0.5);
        }

        MlpModel start = MlpModel.FromParameters(MlpTask.BinaryClassification, 3, [6], 1, Activation.Relu, initial);
        var options = new MlpOptions
        {
            HiddenLayerSizes = [6],
            Solver = new SgdSolver { LearningRate = 0.5, Momentum = 0.9 },
            EarlyStopping = true,
            ValidationFraction = fraction,
            EpochsWithoutImprovement = 8,
            BatchSize = 16,
            Seed = seed,
        };
        MlpModel model = new MlpTrainer(options).Fit(data, start);

        (_, int[] validation) = ValidationSplit.Split(data, fraction, new SeededRandom(seed));
        double best = model.ValidationScores.Max();
        Assert.True(model.ValidationScores[^1] < best, "the last epoch must not be the best, or the test proves nothing");
        Assert.Equal(best, Synthetic.Accuracy(model, data, validation));
        Assert.Equal(best, model.History.BestValidationScore);
    }

    [Fact]
    public void EpochsWithoutImprovementStopsOnTheTrainingLoss()
    {
        // With a tolerance no epoch can beat, every epoch after the first counts as no improvement, and training
        // stops when the count passes EpochsWithoutImprovement: after 1 + (3 + 1) epochs, as in scikit-learn.
        MlpDataset data = Synthetic.Blobs(1, 100, 3, 2, 2.0);
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], OptimizationTolerance = 1e6, EpochsWithoutImprovement = 3, Seed = 1 }).Fit(data);
        Assert.Equal(5, model.EpochsRun);
        Assert.Equal(MlpStopReason.NoImprovement, model.History.StopReason);
        Assert.Contains("training loss did not improve by more than 1000000 for 3 consecutive epochs", model.History.StopMessage, StringComparison.Ordinal);

        // A tolerance of 0 on a loss that keeps falling never stops early.
        MlpModel patient = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], OptimizationTolerance = 0, EpochsWithoutImprovement = 3, MaxEpochs = 30, Seed = 1 }).Fit(data);
        Assert.Equal(30, patient.EpochsRun);
        Assert.Equal(MlpStopReason.MaximumIterations, patient.History.StopReason);
        Assert.False(patient.History.Converged);
        Assert.Contains("maximum of 30 epochs", patient.History.StopMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AdaptiveScheduleDividesTheRateByFiveOnEachStallAndStopsBelowOneMillionth()
    {
        MlpDataset data = Synthetic.Blobs(1, 100, 3, 2, 2.0);
        var reports = new List<MlpEpochReport>();
        var options = new MlpOptions
        {
            HiddenLayerSizes = [4],
            Solver = new SgdSolver { LearningRate = 0.1, Schedule = LearningRateSchedule.Adaptive },
            OptimizationTolerance = 1e6,
            EpochsWithoutImprovement = 2,
            Seed = 1,
        };
        MlpModel model = new MlpTrainer(options).Fit(data, progress: reports.Add);

        double[] rates = reports.Select(r => r.LearningRate).ToArray();
        Assert.Equal(0.1, rates[0]);
        for (int i = 1; i < rates.Length; i++)
        {
            Assert.True(rates[i] == rates[i - 1] || Math.Abs(rates[i] - (rates[i - 1] / 5)) <= 1e-15, $"epoch {i + 1}: {rates[i]} after {rates[i - 1]}");
        }

        // 0.1 / 5^8 = 2.56e-7 is the first rate at or below 1e-6; the stall after it ends training.
        double[] distinct = rates.Distinct().ToArray();
        Assert.Equal(9, distinct.Length);
        Assert.True(distinct[^1] <= 1e-6 && distinct[^2] > 1e-6);
        Assert.True(model.EpochsRun < 200);
        Assert.Equal(MlpStopReason.NoImprovement, model.History.StopReason);

        // The constant schedule keeps its rate and stops at the first stall.
        options.Solver = new SgdSolver { LearningRate = 0.1 };
        reports.Clear();
        new MlpTrainer(options).Fit(data, progress: reports.Add);
        Assert.All(reports, r => Assert.Equal(0.1, r.LearningRate));
        Assert.Equal(4, reports.Count);
    }

    [Fact]
    public void InverseScalingLowersTheRateAfterEveryEpoch()
    {
        MlpDataset data = Synthetic.Blobs(1, 100, 3, 2, 2.0);
        var reports = new List<MlpEpochReport>();
        var options = new MlpOptions { HiddenLayerSizes = [4], Solver = new SgdSolver { LearningRate = 0.5, Schedule = LearningRateSchedule.InverseScaling, InverseScalingExponent = 0.5 }, MaxEpochs = 4, Seed = 1 };
        new MlpTrainer(options).Fit(data, progress: reports.Add);
        // scikit-learn's invscaling: initial / (t + 1)^power_t, t being the samples seen so far.
        Assert.Equal([0.5, 0.5 / Math.Pow(101, 0.5), 0.5 / Math.Pow(201, 0.5), 0.5 / Math.Pow(301, 0.5)], reports.Select(r => r.LearningRate));
    }

    [Fact]
    public void WarmStartContinuesTheLossCurveAndTheEpochCount()
    {
        MlpDataset data = Synthetic.Blobs(2, 120, 4, 3, 2.0);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [6], MaxEpochs = 5, Seed = 3 });
        MlpModel first = trainer.Fit(data);
        int[] firstParameters = Synthetic.Bits(first.GetParameters());
        var reports = new List<MlpEpochReport>();
        MlpModel second = trainer.Fit(data, first, reports.Add);

        Assert.Equal(5, first.EpochsRun);
        Assert.Equal(10, second.EpochsRun);
        Assert.Equal(10, second.LossCurve.Count);
        Assert.Equal(first.LossCurve, second.LossCurve.Take(5));
        Assert.Equal(second.LossCurve.Skip(5), reports.Select(r => r.Loss));
        Assert.Equal([6, 7, 8, 9, 10], reports.Select(r => r.Epoch));
        Assert.Equal(2 * first.History.SamplesSeen, second.History.SamplesSeen);
        Assert.True(second.LossCurve[^1] < first.LossCurve[^1]);

        // The model continued from is not changed.
        Assert.Equal(firstParameters, Synthetic.Bits(first.GetParameters()));
        Assert.Equal(5, first.LossCurve.Count);
    }

    [Fact]
    public void PartialFitRunsOneEpochAndKeepsTheOptimizerState()
    {
        MlpDataset data = Synthetic.Blobs(3, 150, 4, 3, 2.0);
        var options = new MlpOptions { HiddenLayerSizes = [6], Seed = 9, Shuffle = false, BatchSize = 32 };
        var trainer = new MlpTrainer(options);
        MlpModel once = trainer.PartialFit(data);
        MlpModel twice = trainer.PartialFit(data, once);
        Assert.Equal(1, once.EpochsRun);
        Assert.Equal(2, twice.EpochsRun);
        Assert.Equal(2, twice.LossCurve.Count);

        // Without shuffling the seed only draws the initial weights, so two PartialFits are exactly a 2-epoch Fit:
        // the second continues Adam's moments and step count. A fresh optimizer would take another step.
        options.MaxEpochs = 2;
        MlpModel fit = new MlpTrainer(options).Fit(data);
        Assert.Equal(Synthetic.Bits(fit.GetParameters()), Synthetic.Bits(twice.GetParameters()));
        Assert.Equal(Synthetic.Bits(fit.LossCurve), Synthetic.Bits(twice.LossCurve));
        Assert.Equal(fit.History.SamplesSeen, twice.History.SamplesSeen);
        MlpModel fresh = trainer.PartialFit(data, MlpModelSerializer.Load(Save(once)));
        Assert.NotEqual(Synthetic.Bits(twice.GetParameters()), Synthetic.Bits(fresh.GetParameters()));
    }

    [Fact]
    public void PartialFitWithShufflingReseedsEachEpoch()
    {
        // PartialFit seeds its generator with Seed + EpochsRun, so the first call matches a 1-epoch Fit, while the
        // second shuffles with a new generator, not with the continuation of Fit's: two PartialFits are not a
        // 2-epoch Fit. They are reproducible all the same.
        MlpDataset data = Synthetic.Blobs(3, 150, 4, 3, 2.0);
        var options = new MlpOptions { HiddenLayerSizes = [6], Seed = 9, BatchSize = 32 };
        var trainer = new MlpTrainer(options);
        MlpModel once = trainer.PartialFit(data);
        MlpModel twice = trainer.PartialFit(data, once);

        options.MaxEpochs = 1;
        MlpModel oneEpoch = new MlpTrainer(options).Fit(data);
        Assert.Equal(Synthetic.Bits(oneEpoch.GetParameters()), Synthetic.Bits(once.GetParameters()));
        options.MaxEpochs = 2;
        MlpModel twoEpochs = new MlpTrainer(options).Fit(data);
        Assert.NotEqual(Synthetic.Bits(twoEpochs.GetParameters()), Synthetic.Bits(twice.GetParameters()));

        MlpModel again = trainer.PartialFit(data, trainer.PartialFit(data));
        SerializerTests.AssertSameModel(twice, again);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("early stopping")]
    [InlineData("lbfgs")]
    public void ProgressIsReportedOncePerEpochInOrder(string solver)
    {
        MlpDataset data = Synthetic.Blobs(4, 120, 3, 2, 1.0);
        var options = new MlpOptions { HiddenLayerSizes = [5], MaxEpochs = 12, Seed = 1, OptimizationTolerance = 0 };
        if (solver == "early stopping")
        {
            options.EarlyStopping = true;
            options.EpochsWithoutImprovement = 50;
        }
        else if (solver == "lbfgs")
        {
            options.Solver = new LbfgsSolver();
        }

        var reports = new List<MlpEpochReport>();
        MlpModel model = new MlpTrainer(options).Fit(data, progress: reports.Add);
        Assert.Equal(model.EpochsRun, reports.Count);
        Assert.Equal(Enumerable.Range(1, model.EpochsRun), reports.Select(r => r.Epoch));
        Assert.Equal(model.LossCurve, reports.Select(r => r.Loss));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Elapsed <= p.Second.Elapsed));
        if (solver == "early stopping")
        {
            Assert.Equal(model.ValidationScores, reports.Select(r => r.ValidationScore!.Value));
        }
        else
        {
            Assert.All(reports, r => Assert.Null(r.ValidationScore));
        }

        Assert.All(reports, r => Assert.Equal(solver == "lbfgs", double.IsNaN(r.LearningRate)));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("lbfgs")]
    public void CancellingFromTheProgressCallbackStopsTrainingAndLeavesTheTrainerUsable(string solver)
    {
        MlpDataset data = Synthetic.Blobs(4, 200, 4, 3, 1.0);
        var options = new MlpOptions { HiddenLayerSizes = [6], MaxEpochs = 20, OptimizationTolerance = 0, Seed = 5 };
        if (solver == "lbfgs")
        {
            options.Solver = new LbfgsSolver();
        }

        var trainer = new MlpTrainer(options);
        using var source = new CancellationTokenSource();
        int lastEpoch = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(data, progress: r =>
        {
            lastEpoch = r.Epoch;
            if (r.Epoch == 3)
            {
                source.Cancel();
            }
        }, cancellationToken: source.Token));
        Assert.Equal(3, lastEpoch);

        MlpModel afterCancel = trainer.Fit(data);
        MlpModel uncancelled = new MlpTrainer(options).Fit(data);
        SerializerTests.AssertSameModel(uncancelled, afterCancel);

        // A token cancelled before the fit stops it before any epoch.
        var reports = new List<MlpEpochReport>();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(data, progress: reports.Add, cancellationToken: source.Token));
        Assert.Empty(reports);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("lbfgs")]
    public void CancellingInTheLastEpochsCallbackStillThrows(string solver)
    {
        MlpDataset data = Synthetic.Blobs(4, 100, 4, 3, 1.0);
        var options = new MlpOptions { HiddenLayerSizes = [4], MaxEpochs = 3, OptimizationTolerance = 0, Seed = 5 };
        if (solver == "lbfgs")
        {
            options.Solver = new LbfgsSolver();
        }

        using var source = new CancellationTokenSource();
        int calls = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => new MlpTrainer(options).Fit(data, progress: r =>
        {
            calls++;
            source.Cancel();
        }, cancellationToken: source.Token));
        Assert.Equal(1, calls);
    }

    [Theory]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Elu)]
    public void WarmStartRejectsADifferentActivationParameter(Activation activation)
    {
        MlpDataset data = Synthetic.Blobs(4, 60, 4, 3, 1.0);
        MlpModel first = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [4], Activation = activation, MaxEpochs = 2, Seed = 1 }).Fit(data);
        var other = new MlpOptions { HiddenLayerSizes = [4], Activation = activation, MaxEpochs = 2, Seed = 1, LeakyReluSlope = 0.2f, EluAlpha = 0.5f };
        var error = Assert.Throws<ArgumentException>(() => new MlpTrainer(other).Fit(data, first));
        Assert.Contains(activation == Activation.LeakyRelu ? "LeakyReluSlope 0.01" : "EluAlpha 1", error.Message);
    }

    [Fact]
    public void HugeLearningRateOnUnscaledDataThrowsDivergenceNamingTheEpoch()
    {
        // Diabetes features and targets as they come (ages in years, blood pressures, targets up to 346).
        Table table = Table.Read("diabetes.csv");
        float[] x = table.Features("Progression", out int d);
        int column = table.Column("Progression");
        float[] y = table.Rows.Select(r => float.Parse(r[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        MlpDataset data = MlpDataset.ForRegression(x, d, y);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [10], Solver = new SgdSolver { LearningRate = 1e6 }, Seed = 1 });
        var error = Assert.Throws<MlpDivergenceException>(() => trainer.Fit(data));
        Assert.Matches(@"diverged in epoch \d+ \(learning rate 1E\+06\)", error.Message);
        Assert.Contains("Lower the learning rate", error.Message, StringComparison.Ordinal);
        Assert.Contains("standardize the features", error.Message, StringComparison.Ordinal);

        // The same on classification data with a binary output.
        Table cancer = Table.Read("breast_cancer.csv");
        float[] features = cancer.Features("Benign", out int dc);
        int[] labels = cancer.ClassLabels("Benign", out _);
        var classifier = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [10], Solver = new SgdSolver { LearningRate = 1e6 }, Seed = 1 });
        Assert.Throws<MlpDivergenceException>(() => classifier.Fit(MlpDataset.ForClassification(features, dc, labels, 2)));
    }

    [Fact]
    public void LbfgsStaysWithinMaxFunctionEvaluations()
    {
        // Small problems with and without a hidden layer, under limits that end the run in the middle of a line
        // search: the search must not spend an evaluation beyond the limit to return to its best point.
        int limited = 0;
        foreach (int seed in Enumerable.Range(0, 10))
        {
            MlpDataset data = Synthetic.Blobs(seed, 100, 4, 3, 1.0);
            foreach (int limit in new[] { 1, 2, 3, 5, 8, 13, 22, 30 })
            {
                var options = new MlpOptions
                {
                    HiddenLayerSizes = seed % 2 == 0 ? [8] : [],
                    Solver = new LbfgsSolver { MaxFunctionEvaluations = limit },
                    MaxEpochs = 500,
                    OptimizationTolerance = 0,
                    L2Regularization = seed % 3 == 0 ? 0 : 1e-4,
                    Seed = seed,
                };
                MlpModel model = new MlpTrainer(options).Fit(data);
                Assert.True(model.History.FunctionEvaluations <= limit, $"seed {seed}, limit {limit}: {model.History.FunctionEvaluations} evaluations ({model.History.StopReason})");
                Assert.True(model.History.FunctionEvaluations >= Math.Min(limit, model.EpochsRun + 1));
                Assert.Equal(model.EpochsRun, model.LossCurve.Count);
                limited += model.History.StopReason == MlpStopReason.MaximumFunctionEvaluations ? 1 : 0;
            }
        }

        Assert.True(limited >= 40, $"only {limited} runs ended on the evaluation limit");
    }

    [Fact]
    public void LbfgsStopsAfterMaxEpochsIterations()
    {
        MlpDataset data = Synthetic.Blobs(7, 150, 4, 3, 1.0);
        var options = new MlpOptions { HiddenLayerSizes = [8], Solver = new LbfgsSolver(), MaxEpochs = 4, OptimizationTolerance = 0, Seed = 2 };
        MlpModel model = new MlpTrainer(options).Fit(data);
        Assert.Equal(4, model.EpochsRun);
        Assert.Equal(4, model.LossCurve.Count);
        Assert.Equal(MlpStopReason.MaximumIterations, model.History.StopReason);
        Assert.False(model.History.Converged);
        Assert.True(model.History.FunctionEvaluations >= 5);
        Assert.True(model.LossCurve.Zip(model.LossCurve.Skip(1)).All(p => p.Second < p.First), "each L-BFGS iteration lowers the loss");
    }

    [Fact]
    public void NoHiddenLayerFitsLogisticSoftmaxAndLinearRegression()
    {
        var options = new MlpOptions { HiddenLayerSizes = [], Solver = new LbfgsSolver(), L2Regularization = 1e-6, Seed = 1 };

        MlpDataset binary = Synthetic.Blobs(1, 200, 3, 2, 4.0);
        MlpModel logistic = new MlpTrainer(options).Fit(binary);
        Assert.Equal(1, logistic.LayerCount);
        Assert.Equal((3 * 1) + 1, logistic.ParameterCount);
        Assert.True(Synthetic.Accuracy(logistic, binary) >= 0.95);

        MlpDataset multiclass = Synthetic.Blobs(2, 300, 3, 3, 4.0);
        MlpModel softmax = new MlpTrainer(options).Fit(multiclass);
        Assert.Equal((3 * 3) + 3, softmax.ParameterCount);
        Assert.True(Synthetic.Accuracy(softmax, multiclass) >= 0.9);

        // A linear target is fitted exactly, up to the noise and float32.
        MlpDataset regression = Synthetic.Linear(3, 200, 4, 2, noise: 0);
        MlpModel linear = new MlpTrainer(options).Fit(regression);
        Assert.Equal((4 * 2) + 2, linear.ParameterCount);
        float[] predictions = Synthetic.Scores(linear, regression);
        double worst = predictions.Zip(regression.Targets!).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-2, $"largest error {worst}");

        // The mini-batch solvers handle it too.
        MlpModel adam = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [], Seed = 1, MaxEpochs = 100, Solver = new AdamSolver { LearningRate = 0.05 } }).Fit(binary);
        Assert.True(Synthetic.Accuracy(adam, binary) >= 0.95);
    }

    private static System.IO.MemoryStream Save(MlpModel model)
    {
        var stream = new System.IO.MemoryStream();
        MlpModelSerializer.Save(model, stream);
        stream.Position = 0;
        return stream;
    }
}
