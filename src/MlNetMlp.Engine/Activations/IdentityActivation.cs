using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = x</c>, <c>f' = 1</c>.</summary>
internal sealed unsafe class IdentityActivation : ActivationFunction
{
    public static readonly IdentityActivation Instance = new();

    public override (string? Operator, float? Alpha) Onnx => (null, null);

    public override void Forward(Span<float> values)
    {
    }

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
    }

    /// <summary>The product is the result.</summary>
    public override bool ForwardProduct(float* inp, nint ldInp, float* weight, nint ldWeight, float* bias, float* output, nint ldOutput, int rows, int k, int n)
    {
        Gemm.Forward(inp, ldInp, weight, ldWeight, bias, output, ldOutput, rows, k, n, default(NoEpilogue));
        return true;
    }

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, default(NoEpilogue));
}
