using System;
using System.Collections.Generic;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>Non-convergence is a Warning on the MLContext's log and a flag on the history (scikit-learn's ConvergenceWarning).</summary>
public class ConvergenceTests
{
    [Fact]
    public void RunningOutOfEpochsLogsAWarningAndClearsConverged()
    {
        var (history, warnings) = Train(new MlpBinaryTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfIterations = 3, Seed = 1 });
        Assert.Equal(MlpStopReason.MaximumIterations, history.StopReason);
        Assert.False(history.Converged);
        string warning = Assert.Single(warnings);
        Assert.Contains(nameof(MlpStopReason.MaximumIterations), warning, StringComparison.Ordinal);
    }

    [Fact]
    public void StoppingOnItsOwnRuleLogsNoWarningAndSetsConverged()
    {
        var (history, warnings) = Train(new MlpBinaryTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfIterations = 200, OptimizationTolerance = 1e6, EpochsWithoutImprovement = 2, Seed = 1 });
        Assert.Equal(MlpStopReason.NoImprovement, history.StopReason);
        Assert.True(history.Converged);
        Assert.Empty(warnings);
    }

    [Fact]
    public void LbfgsRunningOutOfEvaluationsIsNotConverged()
    {
        var (history, warnings) = Train(new MlpBinaryTrainer.Options { HiddenLayerSizes = [8], Solver = new LbfgsSolver { MaxFunctionEvaluations = 5 }, MaximumNumberOfIterations = 500, OptimizationTolerance = 0, Seed = 1 });
        Assert.Equal(MlpStopReason.MaximumFunctionEvaluations, history.StopReason);
        Assert.False(history.Converged);
        Assert.Single(warnings);
    }

    private static (MlpTrainingHistory History, List<string> Warnings) Train(MlpBinaryTrainer.Options options)
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning && e.Message.Contains("Training stopped", StringComparison.Ordinal))
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, options))
            .Fit(SampleData.BreastCancer(ml));
        return (model.LastTransformer.Model.Network.History, warnings);
    }
}
