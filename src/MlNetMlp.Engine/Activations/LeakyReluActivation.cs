using System;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = x</c> for positive x, <c>slope x</c> otherwise; <c>f' = z &gt; 0 ? 1 : slope</c> (the output has the input's sign).</summary>
internal sealed unsafe class LeakyReluActivation : ActivationFunction
{
    private readonly float _slope;

    public LeakyReluActivation(float slope) => _slope = slope;

    /// <summary>The rule a slope breaks, or null when it is allowed: the one range options and models are checked against.</summary>
    public static string? BrokenRule(float slope) => slope > 0 && slope < 1 ? null : "must be in (0, 1)";

    public override (string Name, float Value)? Parameter => (nameof(MlpOptions.LeakyReluSlope), _slope);

    public override (string? Operator, float? Alpha) Onnx => ("LeakyRelu", _slope);

    public override void Forward(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            if (x < 0f)
            {
                values[i] = _slope * x;
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            if (output[i] <= 0f)
            {
                delta[i] *= _slope;
            }
        }
    }

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, new Derivative(_slope));

    /// <summary><c>z &lt;= 0 ? delta * slope : delta</c>, fused into the input gradient's stores.</summary>
    private readonly struct Derivative(float slope) : IEpilogue
    {
        private readonly float _slope = slope;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged => TSimd.WhereNotPositive(TSimd.Load(z), TSimd.Multiply(value, TSimd.Broadcast(_slope)), value);
    }
}
