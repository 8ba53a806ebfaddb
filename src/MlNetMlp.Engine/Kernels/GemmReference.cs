using System;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// Naive, obviously-correct versions of the <see cref="Gemm"/> kernels: the fallback's specification and
/// the test oracle. All matrices are row-major and dense; the dimension names follow <see cref="Gemm"/>.
/// Every element is one chain of fused multiply-adds in ascending order of the summed index, which is
/// exactly what the vector kernels compute, so the two agree bit for bit.
/// </summary>
internal static unsafe class GemmReference
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

    /// <summary><c>c (m,k) = a (m,n) · bᵀ</c> with <c>b (k,n)</c>: each element summed from zero over ascending <c>j</c>.</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                float sum = 0f;
                for (int j = 0; j < n; j++)
                {
                    sum = MathF.FusedMultiplyAdd(a[(i * n) + j], b[(p * n) + j], sum);
                }

                c[(i * k) + p] = sum;
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

    // Pointer forms with row strides (ld = floats from one row to the next), for the engine's padded buffers.

    /// <summary><see cref="MultiplyAddBias(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/> on strided rows.</summary>
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

    /// <summary>Rows <c>[p0, p1)</c> of <see cref="AccumulateTransposeA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/> on strided rows.</summary>
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

    /// <summary><c>c (m,k) = a (m,n) · bt (n,k)</c>: <see cref="MultiplyTransposeB"/> with the right operand already transposed.</summary>
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
