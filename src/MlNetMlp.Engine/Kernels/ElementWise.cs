using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// An element-wise operation written once over the register type (as TensorPrimitives' operator structs are):
/// <see cref="ElementWise.Run"/> calls it for 16, 8 or 1 floats at a time, starting at element <c>i</c>. Its
/// arithmetic is exact IEEE float32 per lane, so every width gives the same bits.
/// </summary>
internal interface IElementWise
{
    void Invoke<TSimd, TVec>(nint i)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged;
}

/// <summary>The one vector-loop driver: the widest register the CPU has over the whole registers, then single floats.</summary>
internal static class ElementWise
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TOperation>(in TOperation operation, int length)
        where TOperation : struct, IElementWise
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; i + 16 <= length; i += 16)
            {
                operation.Invoke<Simd512, Vector512<float>>(i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Avx.IsSupported)
        {
            for (; i + 8 <= length; i += 8)
            {
                operation.Invoke<Simd256, Vector256<float>>(i);
            }
        }

        for (; i < length; i++)
        {
            operation.Invoke<Simd1, float>(i);
        }
    }
}
