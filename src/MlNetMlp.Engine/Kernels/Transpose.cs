using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>Matrix transposes: the backward pass reads each layer's weights transposed (<see cref="Gemm.InputGradient"/>).</summary>
internal static unsafe class Transpose
{
    /// <summary>
    /// Rows <c>[r0, r1)</c> of <c>source (rows,cols)</c> into columns r0..r1-1 of <c>destination (cols,rows) = sourceᵀ</c>:
    /// 8 x 8 blocks transposed in AVX registers, the edges one float at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Rows(float* source, nint ldSource, int cols, float* destination, nint ldDestination, int r0, int r1)
    {
        int i = r0;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= r1; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    Transpose8x8(source + (i * ldSource) + j, ldSource, destination + (j * ldDestination) + i, ldDestination);
                }

                for (; j < cols; j++)
                {
                    for (int r = i; r < i + 8; r++)
                    {
                        destination[(j * ldDestination) + r] = source[(r * ldSource) + j];
                    }
                }
            }
        }

        for (; i < r1; i++)
        {
            float* s = source + (i * ldSource);
            for (int j = 0; j < cols; j++)
            {
                destination[(j * ldDestination) + i] = s[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ls, float* d, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ls), r2 = Avx.LoadVector256(s + (2 * ls)), r3 = Avx.LoadVector256(s + (3 * ls));
        Vector256<float> r4 = Avx.LoadVector256(s + (4 * ls)), r5 = Avx.LoadVector256(s + (5 * ls)), r6 = Avx.LoadVector256(s + (6 * ls)), r7 = Avx.LoadVector256(s + (7 * ls));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + (2 * ld), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + (3 * ld), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + (4 * ld), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + (5 * ld), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + (6 * ld), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + (7 * ld), Avx.Permute2x128(u3, u7, 0x31));
    }
}
