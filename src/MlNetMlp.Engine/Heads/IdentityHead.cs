using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// <see cref="MlpTask.Regression"/>: identity outputs, one per target, trained with squared error
/// <c>0.5 Σ_j (y_j - z_j)²</c> per row (summed over targets, as its gradient is); no classes.
/// </summary>
internal sealed class IdentityHead : OutputHead
{
    public override MlpTask Task => MlpTask.Regression;

    public override bool IsClassifier => false;

    public override string AllowedOutputs => "1 or more";

    public override int OutputCount(int classCount, int targetCount) => targetCount;

    public override int ClassCountFor(int outputCount) => outputCount >= 1 ? 0 : -1;

    public override void Probabilities(ReadOnlySpan<float> outputs, Span<float> probabilities) => throw NoClasses();

    public override int PredictClass(ReadOnlySpan<float> outputs) => throw NoClasses();

    public override ValidationMetric CreateMetric(MlpDataset data) => new RSquaredMetric(data.TargetCount);

    /// <summary>Squared error <c>0.5 Σ (z - y)²</c>; delta <c>z - y</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override double LossAndDelta(Span<float> z, MlpDataset data, int row, float labelSmoothing)
    {
        ReadOnlySpan<float> y = data.Targets.AsSpan(row * z.Length, z.Length);
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            float d = z[j] - y[j];
            z[j] = d;
            sum += (double)d * d;
        }

        return 0.5 * sum;
    }
}
