using System;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// Naive, obviously-correct versions of the <see cref="Gemm"/> kernels: the fallback where AVX2+FMA is missing, the
/// specification and the test oracle. All matrices are row-major; the dimension names follow <see cref="Gemm"/>.
/// Every element is one chain of fused multiply-adds in ascending order of the summed index, which is
/// exactly what the vector kernels compute, so the two agree bit for bit.
/// </summary>
internal static unsafe class GemmReference
{
    /// <summary><c>c (m,n) = a (m,k) · b (k,n) + bias (n)</c>, bias broadcast over rows; ld = floats from one row to the next.</summary>
    public static void MultiplyAddBias(float* a, nint lda, float* b, nint ldb, float* bias, float* c, nint ldc, int m, int k, int n)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = bias[j];
                for (int p = 0; p < k; p++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * lda) + p], b[(p * ldb) + j], sum);
                }

                c[(i * ldc) + j] = sum;
            }
        }
    }

    /// <summary>Rows <c>[p0, p1)</c> of <c>c (k,n) += aᵀ · b</c> with <c>a (m,k)</c>, <c>b (m,n)</c>.</summary>
    public static void AccumulateTransposeA(float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int m, int n, int p0, int p1)
    {
        for (int p = p0; p < p1; p++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = c[(p * ldc) + j];
                for (int i = 0; i < m; i++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * lda) + p], b[(i * ldb) + j], sum);
                }

                c[(p * ldc) + j] = sum;
            }
        }
    }

    /// <summary><c>c (m,k) = a (m,n) · bt (n,k)</c>: the input gradient's product, the weight given transposed; each element summed from zero over ascending <c>j</c>.</summary>
    public static void MultiplyRows(float* a, nint lda, float* bt, nint ldbt, float* c, nint ldc, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                float sum = 0f;
                for (int j = 0; j < n; j++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * lda) + j], bt[(j * ldbt) + p], sum);
                }

                c[(i * ldc) + p] = sum;
            }
        }
    }
}
