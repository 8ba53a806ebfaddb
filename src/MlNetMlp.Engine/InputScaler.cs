using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Per-feature affine scaling the trainer does itself, <c>x' = (x - center) * factor</c>: the network is trained on
/// scaled copies of the features, and afterwards the scaling is folded into the first layer
/// (<c>W'[i, o] = factor_i W[i, o]</c>, <c>b'_o = b_o - Σ_i center_i factor_i W[i, o]</c>), so the model takes raw
/// features, its format and its predictor do not change, and a missing normalizer in front is no longer a silent
/// loss of accuracy. Statistics are over all training rows (example weights aside), computed serially.
/// </summary>
internal sealed class InputScaler
{
    /// <summary>A normal distribution's interquartile range in standard deviations.</summary>
    private const double NormalIqr = 1.3489795;

    private readonly double[] _center;
    private readonly double[] _factor;

    private InputScaler(double[] center, double[] factor)
    {
        _center = center;
        _factor = factor;
    }

    /// <summary>The statistics of <paramref name="data"/>'s features for <paramref name="scaling"/> (not <see cref="InputScaling.None"/>).</summary>
    public static InputScaler Fit(MlpDataset data, InputScaling scaling)
    {
        int d = data.FeatureCount, n = data.RowCount;
        var center = new double[d];
        var factor = new double[d];
        var column = new float[n];
        float[] x = data.Features;
        for (int j = 0; j < d; j++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = x[((long)i * d) + j];
            }

            (center[j], factor[j]) = scaling == InputScaling.Robust ? Robust(column) : Standard(column);
        }

        return new InputScaler(center, factor);
    }

    /// <summary>A copy of <paramref name="data"/> with scaled features (labels, targets and weights shared).</summary>
    public MlpDataset Scale(MlpDataset data)
    {
        var scaled = new float[data.Features.Length];
        ScaleInto(data.Features, scaled);
        return data.WithFeatures(scaled, data.FeatureCount);
    }

    /// <summary>Scales whole rows of features <paramref name="x"/> into <paramref name="scaled"/> (a streamed block, into a buffer reused block after block).</summary>
    public void ScaleInto(ReadOnlySpan<float> x, Span<float> scaled)
    {
        int d = _center.Length;
        for (int k = 0; k < x.Length; k++)
        {
            int j = k % d;
            scaled[k] = (float)((x[k] - _center[j]) * _factor[j]);
        }
    }

    /// <summary>Folds the scaling into the first layer of <paramref name="parameters"/>, so the network takes raw features.</summary>
    public void Fold(ParameterLayout layout, Span<float> parameters)
    {
        Span<float> weights = layout.Weights(parameters, 0);
        Span<float> biases = layout.Biases(parameters, 0);
        int outputs = biases.Length;
        var shift = new double[outputs];
        for (int i = 0; i < _factor.Length; i++)
        {
            Span<float> row = weights.Slice(i * outputs, outputs);
            for (int o = 0; o < outputs; o++)
            {
                double w = row[o] * _factor[i];
                shift[o] += _center[i] * w;
                row[o] = (float)w;
            }
        }

        for (int o = 0; o < outputs; o++)
        {
            biases[o] = (float)(biases[o] - shift[o]);
        }
    }

    /// <summary>
    /// The inverse of <see cref="Fold"/>, for a model to continue training on scaled features (warm start). A dropped
    /// (constant) feature's weights stay zero.
    /// </summary>
    public void Unfold(ParameterLayout layout, Span<float> parameters)
    {
        Span<float> weights = layout.Weights(parameters, 0);
        Span<float> biases = layout.Biases(parameters, 0);
        int outputs = biases.Length;
        var shift = new double[outputs];
        for (int i = 0; i < _factor.Length; i++)
        {
            Span<float> row = weights.Slice(i * outputs, outputs);
            for (int o = 0; o < outputs; o++)
            {
                shift[o] += _center[i] * row[o];
                row[o] = _factor[i] == 0 ? 0f : (float)(row[o] / _factor[i]);
            }
        }

        for (int o = 0; o < outputs; o++)
        {
            biases[o] = (float)(biases[o] + shift[o]);
        }
    }

    private static (double Center, double Factor) Standard(float[] column)
    {
        double sum = 0;
        foreach (float v in column)
        {
            sum += v;
        }

        double mean = sum / column.Length, squares = 0;
        foreach (float v in column)
        {
            squares += (v - mean) * (v - mean);
        }

        double std = Math.Sqrt(squares / column.Length);
        return (mean, std > 0 ? 1 / std : 0);
    }

    private static (double Center, double Factor) Robust(float[] column)
    {
        Array.Sort(column);
        double median = Quantile(column, 0.5);
        double iqr = Quantile(column, 0.75) - Quantile(column, 0.25);
        if (iqr > 0)
        {
            return (median, NormalIqr / iqr);
        }

        double range = (double)column[^1] - column[0];
        return (median, range > 0 ? 2 / range : 0);
    }

    /// <summary>The <paramref name="q"/> quantile of sorted values, interpolated linearly (numpy's default).</summary>
    private static double Quantile(float[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double t = position - below;
        return sorted[below] + (t * ((double)sorted[above] - sorted[below]));
    }
}
