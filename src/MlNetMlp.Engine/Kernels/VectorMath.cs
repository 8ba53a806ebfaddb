using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>Vector loops over flat parameter-shaped arrays that TensorPrimitives does not offer as one operation.</summary>
internal static unsafe class VectorMath
{
    /// <summary>
    /// <c>Σ values[i]²</c> in double precision (the L2 penalty). Eight double accumulators per lane group, combined
    /// in a fixed order: the result is the same on every call and thread count, though not bit-identical to a
    /// left-to-right scalar sum (the two differ by rounding in the last places of a double).
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        fixed (float* p = values)
        {
            int n = values.Length;
            int i = 0;
            double sum = 0;
            if (Avx512F.IsSupported && n >= 32)
            {
                Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (; i + 32 <= n; i += 32)
                {
                    Vector512<double> a = Avx512F.ConvertToVector512Double(Avx.LoadVector256(p + i));
                    Vector512<double> b = Avx512F.ConvertToVector512Double(Avx.LoadVector256(p + i + 8));
                    Vector512<double> c = Avx512F.ConvertToVector512Double(Avx.LoadVector256(p + i + 16));
                    Vector512<double> d = Avx512F.ConvertToVector512Double(Avx.LoadVector256(p + i + 24));
                    s0 = Avx512F.FusedMultiplyAdd(a, a, s0);
                    s1 = Avx512F.FusedMultiplyAdd(b, b, s1);
                    s2 = Avx512F.FusedMultiplyAdd(c, c, s2);
                    s3 = Avx512F.FusedMultiplyAdd(d, d, s3);
                }

                sum = Vector512.Sum((s0 + s1) + (s2 + s3));
            }
            else if (Avx.IsSupported && Fma.IsSupported && n >= 16)
            {
                Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (; i + 16 <= n; i += 16)
                {
                    Vector256<double> a = Avx.ConvertToVector256Double(Sse.LoadVector128(p + i));
                    Vector256<double> b = Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 4));
                    Vector256<double> c = Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 8));
                    Vector256<double> d = Avx.ConvertToVector256Double(Sse.LoadVector128(p + i + 12));
                    s0 = Fma.MultiplyAdd(a, a, s0);
                    s1 = Fma.MultiplyAdd(b, b, s1);
                    s2 = Fma.MultiplyAdd(c, c, s2);
                    s3 = Fma.MultiplyAdd(d, d, s3);
                }

                sum = Vector256.Sum((s0 + s1) + (s2 + s3));
            }

            for (; i < n; i++)
            {
                sum += (double)p[i] * p[i];
            }

            return sum;
        }
    }
}
