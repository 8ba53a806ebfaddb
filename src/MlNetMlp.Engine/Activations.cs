using System;
using System.Numerics.Tensors;

namespace MlNetMlp.Engine;

/// <summary>
/// The hidden-layer activations and their derivatives. Every derivative is written from the activation's
/// output <c>z = f(x)</c>, so the forward buffer is all the backward pass needs:
/// <code>
///   identity   f' = 1
///   logistic   f' = z (1 - z)
///   tanh       f' = 1 - z^2
///   relu       f' = z > 0 ? 1 : 0
///   leaky relu f' = z > 0 ? 1 : slope          (the output has the input's sign)
///   elu        f' = z > 0 ? 1 : z + alpha      (alpha e^x = f(x) + alpha for x &lt;= 0)
/// </code>
/// </summary>
internal readonly struct HiddenActivation
{
    public HiddenActivation(Activation kind, float leakyReluSlope, float eluAlpha)
    {
        Kind = kind;
        LeakyReluSlope = leakyReluSlope;
        EluAlpha = eluAlpha;
    }

    public Activation Kind { get; }

    public float LeakyReluSlope { get; }

    public float EluAlpha { get; }

    /// <summary>Applies the activation in place to <paramref name="values"/>.</summary>
    public void Forward(Span<float> values)
    {
        switch (Kind)
        {
            case Activation.Identity:
                break;
            case Activation.Logistic:
                TensorPrimitives.Sigmoid(values, values);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(values, values);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(values, 0f, values);
                break;
            case Activation.LeakyRelu:
                LeakyReluForward(values, LeakyReluSlope);
                break;
            case Activation.Elu:
                EluForward(values, EluAlpha);
                break;
            default:
                throw new InvalidOperationException($"Unknown activation {Kind}.");
        }
    }

    /// <summary>
    /// Multiplies <paramref name="delta"/> in place by the derivative, evaluated from the forward output
    /// <paramref name="output"/> (same length).
    /// </summary>
    public void Backward(ReadOnlySpan<float> output, Span<float> delta)
    {
        switch (Kind)
        {
            case Activation.Identity:
                break;
            case Activation.Logistic:
                for (int i = 0; i < delta.Length; i++)
                {
                    float z = output[i];
                    delta[i] *= z * (1f - z);
                }

                break;
            case Activation.Tanh:
                for (int i = 0; i < delta.Length; i++)
                {
                    float z = output[i];
                    delta[i] *= 1f - (z * z);
                }

                break;
            case Activation.Relu:
                for (int i = 0; i < delta.Length; i++)
                {
                    if (output[i] <= 0f)
                    {
                        delta[i] = 0f;
                    }
                }

                break;
            case Activation.LeakyRelu:
                for (int i = 0; i < delta.Length; i++)
                {
                    if (output[i] <= 0f)
                    {
                        delta[i] *= LeakyReluSlope;
                    }
                }

                break;
            case Activation.Elu:
                for (int i = 0; i < delta.Length; i++)
                {
                    float z = output[i];
                    if (z <= 0f)
                    {
                        delta[i] *= z + EluAlpha;
                    }
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown activation {Kind}.");
        }
    }

    /// <summary>scikit-learn's Glorot-uniform factor: 2 for logistic, 6 otherwise.</summary>
    public double GlorotFactor => Kind == Activation.Logistic ? 2.0 : 6.0;

    private static void LeakyReluForward(Span<float> values, float slope)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            if (x < 0f)
            {
                values[i] = slope * x;
            }
        }
    }

    private static void EluForward(Span<float> values, float alpha)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            if (x < 0f)
            {
                values[i] = alpha * (MathF.Exp(x) - 1f);
            }
        }
    }
}
