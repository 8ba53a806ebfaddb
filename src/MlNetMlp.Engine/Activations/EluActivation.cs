using System;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary><c>f(x) = x</c> for positive x, <c>alpha (e^x - 1)</c> otherwise; <c>f' = z &gt; 0 ? 1 : z + alpha</c>.</summary>
internal sealed unsafe class EluActivation : ActivationFunction
{
    private readonly float _alpha;

    public EluActivation(float alpha) => _alpha = alpha;

    /// <summary>The rule an alpha breaks, or null when it is allowed: the one range options and models are checked against.</summary>
    public static string? BrokenRule(float alpha) => alpha > 0 && !float.IsInfinity(alpha) ? null : "must be a positive finite number";

    public override (string Name, float Value)? Parameter => (nameof(MlpOptions.EluAlpha), _alpha);

    public override (string? Operator, float? Alpha) Onnx => ("Elu", _alpha);

    public override void Forward(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            if (x < 0f)
            {
                values[i] = _alpha * (MathF.Exp(x) - 1f);
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            float z = output[i];
            if (z <= 0f)
            {
                delta[i] *= z + _alpha;
            }
        }
    }

    public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
        InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, new Derivative(_alpha));

    /// <summary><c>z &lt;= 0 ? delta * (z + alpha) : delta</c>, fused into the input gradient's stores.</summary>
    private readonly struct Derivative(float alpha) : IEpilogue
    {
        private readonly float _alpha = alpha;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Apply<TSimd, TVec>(TVec value, float* z)
            where TSimd : ISimd<TVec>
            where TVec : unmanaged
        {
            TVec zv = TSimd.Load(z);
            return TSimd.WhereNotPositive(zv, TSimd.Multiply(value, TSimd.Add(zv, TSimd.Broadcast(_alpha))), value);
        }
    }
}
