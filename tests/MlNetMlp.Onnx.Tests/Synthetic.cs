using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.Onnx.Tests;

/// <summary>A small mixed table: a float with missing values, a float, a text category, and a label for each task.</summary>
internal static class Synthetic
{
    public sealed class Row
    {
        public float X1 { get; set; }

        public float X2 { get; set; }

        public string Color { get; set; } = string.Empty;

        public bool BinaryLabel { get; set; }

        public string ClassLabel { get; set; } = string.Empty;

        public float RegressionLabel { get; set; }
    }

    public sealed class SparseRow
    {
        [VectorType(Width)]
        public VBuffer<float> Features { get; set; }

        public bool BinaryLabel { get; set; }

        public uint ClassLabel { get; set; }

        public float RegressionLabel { get; set; }
    }

    public const int Width = 24;

    private static readonly string[] Colors = ["red", "green", "blue", "black"];

    public static IDataView Table(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<Row>();
        for (int i = 0; i < rows; i++)
        {
            float x1 = (float)((random.NextDouble() * 4) - 2);
            float x2 = (float)((random.NextDouble() * 10) + 5);
            int color = random.Next(Colors.Length);
            double t = x1 + (0.2 * (x2 - 10)) + (color == 1 ? 1 : color == 2 ? -1 : 0) + (0.3 * random.NextDouble());
            list.Add(new Row
            {
                X1 = x1,
                X2 = random.NextDouble() < 0.15 ? float.NaN : x2,
                Color = Colors[color],
                BinaryLabel = t > 0,
                ClassLabel = t < -1 ? "low" : t < 1 ? "mid" : "high",
                RegressionLabel = (float)(3 * t),
            });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    /// <summary>Sparse feature vectors (about one value in six set), as ML.NET's sparse VBuffer.</summary>
    public static IDataView Sparse(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<SparseRow>();
        for (int i = 0; i < rows; i++)
        {
            var indices = Enumerable.Range(0, Width).Where(_ => random.NextDouble() < 0.17).ToArray();
            var values = indices.Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            double t = indices.Zip(values, (j, v) => (j % 3 == 0 ? 1 : -0.5) * v).Sum();
            list.Add(new SparseRow
            {
                Features = new VBuffer<float>(Width, indices.Length, values, indices),
                BinaryLabel = t > 0,
                ClassLabel = t < -0.3 ? 1u : t < 0.3 ? 2u : 3u,
                RegressionLabel = (float)t,
            });
        }

        return ml.Data.LoadFromEnumerable(list);
    }
}
