using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// The first layer's two products for one sparse row, over its stored values only. Legend: n = output width; a row
/// stores values <c>x</c> at ascending slots <c>p</c> (<c>indices[start..end)</c>, <c>values[start..end)</c>); the
/// weight <c>W (k, n)</c> is row-major with rows n floats apart. Every output element is one chain of
/// fused multiply-adds in ascending slot order, exactly <see cref="GemmReference"/>'s chain for the dense row less the
/// terms whose input is 0 (each of which adds exactly 0), so dense and sparse rows give the same results.
/// </summary>
internal static unsafe class SparseRows
{
    /// <summary>Forward: <c>output (n) = bias + Σ_i values[i] · W[indices[i], :]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(int* indices, float* values, int start, int end, float* weights, int n, ReadOnlySpan<float> bias, Span<float> output)
    {
        bias.CopyTo(output);
        fixed (float* o = output)
        {
            for (int i = start; i < end; i++)
            {
                Axpy(values[i], weights + ((long)indices[i] * n), o, n);
            }
        }
    }

    /// <summary>Weight gradient: <c>dweight[indices[i], :] += values[i] · delta</c> for each stored value, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter(int* indices, float* values, int start, int end, ReadOnlySpan<float> delta, float* dweight, int n)
    {
        fixed (float* d = delta)
        {
            for (int i = start; i < end; i++)
            {
                Axpy(values[i], d, dweight + ((long)indices[i] * n), n);
            }
        }
    }

    /// <summary><c>y = fma(a, x, y)</c> element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float a, float* x, float* y, int n)
    {
        int j = 0;
        if (Fma.IsSupported && Avx.IsSupported)
        {
            Vector256<float> scale = Vector256.Create(a);
            for (; j + 8 <= n; j += 8)
            {
                Avx.Store(y + j, Fma.MultiplyAdd(scale, Avx.LoadVector256(x + j), Avx.LoadVector256(y + j)));
            }
        }

        for (; j < n; j++)
        {
            y[j] = MathF.FusedMultiplyAdd(a, x[j], y[j]);
        }
    }
}
