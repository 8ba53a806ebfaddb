using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// The handful of vector operations the matrix kernels need, over one register width. Each implementation is a
/// struct, so kernels written once against this interface are compiled separately for every width and the calls
/// inline away. Every operation is exact IEEE float32 per lane (the multiply-add is fused: one rounding), so a
/// kernel gives the same bits for an element whichever width computed it.
/// </summary>
/// <typeparam name="TVec">The register type: <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>, <see cref="Vector128{T}"/> or <see cref="float"/>.</typeparam>
internal unsafe interface ISimd<TVec>
    where TVec : unmanaged
{
    /// <summary>Floats per register.</summary>
    static abstract int Lanes { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(float* source);

    static abstract void Store(float* destination, TVec value);

    /// <summary>Every lane set to <c>*source</c>.</summary>
    static abstract TVec Broadcast(float* source);

    static abstract TVec Broadcast(float value);

    /// <summary><c>a * b + c</c> with a single rounding.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>IEEE 754 <c>maximum(x, 0)</c>, as <c>TensorPrimitives.Max(x, 0)</c>: NaN stays NaN and -0 becomes +0.</summary>
    static abstract TVec Relu(TVec x);

    /// <summary>Per lane <c>z &lt;= 0 ? whenNotPositive : otherwise</c> (NaN counts as positive).</summary>
    static abstract TVec WhereNotPositive(TVec z, TVec whenNotPositive, TVec otherwise);
}

/// <summary>16 floats in a ZMM register (AVX-512F).</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Lanes => 16;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Avx512F.LoadVector512(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512<float> value) => Avx512F.Store(destination, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float* source) => Vector512.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => Avx512F.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => Avx512F.Subtract(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => Avx512F.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.Equals(x, x), Avx512F.Max(x, Vector512<float>.Zero), x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WhereNotPositive(Vector512<float> z, Vector512<float> whenNotPositive, Vector512<float> otherwise) =>
        Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero), whenNotPositive, otherwise);
}

/// <summary>8 floats in a YMM register (AVX2 + FMA).</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Lanes => 8;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Avx.LoadVector256(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value) => Avx.Store(destination, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float* source) => Vector256.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Avx.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => Avx.Subtract(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => Avx.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.Equals(x, x), Avx.Max(x, Vector256<float>.Zero), x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WhereNotPositive(Vector256<float> z, Vector256<float> whenNotPositive, Vector256<float> otherwise) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(z, Vector256<float>.Zero), whenNotPositive, otherwise);
}

/// <summary>4 floats in an XMM register (with FMA); used for narrow column remainders.</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Lanes => 4;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Sse.LoadVector128(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector128<float> value) => Sse.Store(destination, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float* source) => Vector128.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => Sse.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => Sse.Subtract(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => Sse.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.Equals(x, x), Sse.Max(x, Vector128<float>.Zero), x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WhereNotPositive(Vector128<float> z, Vector128<float> whenNotPositive, Vector128<float> otherwise) =>
        Vector128.ConditionalSelect(Vector128.LessThanOrEqual(z, Vector128<float>.Zero), whenNotPositive, otherwise);
}

/// <summary>One float: the last columns of a row, and the whole kernel where there is no FMA hardware.</summary>
internal readonly unsafe struct Simd1 : ISimd<float>
{
    public static int Lanes => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, float value) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float a, float b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f || float.IsNaN(x) ? x : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float WhereNotPositive(float z, float whenNotPositive, float otherwise) => z <= 0f ? whenNotPositive : otherwise;
}
