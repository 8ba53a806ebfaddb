using System;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// docs/ARCHITECTURE.md's steps for adding an output head, done once here with a test-only one: regression with
/// the pseudo-Huber loss, one <see cref="OutputHead"/> subclass, nothing else in the engine changed. Its rows are
/// <see cref="MlpDataset.WithHead"/> of regression rows (registering it for users is an <see cref="MlpTask"/> value
/// and its line in <see cref="OutputHead"/>'s array, which a test project cannot add). The backward pass matches
/// central differences of its loss, and the trainer fits with it: a network that shrugs off outliers that pull the
/// registered squared-error head away.
/// </summary>
public class AddingAHeadTests
{
    private static readonly HiddenActivation Tanh = new(Activation.Tanh, 0.01f, 1f);

    [Fact]
    public void ItsLossAndDeltaMatchHandComputation()
    {
        // r = z - y: r = 3 gives sqrt(10) - 1 = 2.16227766 and delta 3 / sqrt(10) = 0.948683298; r = -0.5 gives
        // sqrt(1.25) - 1 = 0.118033989 and -0.5 / sqrt(1.25) = -0.447213595; the row's weight 2 scales both.
        MlpDataset data = MlpDataset.ForRegression([0f], 1, [1f, 2f], 2, [2f]).WithHead(new PseudoHuberHead());
        float[] z = [4f, 1.5f];
        var losses = new double[1];
        data.Head.ToDelta(data, [0], z, losses);
        Assert.Equal(2 * (2.16227766 + 0.118033989), losses[0], 7);
        Assert.Equal(2 * 0.948683298f, z[0], 6);
        Assert.Equal(2 * -0.447213595f, z[1], 6);
    }

    [Fact]
    public void ItsGradientMatchesCentralDifferences() =>
        GradientCheckTests.CheckGradient(Tanh, p => (sizes, data, l2) => ReferenceMlp.Loss(p, sizes, Math.Tanh, data, l2, PseudoHuber), "regression", "pseudo-Huber", new PseudoHuberHead());

    [Fact]
    public void ItStaysWithTheRowsTheTrainerDerives()
    {
        var head = new PseudoHuberHead();
        MlpDataset data = Synthetic.Linear(seed: 1, rows: 10, features: 2, targets: 1, noise: 0).WithHead(head);
        Assert.Same(head, data.WithFeatures(new float[10], 1).Head);
        Assert.Same(head, data.WithTargets(new float[10]).Head);
        Assert.Same(head, data.ToDense().Head);
        Assert.Throws<ArgumentException>(() => Synthetic.Blobs(seed: 1, rows: 10, features: 2, classes: 2, separation: 1).WithHead(head));
    }

    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 1.5)]
    public void ANetworkTrainsWithItAndIgnoresOutliers(bool scaled, double factor)
    {
        // y = w·x + noise, and every tenth target 40 too high: squared error follows the outliers (its error against
        // the clean targets is about 4, their mean shift), pseudo-Huber's bounded gradient does not (measured: 0.13).
        // Scaled: the trainer's input scaling and target standardization keep the head; the loss's scale 1 is then one
        // standard deviation of the targets (12, outliers included), so the outliers pull more (measured: 1.9 against 3.9).
        MlpDataset clean = Synthetic.Linear(seed: 9, rows: 400, features: 3, targets: 1, noise: 0.05);
        float[] targets = clean.Targets!.Select((y, i) => i % 10 == 0 ? y + 40 : y).ToArray();
        MlpDataset squared = MlpDataset.ForRegression(clean.Features, clean.FeatureCount, targets);
        var options = new MlpOptions
        {
            HiddenLayerSizes = [16],
            Solver = new AdamSolver { LearningRate = 0.01 },
            BatchSize = 32,
            MaxEpochs = 100,
            Seed = 7,
            InputScaling = scaled ? InputScaling.Standard : InputScaling.None,
            StandardizeTargets = scaled,
        };

        MlpModel ordinary = new MlpTrainer(options).Fit(squared);
        MlpModel robust = new MlpTrainer(options).Fit(squared.WithHead(new PseudoHuberHead()));
        Assert.Equal(MlpTask.Regression, robust.Task);
        Assert.True(robust.LossCurve[^1] < robust.LossCurve[0], $"loss {robust.LossCurve[0]:F4} -> {robust.LossCurve[^1]:F4}");
        double robustError = MeanAbsoluteError(robust, clean), ordinaryError = MeanAbsoluteError(ordinary, clean);
        Assert.True(robustError < ordinaryError / factor, $"mean absolute error against the clean targets: pseudo-Huber {robustError:F3}, squared {ordinaryError:F3} ({robust.History.StopMessage})");
    }

    private static double MeanAbsoluteError(MlpModel model, MlpDataset clean)
    {
        float[] scores = Synthetic.Scores(model, clean);
        return scores.Select((s, i) => Math.Abs(s - clean.Targets![i])).Average();
    }

    /// <summary>The reference's row loss: <c>Σ_j sqrt(1 + (z_j - y_j)²) - 1</c>.</summary>
    private static double PseudoHuber(double[] z, MlpDataset data, int row) =>
        z.Select((v, j) => Math.Sqrt(1 + Math.Pow(v - data.Targets![(row * z.Length) + j], 2)) - 1).Sum();

    /// <summary>
    /// Regression with the pseudo-Huber loss (scale 1): <c>sqrt(1 + r²) - 1</c> per target, <c>r = z - y</c>, quadratic
    /// near 0 and linear far out, computed in double as <c>r² / (sqrt(1 + r²) + 1)</c> (no cancellation for small r);
    /// delta <c>r / sqrt(1 + r²)</c>, bounded by 1. Identity outputs, so the model it trains
    /// is an ordinary regression model (<see cref="MlpTask.Regression"/>) for the predictor and the serializer.
    /// </summary>
    private sealed class PseudoHuberHead : OutputHead
    {
        public override MlpTask Task => MlpTask.Regression;

        public override bool IsClassifier => false;

        public override string AllowedOutputs => "1 or more";

        public override int OutputCount(int classCount, int targetCount) => targetCount;

        public override int ClassCountFor(int outputCount) => outputCount >= 1 ? 0 : -1;

        public override void Probabilities(ReadOnlySpan<float> outputs, Span<float> probabilities) => throw NoClasses();

        public override int PredictClass(ReadOnlySpan<float> outputs) => throw NoClasses();

        public override ValidationMetric CreateMetric(MlpDataset data) => new RSquaredMetric(data.TargetCount);

        protected override double LossAndDelta(Span<float> z, MlpDataset data, int row, float labelSmoothing)
        {
            ReadOnlySpan<float> y = data.Targets.AsSpan(row * z.Length, z.Length);
            double sum = 0;
            for (int j = 0; j < z.Length; j++)
            {
                double r = (double)z[j] - y[j];
                double root = Math.Sqrt(1 + (r * r));
                z[j] = (float)(r / root);
                sum += r * r / (root + 1);
            }

            return sum;
        }
    }
}
