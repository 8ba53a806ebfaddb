using System;
using MlNetMlp.Engine;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// A deliberately plain double-precision forward pass and loss, written from the definitions, used as the
/// oracle for the engine's float32 gradients. Parameters use the engine's flat layout: all weights
/// (layer by layer, (in, out) row-major) then all biases.
/// </summary>
internal static class ReferenceMlp
{
    public static double Loss(double[] p, int[] sizes, Activation activation, MlpDataset data, double alpha, float slope = 0.01f, float eluAlpha = 1f) =>
        Loss(p, sizes, x => Activate(activation, x, slope, eluAlpha), data, alpha);

    /// <summary>
    /// The loss with the hidden activation given as its function (for one that is not in <see cref="Activation"/>), and
    /// optionally one row's output loss <c>(outputs, data, row)</c> in place of the task's (for a head that is not registered),
    /// and a factor <c>(row, hidden layer from 1, unit)</c> each hidden activation is multiplied by (a dropout mask).
    /// </summary>
    public static double Loss(double[] p, int[] sizes, Func<double, double> activate, MlpDataset data, double alpha, Func<double[], MlpDataset, int, double>? rowLoss = null, Func<int, int, int, double>? unitFactor = null)
    {
        int layers = sizes.Length - 1;
        int n = data.RowCount;
        double total = 0;
        for (int row = 0; row < n; row++)
        {
            double[] a = new double[sizes[0]];
            for (int j = 0; j < a.Length; j++)
            {
                a[j] = data.Features[(row * sizes[0]) + j];
            }

            int weightOffset = 0;
            int biasOffset = WeightCount(sizes);
            for (int l = 0; l < layers; l++)
            {
                var z = new double[sizes[l + 1]];
                for (int o = 0; o < z.Length; o++)
                {
                    double s = p[biasOffset + o];
                    for (int i = 0; i < a.Length; i++)
                    {
                        s += a[i] * p[weightOffset + (i * z.Length) + o];
                    }

                    z[o] = l + 1 < layers ? activate(s) * (unitFactor?.Invoke(row, l + 1, o) ?? 1) : s;
                }

                weightOffset += sizes[l] * sizes[l + 1];
                biasOffset += sizes[l + 1];
                a = z;
            }

            double loss = rowLoss?.Invoke(a, data, row) ?? data.Task switch
            {
                MlpTask.BinaryClassification => -((data.Labels![row] * Math.Log(Sigmoid(a[0]))) + ((1 - data.Labels[row]) * Math.Log(1 - Sigmoid(a[0])))),
                MlpTask.MulticlassClassification => -Math.Log(Softmax(a)[data.Labels![row]]),
                _ => SquaredError(a, data, row),
            };
            total += loss * (data.Weights?[row] ?? 1f);
        }

        double squares = 0;
        for (int i = 0; i < WeightCount(sizes); i++)
        {
            squares += p[i] * p[i];
        }

        return (total + (0.5 * alpha * squares)) / n;
    }

    public static int WeightCount(int[] sizes)
    {
        int count = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            count += sizes[l] * sizes[l + 1];
        }

        return count;
    }

    private static double SquaredError(double[] a, MlpDataset data, int row)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double d = a[j] - data.Targets![(row * a.Length) + j];
            sum += d * d;
        }

        return 0.5 * sum;
    }

    private static double Activate(Activation activation, double x, float slope, float eluAlpha) => activation switch
    {
        Activation.Identity => x,
        Activation.Logistic => Sigmoid(x),
        Activation.Tanh => Math.Tanh(x),
        Activation.Relu => Math.Max(0, x),
        Activation.LeakyRelu => x > 0 ? x : slope * x,
        Activation.Elu => x > 0 ? x : eluAlpha * (Math.Exp(x) - 1),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static double[] Softmax(double[] z)
    {
        double max = double.NegativeInfinity;
        foreach (double v in z)
        {
            max = Math.Max(max, v);
        }

        var e = new double[z.Length];
        double sum = 0;
        for (int i = 0; i < z.Length; i++)
        {
            e[i] = Math.Exp(z[i] - max);
            sum += e[i];
        }

        for (int i = 0; i < z.Length; i++)
        {
            e[i] /= sum;
        }

        return e;
    }
}
