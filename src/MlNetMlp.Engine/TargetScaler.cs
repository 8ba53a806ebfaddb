using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Regression targets standardized inside the trainer, <c>y' = (y - mean) / std</c> per target: the network is
/// trained on standardized copies, and afterwards the mapping back is folded into the output layer
/// (<c>W' = std W</c>, <c>b' = std b + mean</c>), so predictions come out in the label's units without any change to
/// the model, its format or its predictor. Squared error on a raw label in the hundreds otherwise dwarfs the
/// initial weights' scale and trains far worse than a linear model.
/// </summary>
internal sealed class TargetScaler
{
    private readonly double[] _mean;
    private readonly double[] _std;

    private TargetScaler(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
    }

    /// <summary>The mean and standard deviation of each target (a constant target keeps scale 1), over all rows.</summary>
    public static TargetScaler Fit(MlpDataset data)
    {
        int t = data.TargetCount, n = data.RowCount;
        float[] y = data.Targets!;
        var mean = new double[t];
        var std = new double[t];
        for (int j = 0; j < t; j++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += y[((long)i * t) + j];
            }

            mean[j] = sum / n;
            double squares = 0;
            for (int i = 0; i < n; i++)
            {
                double e = y[((long)i * t) + j] - mean[j];
                squares += e * e;
            }

            double s = Math.Sqrt(squares / n);
            std[j] = s > 0 ? s : 1;
        }

        return new TargetScaler(mean, std);
    }

    /// <summary>A copy of <paramref name="data"/> with standardized targets (features and weights shared).</summary>
    public MlpDataset Scale(MlpDataset data)
    {
        var scaled = new float[data.Targets!.Length];
        ScaleInto(data.Targets, scaled);
        return data.WithTargets(scaled);
    }

    /// <summary>Standardizes whole rows of targets <paramref name="y"/> into <paramref name="scaled"/> (a streamed block, into a buffer reused block after block).</summary>
    public void ScaleInto(ReadOnlySpan<float> y, Span<float> scaled)
    {
        int t = _mean.Length;
        for (int k = 0; k < y.Length; k++)
        {
            int j = k % t;
            scaled[k] = (float)((y[k] - _mean[j]) / _std[j]);
        }
    }

    /// <summary>Folds the mapping back to the label's units into the output layer.</summary>
    public void Fold(ParameterLayout layout, Span<float> parameters)
    {
        int last = layout.LayerCount - 1;
        Span<float> weights = layout.Weights(parameters, last);
        Span<float> biases = layout.Biases(parameters, last);
        int t = biases.Length;
        for (int k = 0; k < weights.Length; k++)
        {
            weights[k] = (float)(weights[k] * _std[k % t]);
        }

        for (int o = 0; o < t; o++)
        {
            biases[o] = (float)((biases[o] * _std[o]) + _mean[o]);
        }
    }

    /// <summary>The inverse of <see cref="Fold"/>, for a model to continue training on standardized targets.</summary>
    public void Unfold(ParameterLayout layout, Span<float> parameters)
    {
        int last = layout.LayerCount - 1;
        Span<float> weights = layout.Weights(parameters, last);
        Span<float> biases = layout.Biases(parameters, last);
        int t = biases.Length;
        for (int k = 0; k < weights.Length; k++)
        {
            weights[k] = (float)(weights[k] / _std[k % t]);
        }

        for (int o = 0; o < t; o++)
        {
            biases[o] = (float)((biases[o] - _mean[o]) / _std[o]);
        }
    }
}
