using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// The three products through the engine's own entry points (<see cref="Gemm.Forward"/>,
/// <see cref="Gemm.WeightGradientRows"/>, <see cref="Gemm.InputGradient"/>) on plain arrays, for timing. Several
/// threads split the output rows in chunks over the engine's <see cref="WorkerPool"/>, as the backward pass does.
/// </summary>
internal static unsafe class Products
{
    /// <summary><c>c (m,n) = a (m,k) · b (k,n) + bias</c>.</summary>
    public static void Forward(float[] a, float[] b, float[] bias, float[] c, int m, int k, int n, int threads) =>
        Split(m, (long)k * n, threads, (r0, r1) =>
        {
            fixed (float* pa = a, pb = b, pbias = bias, pc = c)
            {
                Gemm.Forward(pa + ((long)r0 * k), k, pb, n, pbias, pc + ((long)r0 * n), n, r1 - r0, k, n, default(NoEpilogue));
            }
        });

    /// <summary><c>dweight (k,n) += aᵀ · dout</c> with <c>a (m,k)</c>, <c>dout (m,n)</c>.</summary>
    public static void WeightGradient(float[] a, float[] dout, float[] dweight, int m, int k, int n, int threads) =>
        Split(k, (long)m * n, threads, (p0, p1) =>
        {
            fixed (float* pa = a, pd = dout, pw = dweight)
            {
                Gemm.WeightGradientRows(pa, k, pd, n, pw, n, m, n, p0, p1);
            }
        });

    /// <summary><c>dinp (m,k) = dout (m,n) · weightᵀ</c>, the weight (k,n) given transposed as <c>weightT (n,k)</c> (the trainer transposes once per mini-batch).</summary>
    public static void InputGradient(float[] dout, float[] weightT, float[] dinp, int m, int n, int k, int threads) =>
        Split(m, (long)n * k, threads, (r0, r1) =>
        {
            fixed (float* pd = dout, pw = weightT, pi = dinp)
            {
                float* rows = pi + ((long)r0 * k);
                Gemm.InputGradient(pd + ((long)r0 * n), n, pw, k, rows, k, rows, k, r1 - r0, n, k, default(NoEpilogue));
            }
        });

    /// <summary><c>weightT (n,k)</c> from <c>weight (k,n)</c>.</summary>
    public static float[] Transposed(float[] weight, int k, int n)
    {
        var result = new float[k * n];
        fixed (float* pw = weight, pt = result)
        {
            Transpose.Rows(pw, n, n, pt, k, 0, k);
        }

        return result;
    }

    private static void Split(int rows, long rowWork, int threads, Action<int, int> range)
    {
        int chunkRows = Math.Max(8, Math.Min(rowWork >= 65536 ? 256 : 32, (rows / 4) & ~7));
        int chunks = (rows + chunkRows - 1) / chunkRows;
        if (threads <= 1 || chunks <= 1)
        {
            range(0, rows);
            return;
        }

        WorkerPool.For(new Chunks(range, rows, chunkRows), chunks, threads);
    }

    private sealed class Chunks(Action<int, int> range, int rows, int chunkRows) : IParallelWork
    {
        public void Execute(int chunk)
        {
            int r0 = chunk * chunkRows;
            range(r0, Math.Min(r0 + chunkRows, rows));
        }
    }
}
