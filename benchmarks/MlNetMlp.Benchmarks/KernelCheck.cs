using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// A quick bit-for-bit check of the vector kernels against <see cref="GemmReference"/> on odd shapes and thread
/// counts (<c>dotnet run -c Release -- verify</c>); the unit tests in tests/ are the authoritative ones.
/// </summary>
internal static class KernelCheck
{
    public static int Run()
    {
        var random = new Random(7);
        int failures = 0, cases = 0;
        int[] sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 129, 257, 300];
        for (int t = 0; t < 600; t++)
        {
            int m = sizes[random.Next(sizes.Length)];
            int k = sizes[random.Next(sizes.Length)];
            int n = sizes[random.Next(sizes.Length)];
            int threads = 1 + (t % 2);
            failures += Check(random, m, k, n, threads) ? 0 : 1;
            cases++;
        }

        foreach ((int m, int k, int n) in new[] { (256, 100, 256), (256, 256, 128), (256, 128, 10), (32, 20, 100), (32, 100, 50), (32, 50, 1), (1, 64, 128), (1, 128, 64), (1, 64, 10), (600, 700, 530) })
        {
            failures += Check(random, m, k, n, 2) ? 0 : 1;
            cases++;
        }

        failures += CheckOptimizers(random) ? 0 : 1;
        Console.WriteLine($"{cases} shapes, {failures} mismatches");
        return failures == 0 ? 0 : 1;
    }

    private static bool Check(Random random, int m, int k, int n, int threads)
    {
        float[] a = Fill(random, m * k), b = Fill(random, k * n), bias = Fill(random, n), dout = Fill(random, m * n);
        float[] expected = new float[m * n], actual = new float[m * n];
        GemmReference.MultiplyAddBias(a, b, bias, expected, m, k, n);
        Gemm.MultiplyAddBias(a, b, bias, actual, m, k, n, threads);
        bool ok = Same("MultiplyAddBias", expected, actual, m, k, n);

        float[] start = Fill(random, k * n);
        expected = (float[])start.Clone();
        actual = (float[])start.Clone();
        GemmReference.AccumulateTransposeA(a, dout, expected, m, k, n);
        Gemm.AccumulateTransposeA(a, dout, actual, m, k, n, threads);
        ok &= Same("AccumulateTransposeA", expected, actual, m, k, n);

        expected = new float[m * k];
        actual = new float[m * k];
        GemmReference.MultiplyTransposeB(dout, b, expected, m, n, k);
        Gemm.MultiplyTransposeB(dout, b, actual, m, n, k, threads);
        ok &= Same("MultiplyTransposeB", expected, actual, m, k, n);
        return ok;
    }

    /// <summary>The vectorized Adam and SGD steps against their scalar expressions, element by element.</summary>
    private static bool CheckOptimizers(Random random)
    {
        bool ok = true;
        foreach (int length in new[] { 0, 1, 7, 8, 15, 16, 17, 33, 1000, 1001 })
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

            float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
            MlNetMlp.Engine.AdamOptimizer.AdamStep(p, g, m, v, 0.9, 0.999, 1e-3f, 1e-8f);
            float beta1 = 0.9f, beta2 = 0.999f, c1 = (float)(1 - 0.9), c2 = (float)(1 - 0.999);
            for (int i = 0; i < length; i++)
            {
                float gi = g[i];
                float mi = Flush((beta1 * m2[i]) + (c1 * gi));
                float vi = Flush((beta2 * v2[i]) + (c2 * gi * gi));
                m2[i] = mi;
                v2[i] = vi;
                p2[i] = FlushTiny(p2[i] - (1e-3f * mi / (MathF.Sqrt(vi) + 1e-8f)));
            }

            ok &= Same("AdamStep p", p2, p, length, 0, 0) && Same("AdamStep m", m2, m, length, 0, 0) && Same("AdamStep v", v2, v, length, 0, 0);

            foreach (bool nesterov in new[] { false, true })
            {
                float[] q = Fill(random, length), u = Fill(random, length);
                float[] q2 = (float[])q.Clone(), u2 = (float[])u.Clone();
                MlNetMlp.Engine.SgdOptimizer.SgdStep(q, g, u, 0.9f, 0.01f, nesterov);
                for (int i = 0; i < length; i++)
                {
                    float lg = 0.01f * g[i];
                    float ui = Flush((0.9f * u2[i]) - lg);
                    u2[i] = ui;
                    q2[i] = FlushTiny(q2[i] + (nesterov ? (0.9f * ui) - lg : ui));
                }

                ok &= Same("SgdStep p", q2, q, length, 0, 0) && Same("SgdStep velocity", u2, u, length, 0, 0);
            }
        }

        return ok;
    }

    private static float Flush(float x) => MathF.Abs(x) < 1.17549435E-38f ? 0f : x;

    private static float FlushTiny(float x) => MathF.Abs(x) < 7.88860905E-31f ? 0f : x;

    private static bool Same(string what, float[] expected, float[] actual, int m, int k, int n)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Console.WriteLine($"{what} m={m} k={k} n={n}: element {i} expected {expected[i]:R}, got {actual[i]:R}");
                return false;
            }
        }

        return true;
    }

    private static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
