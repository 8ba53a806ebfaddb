using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>Vector loops over flat parameter-shaped arrays that TensorPrimitives does not offer as one operation.</summary>
internal static unsafe class VectorMath
{
    /// <summary>The smallest positive normal float, 2^-126.</summary>
    public const float SmallestNormal = 1.17549435E-38f;

    /// <summary>2^-100: parameters smaller than this in magnitude are stored as zero (<see cref="FlushTiny(float)"/>).</summary>
    public const float TinyParameter = 7.88860905E-31f;

    /// <summary>
    /// <c>Σ values[i]²</c> in double precision (the L2 penalty). Eight double accumulators per lane group, combined
    /// in a fixed order: the result is the same on every call and thread count, though not bit-identical to a
    /// left-to-right scalar sum (the two differ by rounding in the last places of a double).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// The last step of a gradient: <c>gradient = (weights * l2 + gradient) * inverse</c> element by element, with a
    /// separate multiply and add (as <c>TensorPrimitives.MultiplyAdd</c>, then <c>Multiply</c>), so the bits match
    /// those two passes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddPenaltyAndScale(ReadOnlySpan<float> weights, Span<float> gradient, float l2, float inverse)
    {
        if (weights.Length != gradient.Length)
        {
            throw new ArgumentException("The weights and their gradient must have the same length.");
        }

        fixed (float* w = weights, g = gradient)
        {
            int n = gradient.Length;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a = Vector512.Create(l2), s = Vector512.Create(inverse);
                for (; i + 16 <= n; i += 16)
                {
                    (((Vector512.Load(w + i) * a) + Vector512.Load(g + i)) * s).Store(g + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> a = Vector256.Create(l2), s = Vector256.Create(inverse);
                for (; i + 8 <= n; i += 8)
                {
                    (((Vector256.Load(w + i) * a) + Vector256.Load(g + i)) * s).Store(g + i);
                }
            }

            for (; i < n; i++)
            {
                g[i] = ((w[i] * l2) + g[i]) * inverse;
            }
        }
    }

    /// <summary><c>values *= factor</c> element by element (as <c>TensorPrimitives.Multiply</c>, compiled at full optimization from the first call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(Span<float> values, float factor)
    {
        fixed (float* v = values)
        {
            int n = values.Length;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> f = Vector512.Create(factor);
                for (; i + 16 <= n; i += 16)
                {
                    (Vector512.Load(v + i) * f).Store(v + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> f = Vector256.Create(factor);
                for (; i + 8 <= n; i += 8)
                {
                    (Vector256.Load(v + i) * f).Store(v + i);
                }
            }

            for (; i < n; i++)
            {
                v[i] *= factor;
            }
        }
    }

    /// <summary>
    /// <paramref name="x"/>, or zero where |x| is below the smallest normal float (1.2e-38). x86 CPUs take a
    /// microcode assist of the order of 100 cycles for arithmetic that reads or produces a subnormal number, and
    /// .NET cannot set the flush-to-zero flags that native ML frameworks run with. Without this, the Adam moments
    /// and the weights of dead relu units decay into the subnormal range within a few thousand steps and training
    /// becomes several times slower; values that small change no result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FlushSubnormal(float x) => MathF.Abs(x) < SmallestNormal ? 0f : x;

    /// <inheritdoc cref="FlushSubnormal(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FlushSubnormal(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(SmallestNormal)), Vector512<float>.Zero, x);

    /// <inheritdoc cref="FlushSubnormal(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FlushSubnormal(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(SmallestNormal)), Vector256<float>.Zero, x);

    /// <summary>
    /// <paramref name="x"/>, or zero where |x| is below 2^-100 (7.9e-31): applied to parameters after each step.
    /// Under L2 decay and Adam's epsilon, the weights of dead relu units shrink geometrically; once tiny, their
    /// products with activations and deltas are subnormal, and every such multiply-add costs a microcode assist
    /// (the subnormal flush of the moments alone leaves them frozen just above the subnormal range). A weight below
    /// 2^-100 cannot change a float32 sum unless every other term is below 2^-76, so this changes no result that
    /// matters; it is the software counterpart of running the products with the CPU's flush-to-zero flags.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FlushTiny(float x) => MathF.Abs(x) < TinyParameter ? 0f : x;

    /// <inheritdoc cref="FlushTiny(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FlushTiny(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(TinyParameter)), Vector512<float>.Zero, x);

    /// <inheritdoc cref="FlushTiny(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FlushTiny(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(TinyParameter)), Vector256<float>.Zero, x);
}
