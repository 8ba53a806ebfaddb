using System;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// docs/ARCHITECTURE.md's steps for adding an optimizer, done once here with a test-only one (RMSprop): one
/// <see cref="MlpSolver"/> subclass and one <see cref="StochasticOptimizer"/> subclass, nothing else in the engine
/// changed. The trainer validates it, copies it, counts its memory, clones its state for PartialFit and trains with
/// it, bit-identically for any thread count.
/// </summary>
public class AddingAnOptimizerTests
{
    [Fact]
    public void TwoStepsMatchHandComputation()
    {
        // lr 0.01, rho 0.9, g = 2 then 1 from p = 1:
        // v1 = 0.1 * 4 = 0.4, step 0.01 * 2 / (sqrt(0.4) + 1e-8) = 0.031622776101684, p = 0.968377223898316;
        // v2 = 0.36 + 0.1 = 0.46, step 0.01 / (sqrt(0.46) + 1e-8) = 0.014744195398098, p = 0.953633028500218.
        // A second parameter with g = -0.5 from p = -3: v1 = 0.025, p = -3 + 0.031622774601684.
        var optimizer = new RmsPropOptimizer(new RmsPropSolver { LearningRate = 0.01, Decay = 0.9 }, 2);
        float[] p = [1f, -3f];
        optimizer.Step(p, [2f, -0.5f]);
        Assert.Equal(0.968377223898316f, p[0], 6);
        Assert.Equal(-2.968377225398316f, p[1], 6);
        optimizer.Step(p, [1f, 0f]);
        Assert.Equal(0.953633028500218f, p[0], 6);
        Assert.Equal(-2.968377225398316f, p[1], 6);
        Assert.Equal(0.01, optimizer.LearningRate, 12);
    }

    [Fact]
    public void TheTrainerValidatesItsSettings()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpOptions { Solver = new RmsPropSolver { Decay = 1 } }));
        Assert.Equal(nameof(RmsPropSolver.Decay), error.ParamName);
        Assert.Contains("(0, 1)", error.Message);
    }

    [Fact]
    public void TheTrainerKeepsItsOwnCopyOfTheSettings()
    {
        var solver = new RmsPropSolver { LearningRate = 0.01 };
        var trainer = new MlpTrainer(new MlpOptions { Solver = solver });
        solver.LearningRate = 5;
        var kept = Assert.IsType<RmsPropSolver>(trainer.Options.Solver);
        Assert.NotSame(solver, kept);
        Assert.Equal(0.01, kept.LearningRate);
    }

    [Fact]
    public void AClonedStateStepsIndependently()
    {
        var optimizer = new RmsPropOptimizer(new RmsPropSolver { LearningRate = 0.01 }, 1);
        float[] p = [1f];
        optimizer.Step(p, [2f]);
        StochasticOptimizer clone = optimizer.Clone();
        float[] q = [p[0]];
        clone.Step(q, [1f]);
        clone.Step(q, [1f]);

        // The clone's steps grew its own running average only: the original's second step is still the one worked
        // out by hand above, and the clone, whose average also holds its own steps, ends elsewhere.
        float[] r = [p[0]];
        optimizer.Step(r, [1f]);
        Assert.Equal(0.953633028500218f, r[0], 6);
        Assert.NotEqual(q[0], r[0]);
    }

    [Fact]
    public void PartialFitContinuesFromACopyOfTheModelsState()
    {
        MlpDataset data = Synthetic.Blobs(seed: 5, rows: 120, features: 4, classes: 3, separation: 3);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [8], Solver = new RmsPropSolver { LearningRate = 0.01 }, BatchSize = 20, Seed = 2 });
        MlpModel first = trainer.PartialFit(data);
        MlpModel once = trainer.PartialFit(data, first);
        MlpModel again = trainer.PartialFit(data, first);
        SerializerTests.AssertSameModel(once, again);
        Assert.NotEqual(Synthetic.Bits(first.GetParameters()), Synthetic.Bits(once.GetParameters()));
    }

    [Fact]
    public void TheMemoryCheckCountsItsBytesPerParameter()
    {
        // Adam states 12 bytes per parameter, RMSprop 8: a fit's bytes differ by 4 per parameter. The rows dwarf this
        // small network, so both chunk budgets hold the whole batch (the chunk, too, reads BytesPerParameter).
        MlpDataset data = Synthetic.Blobs(seed: 5, rows: 2000, features: 20, classes: 3, separation: 3);
        var layout = new ParameterLayout([20, 8, data.OutputCount]);
        var adam = new MlpOptions { HiddenLayerSizes = [8], BatchSize = 16 };
        var rmsProp = new MlpOptions { HiddenLayerSizes = [8], BatchSize = 16, Solver = new RmsPropSolver() };
        Assert.Equal(16, MlpTrainer.ChunkRows(adam, data, layout, 16));
        Assert.Equal(16, MlpTrainer.ChunkRows(rmsProp, data, layout, 16));
        long difference = MlpTrainer.FitBytes(adam, data, layout, incremental: false) - MlpTrainer.FitBytes(rmsProp, data, layout, incremental: false);
        Assert.Equal(4 * layout.Count, difference);
    }

    [Fact]
    public void AFitsLossFallsAndOneAndTwoThreadsGiveTheSameBits()
    {
        MlpDataset data = DeterminismTests.SplitAcrossThreads();
        var one = new MlpOptions
        {
            HiddenLayerSizes = [DeterminismTests.SplitHidden],
            Solver = new RmsPropSolver { LearningRate = 0.001 },
            BatchSize = DeterminismTests.SplitBatch,
            MaxEpochs = 6,
            Seed = 4,
            NumberOfThreads = 1,
        };
        MlpModel single = DeterminismTests.FitOnOneAndTwoThreads(one, data);
        Assert.Equal(6, single.EpochsRun);
        Assert.True(single.LossCurve[^1] < 0.65 * single.LossCurve[0], $"loss {single.LossCurve[0]:F4} -> {single.LossCurve[^1]:F4}");
    }

    /// <summary>RMSprop's settings (Hinton's lecture 6e): step size, decay of the squared-gradient average, epsilon.</summary>
    private sealed class RmsPropSolver : MlpSolver
    {
        public double LearningRate { get; set; } = 1e-3;

        public double Decay { get; set; } = 0.9;

        public double Epsilon { get; set; } = 1e-8;

        internal override double InitialLearningRate => LearningRate;

        /// <summary>The gradient and the squared-gradient average, float32 each.</summary>
        internal override long BytesPerParameter => 2 * sizeof(float);

        internal override bool TrainsInMiniBatches => true;

        public override void Validate()
        {
            CheckPositiveFloat32(LearningRate, nameof(LearningRate));
            CheckUnitInterval(Decay, nameof(Decay), allowZero: false);
            CheckPositiveFloat32(Epsilon, nameof(Epsilon));
        }

        internal override StochasticOptimizer CreateOptimizer(int parameterCount) => new RmsPropOptimizer(this, parameterCount);

        public override RmsPropSolver Clone() => (RmsPropSolver)MemberwiseClone();
    }

    /// <summary>RMSprop: <c>v = rho v + (1 - rho) g²</c>, <c>p -= lr g / (sqrt(v) + eps)</c>, one element at a time.</summary>
    private sealed class RmsPropOptimizer : StochasticOptimizer
    {
        private readonly double _learningRate;
        private readonly float _decay;
        private readonly float _oneMinusDecay;
        private readonly float _epsilon;
        private readonly float[] _average;

        public RmsPropOptimizer(RmsPropSolver solver, int parameterCount)
        {
            _learningRate = solver.LearningRate;
            _decay = (float)solver.Decay;
            _oneMinusDecay = (float)(1 - solver.Decay);
            _epsilon = (float)solver.Epsilon;
            _average = new float[parameterCount];
        }

        private RmsPropOptimizer(RmsPropOptimizer other)
        {
            _learningRate = other._learningRate;
            _decay = other._decay;
            _oneMinusDecay = other._oneMinusDecay;
            _epsilon = other._epsilon;
            _average = (float[])other._average.Clone();
        }

        public override double LearningRate => _learningRate * RateScale;

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
        {
            float rate = (float)LearningRate;
            for (int i = 0; i < parameters.Length; i++)
            {
                float g = gradient[i];
                float v = (_decay * _average[i]) + (_oneMinusDecay * g * g);
                _average[i] = v;
                parameters[i] -= rate * g / (MathF.Sqrt(v) + _epsilon);
            }
        }

        public override StochasticOptimizer Clone() => new RmsPropOptimizer(this);

        public override string? NonFiniteState() =>
            _average.All(float.IsFinite) ? null : "RMSprop's average of the squared gradient overflowed float32";
    }
}
