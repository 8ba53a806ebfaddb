using System;
using System.Collections.Generic;

namespace MlNetMlp.Engine;

/// <summary>
/// Piecewise-linear encoding of the features (Gorishniy, Rubachev and Babenko, "On Embeddings for Numerical Features
/// in Tabular Deep Learning", NeurIPS 2022): feature j with bin edges <c>e_0 &lt; ... &lt; e_T</c> (training quantiles,
/// or its distinct values where it has few) becomes T values, <c>z_t = (x - e_t) / (e_t+1 - e_t)</c> clamped to
/// [0, 1], except that the first bin is not clamped below and the last not above (so values outside the training
/// range extrapolate linearly); a feature with one bin (two distinct values, such as a one-hot slot) gives
/// <c>max(0, z)</c>. The network then sees where a value lies between quantiles, which lets it fit threshold-like
/// effects (capital gain on census data) that a linear first layer on the raw value cannot.
/// <para>
/// The network is trained on the encoded features; afterwards the encoding becomes an ordinary relu layer in front
/// (<see cref="Compose"/>), since <c>clamp(z, 0, 1) = relu(z) - relu(z - 1)</c>, <c>min(1, z) = 1 - relu(1 - z)</c>
/// and <c>max(0, z) = relu(z)</c>: one relu unit per edge side, with fixed weights, and the trained first layer's
/// rows multiplied out onto them. So the model stays a plain multilayer perceptron (format, predictor and exports
/// unchanged) that takes raw features. Needs relu hidden layers.
/// </para>
/// </summary>
internal sealed class PiecewiseLinearEncoder
{
    /// <summary>Training rows per edge below which a discrete feature's distinct values are not all used as edges.</summary>
    internal const int RowsPerDistinctEdge = 64;

    private readonly int _inputs;
    private readonly double[][] _edges;
    private readonly int[] _offsets;

    private PiecewiseLinearEncoder(int inputs, double[][] edges)
    {
        _inputs = inputs;
        _edges = edges;
        _offsets = new int[inputs + 1];
        for (int j = 0; j < inputs; j++)
        {
            _offsets[j + 1] = _offsets[j] + Bins(j);
        }
    }

    /// <summary>Width of the encoded features.</summary>
    public int Width => _offsets[_inputs];

    /// <summary>
    /// Bin edges of every feature from <paramref name="data"/>: a feature with at most
    /// <c>max(bins + 1, min(distinctValues, rows / 64))</c> distinct values gets them all as edges (a bin between each
    /// pair of neighbours: every threshold a tree could place; on small data sets only as many as keep about 64 rows
    /// per edge, so rare values are not fitted one by one), any other at most <paramref name="bins"/> quantile bins;
    /// a constant feature none.
    /// </summary>
    public static PiecewiseLinearEncoder Fit(MlpDataset data, int bins, int distinctValues = 0)
    {
        int exact = Math.Max(bins + 1, Math.Min(distinctValues, data.RowCount / RowsPerDistinctEdge));
        int d = data.FeatureCount, n = data.RowCount;
        var edges = new double[d][];
        var column = new float[n];
        float[] x = data.Features;
        var distinct = new List<double>();
        for (int j = 0; j < d; j++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = x[((long)i * d) + j];
            }

            Array.Sort(column);
            distinct.Clear();
            foreach (float v in column)
            {
                if (distinct.Count == 0 || v > distinct[^1])
                {
                    distinct.Add(v);
                    if (distinct.Count > exact)
                    {
                        break;
                    }
                }
            }

            if (distinct.Count <= exact)
            {
                edges[j] = distinct.Count < 2 ? [] : [.. distinct];
                continue;
            }

            var quantiles = new List<double>(bins + 1);
            for (int k = 0; k <= bins; k++)
            {
                double q = column[(int)Math.Round((double)k * (n - 1) / bins)];
                if (quantiles.Count == 0 || q > quantiles[^1])
                {
                    quantiles.Add(q);
                }
            }

            edges[j] = [.. quantiles];
        }

        return new PiecewiseLinearEncoder(d, edges);
    }

    /// <summary>A copy of <paramref name="data"/> with encoded features (labels, targets and weights shared).</summary>
    public MlpDataset Encode(MlpDataset data)
    {
        var encoded = new float[(long)data.RowCount * Width];
        EncodeInto(data.Features, data.RowCount, encoded);
        return data.WithFeatures(encoded, Width);
    }

    /// <summary>Encodes <paramref name="n"/> rows of raw features <c>x (n, inputs)</c> into <c>encoded (n, Width)</c> (a streamed block, into a buffer reused block after block).</summary>
    public void EncodeInto(ReadOnlySpan<float> x, int n, Span<float> encoded)
    {
        int d = _inputs, width = Width;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double[] e = _edges[j];
                int bins = e.Length - 1;
                double value = x[(i * d) + j];
                for (int t = 0; t < bins; t++)
                {
                    double z = (value - e[t]) / (e[t + 1] - e[t]);
                    double v = bins == 1 || t == bins - 1 ? Math.Max(0, z) : t == 0 ? Math.Min(1, z) : Math.Clamp(z, 0, 1);
                    encoded[(i * width) + _offsets[j] + t] = (float)v;
                }
            }
        }
    }

    /// <summary>
    /// The network that takes raw features: a fixed relu layer computing the encoding's pieces, then
    /// <paramref name="trained"/>'s layers, its first layer's rows multiplied out onto the pieces.
    /// </summary>
    public MlpModel Compose(MlpModel trained)
    {
        // Each relu unit: relu(slope * x_j + offset), entering encoded column t with sign; a first bin adds a constant 1.
        var feature = new List<int>();
        var slope = new List<double>();
        var offset = new List<double>();
        var column = new List<int>();
        var sign = new List<double>();
        var constant = new double[Width];
        for (int j = 0; j < _inputs; j++)
        {
            double[] e = _edges[j];
            int bins = e.Length - 1;
            for (int t = 0; t < bins; t++)
            {
                double w = e[t + 1] - e[t];
                int c = _offsets[j] + t;
                void Unit(double a, double b, double s)
                {
                    feature.Add(j);
                    slope.Add(a);
                    offset.Add(b);
                    column.Add(c);
                    sign.Add(s);
                }

                if (bins == 1 || t == bins - 1)
                {
                    Unit(1 / w, -e[t] / w, 1);
                }
                else if (t == 0)
                {
                    Unit(-1 / w, (e[t] / w) + 1, -1);
                    constant[c] = 1;
                }
                else
                {
                    Unit(1 / w, -e[t] / w, 1);
                    Unit(1 / w, (-e[t] / w) - 1, -1);
                }
            }
        }

        int units = Math.Max(feature.Count, 1);
        int[] hidden = [units, .. trained.HiddenLayerSizes];
        var model = new MlpModel(trained.Task, _inputs, hidden, trained.OutputCount, trained.ClassCount, trained.HiddenActivation, new float[checked((int)ParameterLayout.CountParameters([_inputs, .. hidden, trained.OutputCount]))], trained.History, trained.OptimizerState);
        Span<float> p = model.Parameters;
        ParameterLayout layout = model.Layout;
        Span<float> w0 = layout.Weights(p, 0);
        Span<float> b0 = layout.Biases(p, 0);
        for (int u = 0; u < feature.Count; u++)
        {
            w0[(feature[u] * units) + u] = (float)slope[u];
            b0[u] = (float)offset[u];
        }

        ReadOnlySpan<float> trainedWeights = trained.Layout.Weights(trained.Parameters, 0);
        ReadOnlySpan<float> trainedBiases = trained.Layout.Biases(trained.Parameters, 0);
        int next = trainedBiases.Length;
        Span<float> w1 = layout.Weights(p, 1);
        Span<float> b1 = layout.Biases(p, 1);
        for (int u = 0; u < feature.Count; u++)
        {
            ReadOnlySpan<float> row = trainedWeights.Slice(column[u] * next, next);
            Span<float> target = w1.Slice(u * next, next);
            for (int o = 0; o < next; o++)
            {
                target[o] = (float)(sign[u] * row[o]);
            }
        }

        for (int o = 0; o < next; o++)
        {
            double b = trainedBiases[o];
            for (int c = 0; c < constant.Length; c++)
            {
                b += constant[c] * trainedWeights[(c * next) + o];
            }

            b1[o] = (float)b;
        }

        for (int l = 1; l < trained.LayerCount; l++)
        {
            trained.Layout.Weights(trained.Parameters, l).CopyTo(layout.Weights(p, l + 1));
            trained.Layout.Biases(trained.Parameters, l).CopyTo(layout.Biases(p, l + 1));
        }

        return model;
    }

    private int Bins(int j) => Math.Max(_edges[j].Length - 1, 0);
}
