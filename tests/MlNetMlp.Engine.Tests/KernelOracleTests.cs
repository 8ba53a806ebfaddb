using System;
using System.Collections.Generic;
using System.Linq;
using MlNetMlp.Engine.Kernels;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Bit-for-bit checks of the kernels against their scalar specifications, through the entry points the trainer and
/// the predictor call. <see cref="GemmReference"/> promises that every element is one chain of fused multiply-adds
/// in ascending order of the summed index, which is what the vector kernels compute, so the products and their
/// fused epilogues must agree to the bit on whatever instruction set runs (tests/run runs this suite with AVX-512
/// and with AVX2 disabled too). The optimizer steps promise the bits of their scalar expressions.
/// </summary>
public unsafe class KernelOracleTests
{
    /// <summary>Below, at and around the 4- and 8-row and 8-, 16- and 32-column register blocks, and 0.</summary>
    private static readonly int[] SmallSizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 31, 32, 33, 40];

    /// <summary>Partners for the large sizes: every combination of all three would cost seconds in the reference.</summary>
    private static readonly int[] PartnerSizes = [0, 1, 3, 8, 17, 33];

    /// <summary>Past the 256-deep blocks, the 32-row packing and the 64-row padded remainders.</summary>
    private static readonly int[] LargeSizes = [100, 257, 300];

    /// <summary>The shapes the benchmark workloads train and predict with.</summary>
    private static readonly (int M, int K, int N)[] TrainingShapes =
        [(256, 100, 256), (256, 256, 128), (256, 128, 10), (32, 20, 100), (32, 100, 50), (32, 50, 1), (1, 64, 128), (1, 128, 64), (1, 64, 10), (300, 257, 129), (257, 257, 257)];

    public static IEnumerable<object[]> Activations() => Enum.GetValues<Activation>().Select(a => new object[] { a });

    [Fact]
    public void ProductsEqualTheReferenceBitForBitOnEveryShape()
    {
        var random = new Random(7);
        int checkedShapes = 0;
        foreach ((int m, int k, int n) in Shapes())
        {
            float[] a = Fill(random, m * k), b = Fill(random, k * n), bias = Fill(random, n), dout = Fill(random, m * n);
            float[] expected = new float[m * n], actual = Poisoned(m * n);
            fixed (float* pa = a, pb = b, pbias = bias, pe = expected, pc = actual)
            {
                GemmReference.MultiplyAddBias(pa, k, pb, n, pbias, pe, n, m, k, n);
                Gemm.Forward(pa, k, pb, n, pbias, pc, n, m, k, n, default(NoEpilogue));
            }

            AssertSameBits("Forward (identity)", expected, actual, m, k, n);

            // dweight (k,n) += inpᵀ · dout, accumulating onto a start value and overwriting.
            float[] start = Fill(random, k * n);
            expected = (float[])start.Clone();
            actual = (float[])start.Clone();
            fixed (float* pa = a, pd = dout, pe = expected, pc = actual)
            {
                GemmReference.AccumulateTransposeA(pa, k, pd, n, pe, n, m, n, 0, k);
                Gemm.WeightGradientRows(pa, k, pd, n, pc, n, m, n, 0, k);
            }

            AssertSameBits("WeightGradientRows (accumulate)", expected, actual, m, k, n);

            expected = new float[k * n];
            actual = Poisoned(k * n);
            fixed (float* pa = a, pd = dout, pe = expected, pc = actual)
            {
                GemmReference.AccumulateTransposeA(pa, k, pd, n, pe, n, m, n, 0, k);
                Gemm.WeightGradientRows(pa, k, pd, n, pc, n, m, n, 0, k, accumulate: false);
            }

            AssertSameBits("WeightGradientRows (overwrite)", expected, actual, m, k, n);

            // dinp (m,k) = dout (m,n) · weightᵀ with weight (k,n), given to both transposed as (n,k).
            float[] weightTransposed = TransposeOf(b, k, n);
            float[] z = Fill(random, m * k);
            expected = new float[m * k];
            actual = Poisoned(m * k);
            fixed (float* pd = dout, pw = weightTransposed, pz = z, pe = expected, pc = actual)
            {
                GemmReference.MultiplyRows(pd, n, pw, k, pe, k, m, n, k);
                Gemm.InputGradient(pd, n, pw, k, pz, k, pc, k, m, n, k, default(NoEpilogue));
            }

            AssertSameBits("InputGradient (identity)", expected, actual, m, k, n);
            checkedShapes++;
        }

        Assert.Equal((SmallSizes.Length * SmallSizes.Length * SmallSizes.Length) + (LargeSizes.Length * 3 * PartnerSizes.Length * PartnerSizes.Length) + TrainingShapes.Length, checkedShapes);
    }

    [Fact]
    public void ColumnSumsAddTheRowsInOrder()
    {
        var random = new Random(3);
        foreach (int m in SmallSizes.Concat(LargeSizes))
        {
            foreach (int n in SmallSizes.Concat(LargeSizes))
            {
                float[] b = Fill(random, m * n), sums = Fill(random, n);
                float[] expected = (float[])sums.Clone();
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        expected[j] += b[(i * n) + j];
                    }
                }

                fixed (float* pb = b, ps = sums)
                {
                    ColumnSums.Accumulate(pb, n, m, ps, 0, n);
                }

                AssertSameBits("ColumnSums", expected, sums, m, 0, n);
            }
        }
    }

    [Fact]
    public void TransposeMovesEveryElement()
    {
        var random = new Random(4);
        foreach (int rows in SmallSizes.Concat(LargeSizes))
        {
            foreach (int cols in SmallSizes)
            {
                float[] source = Fill(random, rows * cols), actual = Poisoned(rows * cols);
                fixed (float* ps = source, pd = actual)
                {
                    Transpose.Rows(ps, cols, cols, pd, rows, 0, rows);
                }

                AssertSameBits("Transpose", TransposeOf(source, rows, cols), actual, rows, cols, 0);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void EachActivationsFusedProductsEqualTheProductFollowedByItsSeparatePass(Activation kind) =>
        CheckFusedProducts(new HiddenActivation(kind, 0.07f, 0.8f), kind.ToString(), 11 + (int)kind);

    /// <summary>The fused forward and input-gradient products of <paramref name="activation"/> against the product followed by its separate pass, bit for bit.</summary>
    internal static void CheckFusedProducts(HiddenActivation activation, string kind, int seed)
    {
        var random = new Random(seed);
        foreach ((int m, int k, int n) in TrainingShapes.Concat([(5, 3, 17), (9, 33, 65), (4, 16, 64), (40, 31, 23), (64, 300, 33)]))
        {
            // Forward: the product, then the activation where the kernel reports it did not fuse it.
            float[] inp = Fill(random, m * k), weight = Fill(random, k * n), bias = Fill(random, n);
            float[] expected = new float[m * n], actual = Poisoned(m * n);
            bool fused;
            fixed (float* pi = inp, pw = weight, pb = bias, pe = expected, po = actual)
            {
                GemmReference.MultiplyAddBias(pi, k, pw, n, pb, pe, n, m, k, n);
                fused = activation.Function.ForwardProduct(pi, k, pw, n, pb, po, n, m, k, n);
            }

            activation.Forward(expected);

            if (!fused)
            {
                activation.Forward(actual);
            }

            AssertSameBits($"Forward ({kind})", expected, actual, m, k, n);

            // Backward: dinp = (dout · weightᵀ) ⊙ f'(z), z being the activation's forward output.
            float[] dout = Fill(random, m * n);
            float[] z = Fill(random, m * k, scale: 3);
            activation.Forward(z);
            float[] weightTransposed = TransposeOf(weight, k, n);
            expected = new float[m * k];
            fixed (float* pd = dout, pw = weightTransposed, pe = expected)
            {
                GemmReference.MultiplyRows(pd, n, pw, k, pe, k, m, n, k);
            }

            for (int i = 0; i < m; i++)
            {
                activation.Backward(z.AsSpan(i * k, k), expected.AsSpan(i * k, k));
            }

            actual = Poisoned(m * k);
            fixed (float* pd = dout, pw = weightTransposed, pz = z, pc = actual)
            {
                activation.Function.InputGradient(pd, n, pw, k, pz, k, pc, k, m, n, k);
            }

            AssertSameBits($"InputGradient ({kind})", expected, actual, m, k, n);
        }
    }

    [Fact]
    public void AdamStepEqualsItsScalarExpressionForEveryLengthUpTo256()
    {
        var random = new Random(5);
        for (int length = 0; length <= 256; length++)
        {
            (float[] p, float[] g, float[] m, float[] v) = OptimizerOperands(random, length);
            float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
            AdamOptimizer.AdamStep(p, g, m, v, 0.9, 0.999, 1e-3f, 1e-8f);

            float beta1 = 0.9f, beta2 = 0.999f, c1 = (float)(1 - 0.9), c2 = (float)(1 - 0.999);
            for (int i = 0; i < length; i++)
            {
                float gi = g[i];
                float mi = FlushDenormal((beta1 * m2[i]) + (c1 * gi));
                float vi = FlushDenormal((beta2 * v2[i]) + (c2 * gi * gi));
                m2[i] = mi;
                v2[i] = vi;
                p2[i] = FlushTiny(p2[i] - (1e-3f * mi / (MathF.Sqrt(vi) + 1e-8f)));
            }

            AssertSameBits("AdamStep parameters", p2, p, length, 0, 0);
            AssertSameBits("AdamStep first moment", m2, m, length, 0, 0);
            AssertSameBits("AdamStep second moment", v2, v, length, 0, 0);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SgdStepEqualsItsScalarExpressionForEveryLengthUpTo256(bool nesterov)
    {
        var random = new Random(nesterov ? 9 : 8);
        for (int length = 0; length <= 256; length++)
        {
            (float[] q, float[] g, float[] u, _) = OptimizerOperands(random, length);
            float[] q2 = (float[])q.Clone(), u2 = (float[])u.Clone();
            SgdOptimizer.SgdStep(q, g, u, 0.9f, 0.01f, nesterov);
            for (int i = 0; i < length; i++)
            {
                float lg = 0.01f * g[i];
                float ui = FlushDenormal((0.9f * u2[i]) - lg);
                u2[i] = ui;
                q2[i] = FlushTiny(q2[i] + (nesterov ? (0.9f * ui) - lg : ui));
            }

            AssertSameBits("SgdStep parameters", q2, q, length, 0, 0);
            AssertSameBits("SgdStep velocity", u2, u, length, 0, 0);
        }
    }

    [Fact]
    public void PenaltyScaleAndScaleEqualTheirScalarExpressionsForEveryLengthUpTo256()
    {
        var random = new Random(6);
        for (int length = 0; length <= 256; length++)
        {
            float[] w = Fill(random, length), g = Fill(random, length);
            float[] expected = new float[length];
            for (int i = 0; i < length; i++)
            {
                expected[i] = ((w[i] * 0.37f) + g[i]) * 0.125f;
            }

            VectorMath.AddPenaltyAndScale(w, g, 0.37f, 0.125f);
            AssertSameBits("AddPenaltyAndScale", expected, g, length, 0, 0);

            float[] v = Fill(random, length);
            expected = v.Select(x => x * 0.3f).ToArray();
            VectorMath.Scale(v, 0.3f);
            AssertSameBits("Scale", expected, v, length, 0, 0);
        }
    }

    /// <summary>Random operands, every seventh element scaled so the moments and steps reach the denormal range.</summary>
    private static (float[] P, float[] G, float[] M, float[] V) OptimizerOperands(Random random, int length)
    {
        float[] p = Fill(random, length), g = Fill(random, length), m = Fill(random, length), v = Fill(random, length);
        for (int i = 0; i < length; i++)
        {
            v[i] = Math.Abs(v[i]);
            if (i % 7 == 3)
            {
                m[i] *= 1e-37f;
                g[i] *= 1e-30f;
                p[i] *= 1e-30f;
            }
        }

        return (p, g, m, v);
    }

    /// <summary>The optimizers flush results below float's smallest normal to zero, as the vector steps do.</summary>
    private static float FlushDenormal(float x) => MathF.Abs(x) < 1.17549435E-38f ? 0f : x;

    /// <summary>Parameters below 2^-100 are flushed to zero by the steps (they cannot matter next to any update).</summary>
    private static float FlushTiny(float x) => MathF.Abs(x) < 7.88860905E-31f ? 0f : x;

    private static float[] TransposeOf(float[] source, int rows, int cols)
    {
        var result = new float[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                result[(j * rows) + i] = source[(i * cols) + j];
            }
        }

        return result;
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

        foreach ((int M, int K, int N) shape in TrainingShapes)
        {
            yield return shape;
        }
    }

    private static void AssertSameBits(string what, float[] expected, float[] actual, int m, int k, int n)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what} m={m} k={k} n={n} on {InstructionSetTests.VectorPath}: element {i} is {actual[i]:R}, the reference {expected[i]:R}");
            }
        }
    }

    private static float[] Poisoned(int count) => Enumerable.Repeat(float.NaN, count).ToArray();

    private static float[] Fill(Random random, int length, float scale = 1)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }
}
