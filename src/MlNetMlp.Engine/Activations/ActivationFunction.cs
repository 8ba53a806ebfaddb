using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// One hidden activation's math, in one file per activation: the forward function, its derivative written from the
/// forward output <c>z = f(x)</c> (so the forward buffer is all the backward pass needs), the products with the
/// function or its derivative fused into the kernels' stores, scikit-learn's initialization gain, and its ONNX
/// operator. <see cref="For"/> is the registration: adding an activation is one subclass and one line there.
/// <code>
///   identity   f' = 1
///   logistic   f' = z (1 - z)
///   tanh       f' = 1 - z^2
///   relu       f' = z > 0 ? 1 : 0
///   leaky relu f' = z > 0 ? 1 : slope          (the output has the input's sign)
///   elu        f' = z > 0 ? 1 : z + alpha      (alpha e^x = f(x) + alpha for x &lt;= 0)
/// </code>
/// </summary>
internal abstract unsafe class ActivationFunction
{
    /// <summary>The function of <paramref name="kind"/> with its parameter.</summary>
    public static ActivationFunction For(Activation kind, float leakyReluSlope, float eluAlpha) => kind switch
    {
        Activation.Identity => IdentityActivation.Instance,
        Activation.Logistic => LogisticActivation.Instance,
        Activation.Tanh => TanhActivation.Instance,
        Activation.Relu => ReluActivation.Instance,
        Activation.LeakyRelu => new LeakyReluActivation(leakyReluSlope),
        Activation.Elu => new EluActivation(eluAlpha),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation {kind}."),
    };

    /// <summary>scikit-learn's Glorot-uniform factor: 6, or 2 for logistic.</summary>
    public virtual double GlorotFactor => 6.0;

    /// <summary>The function's parameter, named as <see cref="MlpOptions"/> names it, or null when it has none.</summary>
    public virtual (string Name, float Value)? Parameter => null;

    /// <summary>The ONNX operator that computes the function (null: none is needed) and its <c>alpha</c> attribute, if any.</summary>
    public abstract (string? Operator, float? Alpha) Onnx { get; }

    /// <summary>Applies the function in place.</summary>
    public abstract void Forward(Span<float> values);

    /// <summary>Multiplies <paramref name="delta"/> in place by the derivative at the forward output <paramref name="output"/>.</summary>
    public abstract void Backward(ReadOnlySpan<float> output, Span<float> delta);

    /// <summary>
    /// <c>output = inp · weight + bias</c> for rows <c>[0, rows)</c> (see <see cref="Gemm.Forward"/>), with the function
    /// fused where it can be; returns false when the caller must still apply <see cref="Forward"/>. By default the
    /// product alone.
    /// </summary>
    public virtual bool ForwardProduct(float* inp, nint ldInp, float* weight, nint ldWeight, float* bias, float* output, nint ldOutput, int rows, int k, int n)
    {
        Gemm.Forward(inp, ldInp, weight, ldWeight, bias, output, ldOutput, rows, k, n, default(NoEpilogue));
        return false;
    }

    /// <summary><c>dinp = (dout · weightᵀ) ⊙ f'(z)</c> for rows <c>[0, rows)</c> (see <see cref="Gemm.InputGradient"/>), the derivative fused.</summary>
    public abstract void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k);

    /// <summary>
    /// The input gradient with <paramref name="epilogue"/> (the derivative) fused into the product's stores; where
    /// the vector kernels do not run, the product, then <see cref="Backward"/> row by row.
    /// </summary>
    protected void InputGradientWith<TEpilogue>(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k, TEpilogue epilogue)
        where TEpilogue : IEpilogue
    {
        if (Gemm.InputGradient(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, epilogue))
        {
            return;
        }

        for (int i = 0; i < rows; i++)
        {
            Backward(new ReadOnlySpan<float>(z + (i * ldZ), k), new Span<float>(dinp + (i * ldDinp), k));
        }
    }
}
