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
    /// <summary>Below, at and around the register blocks (4 rows; 8, 16, 32 and 64 columns), and a few large ones.</summary>
    private static readonly int[] Sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 129, 257, 300];

    private static readonly (int M, int K, int N)[] TrainingShapes =
        [(256, 100, 256), (256, 256, 128), (256, 128, 10), (32, 20, 100), (32, 100, 50), (32, 50, 1), (1, 64, 128), (1, 128, 64), (1, 64, 10), (300, 257, 129)];

    public static IEnumerable<object[]> Activations() => Enum.GetValues<Activation>().Select(a => new object[] { a });

    [Fact]
    public void ProductsEqualTheReferenceBitForBitOnRandomAndTrainingShapes()
    {
        var random = new Random(7);
        var shapes = new List<(int M, int K, int N)>();
        for (int t = 0; t < 300; t++)
        {
            shapes.Add((Sizes[random.Next(Sizes.Length)], Sizes[random.Next(Sizes.Length)], Sizes[random.Next(Sizes.Length)]));
        }

        shapes.AddRange(TrainingShapes);
        foreach ((int m, int k, int n) in shapes)
        {
            float[] a = Fill(random, m * k), b = Fill(random, k * n), bias = Fill(random, n), dout = Fill(random, m * n);
            float[] expected = new float[m * n], actual = Poisoned(m * n);
            GemmReference.MultiplyAddBias(a, b, bias, expected, m, k, n);
            fixed (float* pa = a, pb = b, pbias = bias, pc = actual)
            {
                Gemm.Forward(pa, k, pb, n, pbias, pc, n, m, k, n, Activation.Identity);
            }

            AssertSameBits("Forward (identity)", expected, actual, m, k, n);

            float[] start = Fill(random, k * n);
            expected = (float[])start.Clone();
            actual = (float[])start.Clone();
            GemmReference.AccumulateTransposeA(a, dout, expected, m, k, n);
            fixed (float* pa = a, pd = dout, pc = actual)
            {
                Gemm.WeightGradientRows(pa, k, pd, n, pc, n, m, n, 0, k);
            }

            AssertSameBits("WeightGradientRows (accumulate)", expected, actual, m, k, n);

            expected = new float[k * n];
            GemmReference.AccumulateTransposeA(a, dout, expected, m, k, n);
            actual = Poisoned(k * n);
            fixed (float* pa = a, pd = dout, pc = actual)
            {
                Gemm.WeightGradientRows(pa, k, pd, n, pc, n, m, n, 0, k, accumulate: false);
            }

            AssertSameBits("WeightGradientRows (overwrite)", expected, actual, m, k, n);

            // dinp (m,k) = dout (m,n) · weightᵀ with weight (k,n), given to the kernel transposed as (n,k).
            float[] weightTransposed = Transpose(b, k, n);
            expected = new float[m * k];
            GemmReference.MultiplyTransposeB(dout, b, expected, m, n, k);
            actual = Poisoned(m * k);
            float[] z = Fill(random, m * k);
            fixed (float* pd = dout, pw = weightTransposed, pz = z, pc = actual)
            {
                Gemm.InputGradient(pd, n, pw, k, pz, k, pc, k, m, n, k, new HiddenActivation(Activation.Identity, 0.01f, 1f));
            }

            AssertSameBits("InputGradient (identity)", expected, actual, m, k, n);
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void FusedEpiloguesEqualTheProductFollowedByTheActivation(Activation kind)
    {
        var random = new Random(11 + (int)kind);
        var activation = new HiddenActivation(kind, 0.07f, 0.8f);
        foreach ((int m, int k, int n) in TrainingShapes.Concat([(5, 3, 17), (9, 33, 65), (4, 16, 64)]))
        {
            // Forward: the product, then the activation where the kernel reports it did not fuse it.
            float[] inp = Fill(random, m * k), weight = Fill(random, k * n), bias = Fill(random, n);
            float[] expected = new float[m * n], actual = Poisoned(m * n);
            GemmReference.MultiplyAddBias(inp, weight, bias, expected, m, k, n);
            activation.Forward(expected);
            bool fused;
            fixed (float* pi = inp, pw = weight, pb = bias, po = actual)
            {
                fused = Gemm.Forward(pi, k, pw, n, pb, po, n, m, k, n, kind);
            }

            if (!fused)
            {
                activation.Forward(actual);
            }

            AssertSameBits($"Forward ({kind})", expected, actual, m, k, n);

            // Backward: dinp = (dout · weightᵀ) ⊙ f'(z), z being the activation's forward output.
            float[] dout = Fill(random, m * n);
            float[] z = Fill(random, m * k, scale: 3);
            activation.Forward(z);
            float[] weightTransposed = Transpose(weight, k, n);
            expected = new float[m * k];
            GemmReference.MultiplyTransposeB(dout, weight, expected, m, n, k);
            for (int i = 0; i < m; i++)
            {
                activation.Backward(z.AsSpan(i * k, k), expected.AsSpan(i * k, k));
            }

            actual = Poisoned(m * k);
            fixed (float* pd = dout, pw = weightTransposed, pz = z, pc = actual)
            {
                Gemm.InputGradient(pd, n, pw, k, pz, k, pc, k, m, n, k, activation);
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

    private static float[] Transpose(float[] source, int rows, int cols)
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
