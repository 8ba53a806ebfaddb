using System;

namespace MlNetMlp.Engine;

/// <summary>
/// The hidden layers' activation as the network uses it: which one (<see cref="Kind"/>), its parameter, and its
/// <see cref="ActivationFunction"/>, which holds the math (forward, derivative, fused kernel epilogues,
/// initialization gain). Everything that depends on the activation asks this value or its function.
/// </summary>
internal readonly struct HiddenActivation
{
    public HiddenActivation(Activation kind, float leakyReluSlope, float eluAlpha)
    {
        Kind = kind;
        LeakyReluSlope = leakyReluSlope;
        EluAlpha = eluAlpha;
        Function = ActivationFunction.For(kind, leakyReluSlope, eluAlpha);
    }

    /// <summary>
    /// An activation given by its function alone, before it has an <see cref="Activation"/> value: the backward pass,
    /// the kernels and the predictor's forward pass run it as they run the registered ones (a test adds one this way,
    /// see <c>AddingAnActivationTests</c>). Its <see cref="Kind"/> is not a defined value, so options and models,
    /// which name their activation by the enum (validated, saved and exported by it), do not take it until it is
    /// registered in <see cref="ActivationFunction.For"/>.
    /// </summary>
    internal HiddenActivation(ActivationFunction function)
    {
        Kind = (Activation)(-1);
        LeakyReluSlope = float.NaN;
        EluAlpha = float.NaN;
        Function = function;
    }

    /// <summary>The output layer's pre-activation: identity (the output head applies its own function).</summary>
    public static HiddenActivation Identity { get; } = new(Activation.Identity, 0.01f, 1f);

    public Activation Kind { get; }

    public float LeakyReluSlope { get; }

    public float EluAlpha { get; }

    public ActivationFunction Function { get; }

    /// <summary>Applies the activation in place to <paramref name="values"/>.</summary>
    public void Forward(Span<float> values) => Function.Forward(values);

    /// <summary>
    /// Multiplies <paramref name="delta"/> in place by the derivative, evaluated from the forward output
    /// <paramref name="output"/> (same length).
    /// </summary>
    public void Backward(ReadOnlySpan<float> output, Span<float> delta) => Function.Backward(output, delta);

    /// <summary>scikit-learn's Glorot-uniform factor: the weights start uniform in ±sqrt(factor / (fan_in + fan_out)).</summary>
    public double GlorotFactor => Function.GlorotFactor;
}
