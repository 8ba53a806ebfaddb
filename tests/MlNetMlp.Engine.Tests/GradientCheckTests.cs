using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>The engine's float32 backpropagation against central differences of a double-precision forward pass.</summary>
public class GradientCheckTests
{
    public static IEnumerable<object[]> Cases() =>
        from activation in Enum.GetValues<Activation>()
        from task in new[] { "binary", "multiclass", "regression" }
        select new object[] { activation, task };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AnalyticGradientMatchesCentralDifferences(Activation activation, string task) =>
        CheckGradient(new HiddenActivation(activation, 0.05f, 0.7f), p => (sizes, data, alpha) => ReferenceMlp.Loss(p, sizes, activation, data, alpha, 0.05f, 0.7f), task, activation.ToString());

    /// <summary>
    /// The backward pass with <paramref name="activation"/> against central differences of <paramref name="reference"/>
    /// (given the parameters, the double-precision loss for the layer sizes, data and L2 strength); the rows train with
    /// <paramref name="head"/> when one is given, with their task's registered head otherwise.
    /// </summary>
    internal static void CheckGradient(HiddenActivation activation, Func<double[], Func<int[], MlpDataset, double, double>> reference, string task, string name, OutputHead? head = null)
    {
        var random = new Random(17);
        int rows = 23, features = 5;
        MlpDataset data = RandomData(random, task, rows, features, weighted: true);
        data = head is null ? data : data.WithHead(head);
        int[] hidden = [7, 4];
        int[] sizes = [features, .. hidden, data.OutputCount];
        var layout = new ParameterLayout(sizes);
        var parameters = new float[layout.Count];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)((random.NextDouble() * 2) - 1);
        }

        const double l2 = 0.3;
        var backprop = new Backprop(layout, activation, capacity: 10, threads: 1);
        var gradient = new float[layout.Count];
        int[] all = Enumerable.Range(0, rows).ToArray();
        double loss = backprop.LossAndGradient(parameters, data, all, l2, gradient);

        double[] p = parameters.Select(v => (double)v).ToArray();
        Assert.Equal(reference(p)(sizes, data, l2), loss, 1e-5);

        double relativeError = RelativeError(q => reference(q)(sizes, data, l2), p, gradient);
        Assert.True(relativeError < 1e-4, $"relative gradient error {relativeError:E3} for {name}/{task}");
    }

    /// <summary>
    /// <c>‖numeric - analytic‖ / ‖numeric‖</c>, the numeric gradient of <paramref name="loss"/> at <paramref name="p"/>
    /// by central differences (step 1e-5), the analytic one <paramref name="gradient"/>. Leaves <paramref name="p"/> as it was.
    /// </summary>
    internal static double RelativeError(Func<double[], double> loss, double[] p, float[] gradient)
    {
        const double h = 1e-5;
        double differenceSquares = 0, normSquares = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double keep = p[i];
            p[i] = keep + h;
            double up = loss(p);
            p[i] = keep - h;
            double down = loss(p);
            p[i] = keep;
            double numeric = (up - down) / (2 * h);
            differenceSquares += (numeric - gradient[i]) * (numeric - gradient[i]);
            normSquares += numeric * numeric;
        }

        return Math.Sqrt(differenceSquares / normSquares);
    }

    internal static MlpDataset RandomData(Random random, string task, int rows, int features, bool weighted)
    {
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 4) - 2);
        }

        float[]? weights = weighted ? Enumerable.Range(0, rows).Select(_ => (float)(0.5 + random.NextDouble())).ToArray() : null;
        return task switch
        {
            "binary" => MlpDataset.ForClassification(x, features, Enumerable.Range(0, rows).Select(i => i % 2).ToArray(), 2, weights),
            "multiclass" => MlpDataset.ForClassification(x, features, Enumerable.Range(0, rows).Select(i => i % 3).ToArray(), 3, weights),
            _ => MlpDataset.ForRegression(x, features, Enumerable.Range(0, rows * 2).Select(_ => (float)random.NextDouble()).ToArray(), 2, weights),
        };
    }
}
