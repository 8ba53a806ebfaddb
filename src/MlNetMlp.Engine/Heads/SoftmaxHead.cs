using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// <see cref="MlpTask.MulticlassClassification"/>: one output per class, softmax, trained with cross-entropy; the
/// class with the largest output is predicted. Two classes are allowed (two softmax outputs), which is what an
/// ML.NET multiclass trainer gives for a two-valued key label.
/// </summary>
internal sealed class SoftmaxHead : OutputHead
{
    public override MlpTask Task => MlpTask.MulticlassClassification;

    public override bool IsClassifier => true;

    public override string AllowedOutputs => "2 or more";

    public override int OutputCount(int classCount, int targetCount) => classCount;

    public override int ClassCountFor(int outputCount) => outputCount >= 2 ? outputCount : -1;

    public override void Probabilities(ReadOnlySpan<float> outputs, Span<float> probabilities)
    {
        Span<float> target = probabilities[..outputs.Length];
        if (!outputs.Overlaps(target))
        {
            outputs.CopyTo(target);
        }

        SoftmaxInPlace(target, out _, 0);
    }

    public override int PredictClass(ReadOnlySpan<float> outputs) => ArgMax(outputs);

    public override ValidationMetric CreateMetric(MlpDataset data) => new AccuracyMetric(this);

    /// <summary>The index of the largest value; ties go to the lower index.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++)
        {
            if (values[j] > values[best])
            {
                best = j;
            }
        }

        return best;
    }

    /// <summary>
    /// Cross-entropy <c>logsumexp(z) - Σ t_j z_j</c> against the target <c>t = (1 - ε) onehot(y) + ε / K</c>; delta
    /// <c>softmax(z) - t</c> (ε = 0: <c>logsumexp(z) - z_y</c> and <c>softmax(z) - onehot(y)</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override double LossAndDelta(Span<float> z, MlpDataset data, int row, float labelSmoothing)
    {
        int label = data.Labels![row];
        if (labelSmoothing == 0)
        {
            double logSumExp = SoftmaxInPlace(z, out double zLabel, label);
            z[label] -= 1f;
            return logSumExp - zLabel;
        }

        double smoothing = labelSmoothing;
        double spread = smoothing / z.Length;
        double sumOfLogits = 0;
        for (int j = 0; j < z.Length; j++)
        {
            sumOfLogits += z[j];
        }

        double smoothedLogSumExp = SoftmaxInPlace(z, out double smoothedLabelLogit, label);
        for (int j = 0; j < z.Length; j++)
        {
            z[j] -= (float)spread;
        }

        z[label] -= (float)(1 - smoothing);
        return smoothedLogSumExp - ((1 - smoothing) * smoothedLabelLogit) - (spread * sumOfLogits);
    }

    /// <summary>Replaces logits with softmax probabilities; returns log-sum-exp of the logits and the logit at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SoftmaxInPlace(Span<float> z, out double zAt, int at)
    {
        zAt = z[at];
        float max = z[0];
        for (int j = 1; j < z.Length; j++)
        {
            max = Math.Max(max, z[j]);
        }

        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            float e = MathF.Exp(z[j] - max);
            z[j] = e;
            sum += e;
        }

        float inverse = (float)(1.0 / sum);
        for (int j = 0; j < z.Length; j++)
        {
            z[j] *= inverse;
        }

        return max + Math.Log(sum);
    }
}
