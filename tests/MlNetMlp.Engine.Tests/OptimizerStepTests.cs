using System;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>Single optimizer steps worked out by hand.</summary>
public class OptimizerStepTests
{
    [Fact]
    public void AdamFirstStepMovesEachParameterByTheLearningRateAgainstTheGradientSign()
    {
        // t = 1: m = 0.1 g, v = 0.001 g², lr_1 = 0.01 * sqrt(1 - 0.999) / (1 - 0.9) = 0.0031622776601683794.
        // update = -lr_1 * m / (sqrt(v) + eps) = -lr_1 * 0.1 g / (0.0316227766 |g| + 1e-8).
        // For g = 2:   -0.0031622776601683794 * 0.2 / (0.0632455532 + 1e-8) = -0.009999998418861...
        // For g = -0.5: +0.0031622776601683794 * 0.05 / (0.0158113883 + 1e-8) = +0.009999993675445...
        var optimizer = new AdamOptimizer(new AdamSolver { LearningRate = 0.01 }, 2);
        float[] p = [1f, -3f];
        optimizer.Step(p, [2f, -0.5f]);
        Assert.Equal(1f - 0.009999998418861f, p[0], 6);
        Assert.Equal(-3f + 0.009999993675445f, p[1], 6);
        Assert.Equal(0.0031622776601683794, optimizer.LearningRate, 12);
    }

    [Fact]
    public void AdamSecondStepUsesBiasCorrectedRate()
    {
        // Same gradient g = 1 twice, lr 0.1: m2 = 0.19, v2 = 0.001999, lr_2 = 0.1 sqrt(1 - 0.999²) / (1 - 0.9²)
        // = 0.1 * 0.04471017781 / 0.19 = 0.023531672532; step 2 = -0.023531672532 * 0.19 / (0.04471017781 + 1e-8).
        var optimizer = new AdamOptimizer(new AdamSolver { LearningRate = 0.1 }, 1);
        float[] p = [0f];
        optimizer.Step(p, [1f]);
        float afterFirst = p[0];
        optimizer.Step(p, [1f]);
        double expectedSecond = -0.023531672532 * 0.19 / (0.04471017781 + 1e-8);
        Assert.Equal(-0.1, afterFirst, 5);
        Assert.Equal(afterFirst + expectedSecond, p[0], 5);
    }

    [Fact]
    public void NesterovStepsMatchHandComputation()
    {
        // mu = 0.9, lr = 0.1, g = 2 then g = 1, starting at p = 1, velocity 0.
        // Step 1: u1 = 0.9*0 - 0.2 = -0.2; Nesterov update = 0.9*u1 - 0.2 = -0.38; p = 0.62.
        // Step 2: u2 = 0.9*(-0.2) - 0.1 = -0.28; update = 0.9*u2 - 0.1 = -0.352; p = 0.268.
        var optimizer = new SgdOptimizer(new SgdSolver { LearningRate = 0.1, Momentum = 0.9, Nesterov = true }, 1);
        float[] p = [1f];
        optimizer.Step(p, [2f]);
        Assert.Equal(0.62f, p[0], 6);
        optimizer.Step(p, [1f]);
        Assert.Equal(0.268f, p[0], 6);
    }

    [Fact]
    public void PlainMomentumStepsMatchHandComputation()
    {
        // Without Nesterov the update is u itself: u1 = -0.2 (p = 0.8), u2 = -0.28 (p = 0.52).
        var optimizer = new SgdOptimizer(new SgdSolver { LearningRate = 0.1, Momentum = 0.9, Nesterov = false }, 1);
        float[] p = [1f];
        optimizer.Step(p, [2f]);
        Assert.Equal(0.8f, p[0], 6);
        optimizer.Step(p, [1f]);
        Assert.Equal(0.52f, p[0], 6);
    }

    [Fact]
    public void InverseScalingAndAdaptiveSchedulesFollowScikitLearn()
    {
        var inverse = new SgdOptimizer(new SgdSolver { LearningRate = 0.5, Schedule = LearningRateSchedule.InverseScaling, InverseScalingExponent = 0.5 }, 1);
        inverse.EpochEnded(99);
        Assert.Equal(0.05, inverse.LearningRate, 12);

        var adaptive = new SgdOptimizer(new SgdSolver { LearningRate = 1e-5, Schedule = LearningRateSchedule.Adaptive }, 1);
        Assert.True(adaptive.TryContinueAfterStall());
        Assert.Equal(2e-6, adaptive.LearningRate, 15);
        Assert.True(adaptive.TryContinueAfterStall());
        Assert.Equal(4e-7, adaptive.LearningRate, 15);
        Assert.False(adaptive.TryContinueAfterStall());

        var constant = new SgdOptimizer(new SgdSolver { LearningRate = 0.1 }, 1);
        Assert.False(constant.TryContinueAfterStall());
    }
}
