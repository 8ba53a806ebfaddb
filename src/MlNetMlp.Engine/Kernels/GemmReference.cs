using System;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// Naive, obviously-correct versions of the <see cref="Gemm"/> kernels: the fallback's specification and
/// the test oracle. All matrices are row-major and dense; the dimension names follow <see cref="Gemm"/>.
/// </summary>
internal static class GemmReference
{
    /// <summary><c>c (m,n) = a (m,k) · b (k,n) + bias (n)</c>, bias broadcast over rows.</summary>
    public static void MultiplyAddBias(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int k, int n)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = bias[j];
                for (int p = 0; p < k; p++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * k) + p], b[(p * n) + j], sum);
                }

                c[(i * n) + j] = sum;
            }
        }
    }

    /// <summary><c>c (k,n) += aᵀ · b</c> with <c>a (m,k)</c>, <c>b (m,n)</c>.</summary>
    public static void AccumulateTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        for (int p = 0; p < k; p++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = c[(p * n) + j];
                for (int i = 0; i < m; i++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * k) + p], b[(i * n) + j], sum);
                }

                c[(p * n) + j] = sum;
            }
        }
    }

    /// <summary><c>c (m,k) = a (m,n) · bᵀ</c> with <c>b (k,n)</c>.</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    sum += (double)a[(i * n) + j] * b[(p * n) + j];
                }

                c[(i * k) + p] = (float)sum;
            }
        }
    }

    /// <summary><c>sums (n) += Σ_i b (m,n)[i, :]</c>: the column sums of <paramref name="b"/>.</summary>
    public static void AccumulateColumnSums(ReadOnlySpan<float> b, Span<float> sums, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                sums[j] += b[(i * n) + j];
            }
        }
    }
}
