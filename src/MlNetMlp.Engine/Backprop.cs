using System;
using System.Numerics.Tensors;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// Forward and backward passes over chunks of rows, with every work buffer allocated once per fit.
/// Legend: m = rows in the chunk (at most <see cref="Capacity"/>), s_l = width of layer l, L = weight layers.
/// <code>
///   act[0]   (m, s_0)   the gathered input rows
///   act[l]   (m, s_l)   hidden activations, l = 1..L-1
///   act[L]   (m, s_L)   output logits, turned into the output delta in place
///   delta[l] (m, s_l)   gradient w.r.t. the pre-activation of hidden layer l
/// </code>
/// </summary>
internal sealed class Backprop
{
    private readonly ParameterLayout _layout;
    private readonly HiddenActivation _activation;
    private readonly int _threads;
    private readonly float[][] _act;
    private readonly float[][] _delta;

    public Backprop(ParameterLayout layout, HiddenActivation activation, int capacity, int threads)
    {
        _layout = layout;
        _activation = activation;
        _threads = threads;
        Capacity = capacity;
        int layers = layout.LayerCount;
        _act = new float[layers + 1][];
        _delta = new float[layers][];
        for (int l = 0; l <= layers; l++)
        {
            _act[l] = new float[checked(capacity * layout.Sizes[l])];
            if (l > 0 && l < layers)
            {
                _delta[l] = new float[capacity * layout.Sizes[l]];
            }
        }
    }

    /// <summary>Most rows one call may process.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Mean loss and gradient over <paramref name="rows"/> (any count; processed in chunks of <see cref="Capacity"/>),
    /// as scikit-learn's <c>_backprop</c>: <c>loss = (Σ w_i loss_i + alpha/2 Σ W²) / m</c>,
    /// <c>dW = (Σ aᵀ delta + alpha W) / m</c>, <c>db = Σ delta / m</c>. Overwrites <paramref name="gradient"/>.
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows, double alpha, Span<float> gradient)
    {
        gradient.Clear();
        double dataLoss = 0;
        for (int start = 0; start < rows.Length; start += Capacity)
        {
            var chunk = rows.Slice(start, Math.Min(Capacity, rows.Length - start));
            dataLoss += Accumulate(parameters, data, chunk, gradient);
        }

        int weightCount = _layout.WeightCount;
        ReadOnlySpan<float> weights = parameters.Slice(0, weightCount);
        Span<float> weightGradient = gradient.Slice(0, weightCount);
        double sumOfSquares = 0;
        if (alpha > 0)
        {
            sumOfSquares = SumOfSquares(weights);
            TensorPrimitives.MultiplyAdd(weights, (float)alpha, weightGradient, weightGradient);
        }

        float inverse = 1f / rows.Length;
        TensorPrimitives.Multiply(gradient, inverse, gradient);
        return (dataLoss + (0.5 * alpha * sumOfSquares)) / rows.Length;
    }

    /// <summary>
    /// Runs the forward pass for one chunk of rows and returns the raw output layer <c>(rows.Length, s_L)</c>:
    /// logits for classification, predictions for regression. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows)
    {
        int m = rows.Length;
        Gather(data, rows, _act[0]);
        int layers = _layout.LayerCount;
        for (int l = 0; l < layers; l++)
        {
            int k = _layout.Sizes[l];
            int n = _layout.Sizes[l + 1];
            Span<float> output = _act[l + 1].AsSpan(0, m * n);
            Gemm.MultiplyAddBias(_act[l].AsSpan(0, m * k), _layout.Weights(parameters, l), _layout.Biases(parameters, l), output, m, k, n, _threads);
            if (l + 1 < layers)
            {
                _activation.Forward(output);
            }
        }

        return _act[layers].AsSpan(0, m * _layout.OutputWidth);
    }

    /// <summary>Forward and backward over one chunk: adds <c>aᵀ delta</c> and <c>Σ delta</c> into <paramref name="gradientSums"/>; returns <c>Σ w_i loss_i</c>.</summary>
    private double Accumulate(ReadOnlySpan<float> parameters, MlpDataset data, ReadOnlySpan<int> rows, Span<float> gradientSums)
    {
        int m = rows.Length;
        Forward(parameters, data, rows);
        int layers = _layout.LayerCount;
        Span<float> delta = _act[layers].AsSpan(0, m * _layout.OutputWidth);
        double loss = OutputLoss.ToDelta(data, rows, delta);
        for (int l = layers - 1; l >= 0; l--)
        {
            int k = _layout.Sizes[l];
            int n = _layout.Sizes[l + 1];
            ReadOnlySpan<float> input = _act[l].AsSpan(0, m * k);
            Gemm.AccumulateTransposeA(input, delta, _layout.Weights(gradientSums, l), m, k, n, _threads);
            Gemm.AccumulateColumnSums(delta, _layout.Biases(gradientSums, l), m, n);
            if (l > 0)
            {
                Span<float> previous = _delta[l].AsSpan(0, m * k);
                Gemm.MultiplyTransposeB(delta, _layout.Weights(parameters, l), previous, m, n, k, _threads);
                _activation.Backward(input, previous);
                delta = previous;
            }
        }

        return loss;
    }

    private static void Gather(MlpDataset data, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int d = data.FeatureCount;
        float[] features = data.Features;
        for (int r = 0; r < rows.Length; r++)
        {
            features.AsSpan(rows[r] * d, d).CopyTo(destination.Slice(r * d, d));
        }
    }

    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += (double)values[i] * values[i];
        }

        return sum;
    }
}
