using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MlNetMlp.Engine;

namespace MlNetMlp.Engine.Tests;

/// <summary>A CSV table of numbers (and one possibly textual label column) read from the copied data folder.</summary>
internal sealed class Table
{
    public required string[] Header { get; init; }

    public required List<string[]> Rows { get; init; }

    public static Table Read(string fileName, char separator = ',')
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", fileName);
        string[] lines = File.ReadAllLines(path);
        return new Table
        {
            Header = lines[0].Split(separator).Select(h => h.Trim()).ToArray(),
            Rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(separator).Select(v => v.Trim()).ToArray()).ToList(),
        };
    }

    public int Column(string name) => Array.IndexOf(Header, name) is int i and >= 0 ? i : throw new ArgumentException(name);

    /// <summary>Every column but <paramref name="label"/> as a row-major float block.</summary>
    public float[] Features(string label, out int featureCount)
    {
        int labelIndex = Column(label);
        featureCount = Header.Length - 1;
        var result = new float[Rows.Count * featureCount];
        for (int r = 0; r < Rows.Count; r++)
        {
            int c = 0;
            for (int j = 0; j < Header.Length; j++)
            {
                if (j != labelIndex)
                {
                    result[(r * featureCount) + c++] = float.Parse(Rows[r][j], CultureInfo.InvariantCulture);
                }
            }
        }

        return result;
    }

    /// <summary>Label column mapped to class indices in sorted order of the distinct values.</summary>
    public int[] ClassLabels(string label, out int classCount)
    {
        int index = Column(label);
        string[] classes = Rows.Select(r => r[index]).Distinct().OrderBy(v => v, StringComparer.Ordinal).ToArray();
        classCount = classes.Length;
        return Rows.Select(r => Array.IndexOf(classes, r[index])).ToArray();
    }
}

/// <summary>Splits, standardization and scoring helpers for the real-data tests.</summary>
internal static class DataTools
{
    /// <summary>Seeded split of row indices; stratified when labels are given.</summary>
    public static (int[] Train, int[] Test) Split(int rows, double testFraction, int seed, int[]? labels = null)
    {
        var random = new Random(seed);
        var test = new List<int>();
        var train = new List<int>();
        IEnumerable<IGrouping<int, int>> groups = labels is null
            ? Enumerable.Range(0, rows).GroupBy(_ => 0)
            : Enumerable.Range(0, rows).GroupBy(i => labels[i]);
        foreach (var group in groups)
        {
            int[] members = group.OrderBy(_ => random.Next()).ToArray();
            int take = (int)Math.Round(members.Length * testFraction);
            test.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }

        return (train.Order().ToArray(), test.Order().ToArray());
    }

    public static float[] Rows(float[] features, int featureCount, int[] rows)
    {
        var result = new float[rows.Length * featureCount];
        for (int r = 0; r < rows.Length; r++)
        {
            Array.Copy(features, rows[r] * featureCount, result, r * featureCount, featureCount);
        }

        return result;
    }

    public static T[] Pick<T>(T[] values, int[] rows) => rows.Select(r => values[r]).ToArray();

    /// <summary>Standardizes both blocks in place with the mean and (population) deviation of <paramref name="train"/>.</summary>
    public static void Standardize(float[] train, float[] test, int featureCount)
    {
        int n = train.Length / featureCount;
        for (int j = 0; j < featureCount; j++)
        {
            double mean = 0, squares = 0;
            for (int i = 0; i < n; i++)
            {
                mean += train[(i * featureCount) + j];
            }

            mean /= n;
            for (int i = 0; i < n; i++)
            {
                double d = train[(i * featureCount) + j] - mean;
                squares += d * d;
            }

            double scale = Math.Sqrt(squares / n);
            scale = scale > 0 ? scale : 1;
            foreach (float[] block in new[] { train, test })
            {
                for (int i = j; i < block.Length; i += featureCount)
                {
                    block[i] = (float)((block[i] - mean) / scale);
                }
            }
        }
    }

    public static double Accuracy(MlpModel model, float[] features, int[] labels)
    {
        var predictor = model.CreatePredictor();
        int d = model.InputCount;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            correct += predictor.PredictClass(features.AsSpan(i * d, d)) == labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }
}
