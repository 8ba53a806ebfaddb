using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = 1 / (1 + e^-x)</c>, <c>f' = z (1 - z)</c>.</summary>
internal sealed unsafe class LogisticActivation : ActivationFunction
{
    public static readonly LogisticActivation Instance = new();

    /// <summary>Glorot's factor for the logistic function, as scikit-learn uses.</summary>
    public override double GlorotFactor => 2.0;

    public override (string? Operator, float? Alpha) Onnx => ("Sigmoid", null);

    public override void Forward(Span<float> values) => TensorPrimitives.Sigmoid(values, values);

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            float z = output[i];
            delta[i] *= z * (1f - z);
        }
    }

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, default(Derivative));

    /// <summary><c>delta * (z * (1 - z))</c>, fused into the input gradient's stores.</summary>
    private readonly struct Derivative : IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged
        {
            TVec zv = TSimd.Load(z);
            return TSimd.Multiply(value, TSimd.Multiply(zv, TSimd.Subtract(TSimd.Broadcast(1f), zv)));
        }
    }
}
