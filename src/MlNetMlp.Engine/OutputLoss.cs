using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// The output layer's loss and its gradient, fused. For each pairing the gradient of the loss with respect to
/// the output layer's pre-activation is simply <c>prediction - target</c>:
/// sigmoid + log-loss, softmax + cross-entropy and identity + squared error are each a canonical link with its
/// matching loss. So the output activation never needs a derivative of its own.
/// Losses are computed from the logits in double precision (softplus, log-sum-exp), so they stay exact where
/// probabilities round to 0 or 1 in float32.
/// </summary>
internal static class OutputLoss
{
    /// <summary>
    /// Turns <paramref name="outputs"/> <c>(rows.Length, width)</c>, the raw output layer for the given rows, into
    /// the weighted output delta in place, and writes each row's weighted loss <c>w_i loss_i</c> to
    /// <paramref name="rowLosses"/>: rows may be processed in any grouping, and the caller sums them in row order.
    /// Squared error is <c>0.5 Σ_j (y_j - z_j)²</c> per row: summed over targets, as its gradient is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToDelta(MlpDataset data, ReadOnlySpan<int> rows, Span<float> outputs, Span<double> rowLosses)
    {
        int width = data.OutputCount;
        float[]? weights = data.Weights;
        for (int r = 0; r < rows.Length; r++)
        {
            int row = rows[r];
            Span<float> z = outputs.Slice(r * width, width);
            double loss = data.Task switch
            {
                MlpTask.BinaryClassification => BinaryRow(z, data.Labels![row]),
                MlpTask.MulticlassClassification => MulticlassRow(z, data.Labels![row]),
                _ => RegressionRow(z, data.Targets.AsSpan(row * width, width)),
            };

            if (weights is not null)
            {
                float w = weights[row];
                loss *= w;
                for (int j = 0; j < z.Length; j++)
                {
                    z[j] *= w;
                }
            }

            rowLosses[r] = loss;
        }
    }

    /// <summary>Log-loss <c>softplus(z) - y z</c>; delta <c>sigmoid(z) - y</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double BinaryRow(Span<float> z, int label)
    {
        double x = z[0];
        double softplus = x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
        z[0] = Sigmoid(z[0]) - label;
        return softplus - (label * x);
    }

    /// <summary>Cross-entropy <c>logsumexp(z) - z_y</c>; delta <c>softmax(z) - onehot(y)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MulticlassRow(Span<float> z, int label)
    {
        double logSumExp = SoftmaxInPlace(z, out double zLabel, label);
        z[label] -= 1f;
        return logSumExp - zLabel;
    }

    /// <summary>Squared error <c>0.5 Σ (z - y)²</c>; delta <c>z - y</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double RegressionRow(Span<float> z, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            float d = z[j] - y[j];
            z[j] = d;
            sum += (double)d * d;
        }

        return 0.5 * sum;
    }

    /// <summary>A float sigmoid that does not overflow for large |x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sigmoid(float x) => x >= 0 ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));

    /// <summary>Replaces logits with softmax probabilities; returns log-sum-exp of the logits.</summary>
    public static double SoftmaxInPlace(Span<float> z) => SoftmaxInPlace(z, out _, 0);

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
