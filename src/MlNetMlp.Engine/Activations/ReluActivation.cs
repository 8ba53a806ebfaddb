using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = max(x, 0)</c>, <c>f' = z &gt; 0 ? 1 : 0</c>; the forward function is fused into the product too.</summary>
internal sealed unsafe class ReluActivation : ActivationFunction
{
    public static readonly ReluActivation Instance = new();

    public override (string? Operator, float? Alpha) Onnx => ("Relu", null);

    public override void Forward(Span<float> values) => TensorPrimitives.Max(values, 0f, values);

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            if (output[i] <= 0f)
            {
                delta[i] = 0f;
            }
        }
    }

    public override bool ForwardProduct(float* inp, nint ldInp, float* weight, nint ldWeight, float* bias, float* output, nint ldOutput, int rows, int k, int n) =>
        Gemm.Forward(inp, ldInp, weight, ldWeight, bias, output, ldOutput, rows, k, n, default(Function));

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, default(Derivative));

    /// <summary><c>max(x, 0)</c> (IEEE maximum: NaN stays NaN, -0 becomes +0), fused into the forward product's stores.</summary>
    private readonly struct Function : IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged => TSimd.Relu(value);
    }

    /// <summary><c>z &lt;= 0 ? 0 : delta</c>, fused into the input gradient's stores.</summary>
    private readonly struct Derivative : IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged => TSimd.WhereNotPositive(TSimd.Load(z), TSimd.Zero, value);
    }
}
