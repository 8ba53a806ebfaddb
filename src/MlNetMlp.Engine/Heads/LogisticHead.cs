using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// <see cref="MlpTask.BinaryClassification"/>: one logistic (sigmoid) output, the logit of class 1, trained with
/// log-loss; class 1 is predicted when the logit is positive. The probabilities are <c>[1 - p, p]</c>, as
/// scikit-learn's <c>MLPClassifier</c> gives for two classes.
/// </summary>
internal sealed class LogisticHead : OutputHead
{
    public override MlpTask Task => MlpTask.BinaryClassification;

    public override bool IsClassifier => true;

    public override string AllowedOutputs => "1";

    public override int OutputCount(int classCount, int targetCount) => 1;

    public override int ClassCountFor(int outputCount) => outputCount == 1 ? 2 : -1;

    public override void Probabilities(ReadOnlySpan<float> outputs, Span<float> probabilities)
    {
        float p = Sigmoid(outputs[0]);
        probabilities[0] = 1f - p;
        probabilities[1] = p;
    }

    public override int PredictClass(ReadOnlySpan<float> outputs) => outputs[0] > 0 ? 1 : 0;

    public override ValidationMetric CreateMetric(MlpDataset data) => new AccuracyMetric(this);

    /// <summary>A float sigmoid that does not overflow for large |x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sigmoid(float x) => x >= 0 ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));

    /// <summary>
    /// Log-loss <c>softplus(z) - t z</c> against the target <c>t = (1 - ε) y + ε / 2</c>; delta <c>sigmoid(z) - t</c>
    /// (ε = 0 gives exactly <c>t = y</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override double LossAndDelta(Span<float> z, MlpDataset data, int row, float labelSmoothing)
    {
        int label = data.Labels![row];
        double target = ((1 - labelSmoothing) * label) + (labelSmoothing / 2.0);
        double x = z[0];
        double softplus = x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
        z[0] = Sigmoid(z[0]) - (float)target;
        return softplus - (target * x);
    }
}
