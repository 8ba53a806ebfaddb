using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// The fast matrix kernels against their naive references over odd shapes, and the predictor's single-row and
/// block paths against each other.
/// </summary>
public class KernelTests
{
    /// <summary>Below, at and around the 4-row and 8/16-column blocks, and 0.</summary>
    private static readonly int[] SmallSizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 31, 32, 33, 40];

    /// <summary>Partners for the large sizes: every combination of all three would cost seconds in the reference.</summary>
    private static readonly int[] PartnerSizes = [0, 1, 3, 8, 17, 33];

    private static readonly int[] LargeSizes = [100, 257];

    /// <summary>
    /// The kernels accumulate in float32 with FMA (the transposed product in 8 lanes), the reference in the same
    /// order or in double; the difference must be within 1e-5 of the sum of the absolute terms.
    /// </summary>
    private const float RelativeTolerance = 1e-5f;

    public static IEnumerable<object[]> KernelNames() => new[] { "MultiplyAddBias", "AccumulateTransposeA", "MultiplyTransposeB" }.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void KernelMatchesReferenceForEveryShape(string kernel)
    {
        var random = new Random(12345);
        int checkedShapes = 0;
        foreach ((int m, int k, int n) in Shapes())
        {
            Check(kernel, m, k, n, random, threads: 1);
            checkedShapes++;
        }

        Assert.Equal((SmallSizes.Length * SmallSizes.Length * SmallSizes.Length) + (LargeSizes.Length * 3 * PartnerSizes.Length * PartnerSizes.Length), checkedShapes);
    }

    [Theory]
    [InlineData("MultiplyAddBias", 257, 257, 257)]
    [InlineData("AccumulateTransposeA", 256, 100, 256)]
    [InlineData("MultiplyTransposeB", 256, 256, 100)]
    [InlineData("MultiplyAddBias", 100, 257, 33)]
    [InlineData("AccumulateTransposeA", 257, 257, 17)]
    [InlineData("MultiplyTransposeB", 257, 33, 257)]
    public void LargeProductsMatchTheReferenceAndDoNotDependOnTheThreadCount(string kernel, int m, int k, int n)
    {
        Assert.True((long)m * k * n >= Gemm.ParallelThreshold, "the shape must be large enough to run in parallel");
        float[] one = Check(kernel, m, k, n, new Random(m + k + n), threads: 1);
        foreach (int threads in new[] { 2, 3, 7 })
        {
            float[] many = Check(kernel, m, k, n, new Random(m + k + n), threads);
            Assert.Equal(Synthetic.Bits(one), Synthetic.Bits(many));
        }
    }

    [Fact]
    public void ColumnSumsMatchTheReferenceExactly()
    {
        var random = new Random(3);
        foreach (int m in SmallSizes)
        {
            foreach (int n in SmallSizes)
            {
                float[] b = RandomValues(random, m * n);
                float[] sums = RandomValues(random, n);
                float[] expected = (float[])sums.Clone();
                GemmReference.AccumulateColumnSums(b, expected, m, n);
                Gemm.AccumulateColumnSums(b, sums, m, n);
                Assert.Equal(Synthetic.Bits(expected), Synthetic.Bits(sums));
            }
        }
    }

    public static IEnumerable<object[]> PredictorCases() =>
        from activation in Enum.GetValues<Activation>()
        from shape in new[] { "odd", "blocked" }
        select new object[] { activation, shape };

    [Theory]
    [MemberData(nameof(PredictorCases))]
    public void SingleRowAndBlockPredictionsAreBitIdentical(Activation activation, string shape)
    {
        // Odd widths take the kernels' tail paths; multiples of 16 the 4 x 16 register blocks. 301 rows make two
        // full 128-row chunks and a 45-row one, which is not a multiple of 4.
        (int inputs, int[] hidden, int outputs) = shape == "odd" ? (13, new[] { 37, 19 }, 3) : (32, new[] { 48, 64 }, 16);
        int rows = 301;
        var random = new Random(99);
        int[] sizes = [inputs, .. hidden, outputs];
        long count = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            count += ((long)sizes[l] * sizes[l + 1]) + sizes[l + 1];
        }

        MlpModel model = MlpModel.FromParameters(MlpTask.MulticlassClassification, inputs, hidden, outputs, activation, RandomValues(random, (int)count), leakyReluSlope: 0.1f, eluAlpha: 0.8f);
        float[] features = RandomValues(random, rows * inputs, scale: 3);
        MlpPredictor predictor = model.CreatePredictor();
        var block = new float[rows * outputs];
        predictor.ComputeScores(features, rows, block);

        var row = new float[outputs];
        for (int i = 0; i < rows; i++)
        {
            predictor.ComputeScores(features.AsSpan(i * inputs, inputs), row);
            Assert.Equal(Synthetic.Bits(block[(i * outputs)..((i + 1) * outputs)]), Synthetic.Bits(row));
        }

        // Blocks split over threads (the "blocked" network is large enough for that) give the same bits.
        foreach (int threads in new[] { 2, 3 })
        {
            var parallel = new float[rows * outputs];
            predictor.ComputeScores(features, rows, parallel, threads);
            Assert.Equal(Synthetic.Bits(block), Synthetic.Bits(parallel));
        }

        // A fresh predictor, and blocks that start at other rows, give the same bits too.
        var tail = new float[(rows - 5) * outputs];
        model.CreatePredictor().ComputeScores(features.AsSpan(5 * inputs), rows - 5, tail);
        Assert.Equal(Synthetic.Bits(block[(5 * outputs)..]), Synthetic.Bits(tail));
    }

    private static IEnumerable<(int M, int K, int N)> Shapes()
    {
        foreach (int m in SmallSizes)
        {
            foreach (int k in SmallSizes)
            {
                foreach (int n in SmallSizes)
                {
                    yield return (m, k, n);
                }
            }
        }

        foreach (int large in LargeSizes)
        {
            foreach (int a in PartnerSizes)
            {
                foreach (int b in PartnerSizes)
                {
                    yield return (large, a, b);
                    yield return (a, large, b);
                    yield return (a, b, large);
                }
            }
        }
    }

    /// <summary>Runs one kernel and its reference on the same random operands, checks them, and returns the kernel's result.</summary>
    private static float[] Check(string kernel, int m, int k, int n, Random random, int threads)
    {
        float[] actual;
        float[] expected;
        float[] magnitude;
        switch (kernel)
        {
            case "MultiplyAddBias":
            {
                // c (m,n) = a (m,k) · b (k,n) + bias
                float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), bias = RandomValues(random, n);
                actual = Poisoned(m * n);
                expected = new float[m * n];
                magnitude = new float[m * n];
                Gemm.MultiplyAddBias(a, b, bias, actual, m, k, n, threads);
                GemmReference.MultiplyAddBias(a, b, bias, expected, m, k, n);
                GemmReference.MultiplyAddBias(Abs(a), Abs(b), Abs(bias), magnitude, m, k, n);
                break;
            }

            case "AccumulateTransposeA":
            {
                // c (k,n) += aᵀ · b, a (m,k), b (m,n)
                float[] a = RandomValues(random, m * k), b = RandomValues(random, m * n), c = RandomValues(random, k * n);
                actual = (float[])c.Clone();
                expected = (float[])c.Clone();
                magnitude = Abs(c);
                Gemm.AccumulateTransposeA(a, b, actual, m, k, n, threads);
                GemmReference.AccumulateTransposeA(a, b, expected, m, k, n);
                GemmReference.AccumulateTransposeA(Abs(a), Abs(b), magnitude, m, k, n);
                break;
            }

            default:
            {
                // c (m,k) = a (m,n) · bᵀ, b (k,n); the loop sizes are (m, n, k) in this kernel's argument order.
                float[] a = RandomValues(random, m * n), b = RandomValues(random, k * n);
                actual = Poisoned(m * k);
                expected = new float[m * k];
                magnitude = new float[m * k];
                Gemm.MultiplyTransposeB(a, b, actual, m, n, k, threads);
                GemmReference.MultiplyTransposeB(a, b, expected, m, n, k);
                GemmReference.MultiplyTransposeB(Abs(a), Abs(b), magnitude, m, n, k);
                break;
            }
        }

        for (int i = 0; i < actual.Length; i++)
        {
            float allowed = (RelativeTolerance * magnitude[i]) + 1e-30f;
            if (!(Math.Abs(actual[i] - expected[i]) <= allowed))
            {
                Assert.Fail($"{kernel} m={m} k={k} n={n} threads={threads}: element {i} is {actual[i]:R}, the reference {expected[i]:R} (allowed difference {allowed:E2})");
            }
        }

        return actual;
    }

    private static float[] RandomValues(Random random, int count, float scale = 1)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * scale);
        }

        return values;
    }

    /// <summary>An output buffer full of NaN, so an element the kernel forgets to write fails the comparison.</summary>
    private static float[] Poisoned(int count) => Enumerable.Repeat(float.NaN, count).ToArray();

    private static float[] Abs(float[] values) => values.Select(Math.Abs).ToArray();
}
