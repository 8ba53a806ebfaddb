using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = tanh(x)</c>, <c>f' = 1 - z²</c>.</summary>
internal sealed unsafe class TanhActivation : ActivationFunction
{
    public static readonly TanhActivation Instance = new();

    public override (string? Operator, float? Alpha) Onnx => ("Tanh", null);

    public override void Forward(Span<float> values) => TensorPrimitives.Tanh(values, values);

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            float z = output[i];
            delta[i] *= 1f - (z * z);
        }
    }

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, default(Derivative));

    /// <summary><c>delta * (1 - z * z)</c>, fused into the input gradient's stores.</summary>
    private readonly struct Derivative : IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged
        {
            TVec zv = TSimd.Load(z);
            return TSimd.Multiply(value, TSimd.Subtract(TSimd.Broadcast(1f), TSimd.Multiply(zv, zv)));
        }
    }
}
