using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine;

namespace MlNetMlp.Engine.Tests;

/// <summary>Small seeded data sets and model comparisons shared by the behaviour tests.</summary>
internal static class Synthetic
{
    /// <summary>
    /// <paramref name="classes"/> Gaussian blobs (unit deviation) whose centres lie <paramref name="separation"/>
    /// apart along successive axes; rows cycle through the classes.
    /// </summary>
    public static MlpDataset Blobs(int seed, int rows, int features, int classes, double separation)
    {
        var random = new Random(seed);
        var x = new float[rows * features];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            int c = i % classes;
            labels[i] = c;
            for (int j = 0; j < features; j++)
            {
                double centre = j == c % features ? separation : 0;
                x[(i * features) + j] = (float)(centre + Gaussian(random));
            }
        }

        return MlpDataset.ForClassification(x, features, labels, classes);
    }

    /// <summary>Targets <c>y_t = Σ_j w_tj x_j + noise</c> with fixed random weights; features standard normal.</summary>
    public static MlpDataset Linear(int seed, int rows, int features, int targets, double noise)
    {
        var random = new Random(seed);
        var weights = new double[targets * features];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (2 * random.NextDouble()) - 1;
        }

        var x = new float[rows * features];
        var y = new float[rows * targets];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < features; j++)
            {
                x[(i * features) + j] = (float)Gaussian(random);
            }

            for (int t = 0; t < targets; t++)
            {
                double sum = noise * Gaussian(random);
                for (int j = 0; j < features; j++)
                {
                    sum += weights[(t * features) + j] * x[(i * features) + j];
                }

                y[(i * targets) + t] = (float)sum;
            }
        }

        return MlpDataset.ForRegression(x, features, y, targets);
    }

    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Float bits, so that comparisons are exact and NaN equals NaN of the same payload.</summary>
    public static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    public static long[] Bits(IReadOnlyList<double> values)
    {
        var result = new long[values.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = BitConverter.DoubleToInt64Bits(values[i]);
        }

        return result;
    }

    /// <summary>The raw outputs of every row of <paramref name="data"/>, scored as one block.</summary>
    public static float[] Scores(MlpModel model, MlpDataset data)
    {
        var scores = new float[data.RowCount * model.OutputCount];
        model.CreatePredictor().ComputeScores(data.Features, data.RowCount, scores);
        return scores;
    }

    /// <summary>Accuracy of <paramref name="model"/> on the given rows of <paramref name="data"/>.</summary>
    public static double Accuracy(MlpModel model, MlpDataset data, int[]? rows = null)
    {
        rows ??= Enumerable.Range(0, data.RowCount).ToArray();
        MlpPredictor predictor = model.CreatePredictor();
        int d = data.FeatureCount;
        int correct = 0;
        foreach (int row in rows)
        {
            correct += predictor.PredictClass(data.Features.AsSpan(row * d, d)) == data.Labels![row] ? 1 : 0;
        }

        return (double)correct / rows.Length;
    }
}
