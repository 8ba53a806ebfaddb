using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MlNetMlp.Engine.Kernels;

/// <summary>Column sums of a row-major block: the bias gradient is the sum of the output deltas over the batch's rows.</summary>
internal static unsafe class ColumnSums
{
    /// <summary>Columns <c>[j0, j1)</c> of <c>sums += Σ_i b[i, :]</c> for <paramref name="m"/> rows <paramref name="ldb"/> floats apart, rows added in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate(float* b, nint ldb, int m, float* sums, int j0, int j1)
    {
        int j = j0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 32 <= j1; j += 32)
            {
                Vector256<float> s0 = Vector256.Load(sums + j), s1 = Vector256.Load(sums + j + 8);
                Vector256<float> s2 = Vector256.Load(sums + j + 16), s3 = Vector256.Load(sums + j + 24);
                float* row = b + j;
                for (int i = 0; i < m; i++, row += ldb)
                {
                    s0 += Vector256.Load(row);
                    s1 += Vector256.Load(row + 8);
                    s2 += Vector256.Load(row + 16);
                    s3 += Vector256.Load(row + 24);
                }

                Vector256.Store(s0, sums + j);
                Vector256.Store(s1, sums + j + 8);
                Vector256.Store(s2, sums + j + 16);
                Vector256.Store(s3, sums + j + 24);
            }

            for (; j + 8 <= j1; j += 8)
            {
                Vector256<float> s = Vector256.Load(sums + j);
                float* row = b + j;
                for (int i = 0; i < m; i++, row += ldb)
                {
                    s += Vector256.Load(row);
                }

                Vector256.Store(s, sums + j);
            }
        }

        for (; j < j1; j++)
        {
            float s = sums[j];
            float* column = b + j;
            for (int i = 0; i < m; i++, column += ldb)
            {
                s += *column;
            }

            sums[j] = s;
        }
    }
}
