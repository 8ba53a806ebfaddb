using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// Runs a model forward with work buffers of its own, allocated once: predicting allocates nothing.
/// Not thread-safe: create one per thread with <see cref="MlpModel.CreatePredictor"/>.
/// Single rows and blocks of rows give bit-identical results.
/// </summary>
public sealed class MlpPredictor
{
    /// <summary>Rows per chunk when scoring a block of rows.</summary>
    internal const int BlockRows = 128;

    private readonly MlpModel _model;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly float[] _ping;
    private readonly float[] _pong;
    private float[]? _blockPing;
    private float[]? _blockPong;

    internal MlpPredictor(MlpModel model)
    {
        _model = model;
        ParameterLayout layout = model.Layout;
        _ping = new float[layout.MaxWidth];
        _pong = new float[layout.MaxWidth];
        _weightOffsets = new int[layout.LayerCount];
        _biasOffsets = new int[layout.LayerCount];
        int weightOffset = 0, biasOffset = layout.WeightCount;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            _weightOffsets[l] = weightOffset;
            _biasOffsets[l] = biasOffset;
            weightOffset += layout.Sizes[l] * layout.Sizes[l + 1];
            biasOffset += layout.Sizes[l + 1];
        }
    }

    /// <summary>The model this predictor runs.</summary>
    public MlpModel Model => _model;

    /// <summary>
    /// Writes the raw output layer for one row into <paramref name="scores"/> (length <see cref="MlpModel.OutputCount"/>):
    /// the logit for binary classification, the class logits for multiclass, the predictions for regression.
    /// </summary>
    public unsafe void ComputeScores(ReadOnlySpan<float> features, Span<float> scores)
    {
        CheckWidth(features.Length, _model.InputCount, nameof(features), "features");
        CheckWidth(scores.Length, _model.OutputCount, nameof(scores), "score slots");
        fixed (float* input = features, output = scores, ping = _ping, pong = _pong)
        {
            Run(input, 1, output, ping, pong, _ping.Length);
        }
    }

    /// <summary>
    /// Writes the raw output layer for <paramref name="rowCount"/> rows stored row-major in <paramref name="features"/>
    /// into <paramref name="scores"/> <c>(rowCount, OutputCount)</c>.
    /// </summary>
    public unsafe void ComputeScores(ReadOnlySpan<float> features, int rowCount, Span<float> scores)
    {
        int d = _model.InputCount;
        int outputs = _model.OutputCount;
        if (rowCount < 0 || features.Length != (long)rowCount * d)
        {
            throw new ArgumentException($"{nameof(features)} has {features.Length} values; {rowCount} rows of {d} features need {(long)rowCount * d}.", nameof(features));
        }

        CheckWidth(scores.Length, rowCount * outputs, nameof(scores), "score values");
        int stride = Backprop.Stride(_model.Layout.MaxWidth);
        _blockPing ??= new float[BlockRows * stride];
        _blockPong ??= new float[BlockRows * stride];
        fixed (float* input = features, output = scores, ping = _blockPing, pong = _blockPong)
        {
            for (int start = 0; start < rowCount; start += BlockRows)
            {
                int m = Math.Min(BlockRows, rowCount - start);
                Run(input + ((long)start * d), m, output + ((long)start * outputs), ping, pong, stride);
            }
        }
    }

    /// <summary>
    /// The forward pass of <paramref name="rows"/> contiguous rows into contiguous scores, hidden layers alternating
    /// between two buffers of rows <paramref name="stride"/> floats apart. Relu and identity are fused into the
    /// products; other activations run after each hidden layer.
    /// </summary>
    private unsafe void Run(float* input, int rows, float* scores, float* ping, float* pong, nint stride)
    {
        ParameterLayout layout = _model.Layout;
        HiddenActivation activation = _model.HiddenActivation;
        int layers = layout.LayerCount;
        nint inputStride = layout.InputWidth;
        fixed (float* parameters = _model.Parameters)
        {
            for (int l = 0; l < layers; l++)
            {
                int k = layout.Sizes[l];
                int n = layout.Sizes[l + 1];
                bool hidden = l + 1 < layers;
                float* output = hidden ? (l % 2 == 0 ? ping : pong) : scores;
                nint outputStride = hidden ? stride : n;
                bool done = Gemm.Forward(input, inputStride, parameters + _weightOffsets[l], n, parameters + _biasOffsets[l], output, outputStride, rows, k, n, hidden ? activation.Kind : Activation.Identity);
                if (hidden && !done)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        activation.Forward(new Span<float>(output + (r * outputStride), n));
                    }
                }

                input = output;
                inputStride = outputStride;
            }
        }
    }

    /// <summary>
    /// Class probabilities for one row into <paramref name="probabilities"/> (length <see cref="MlpModel.ClassCount"/>);
    /// scikit-learn's <c>predict_proba</c>. For binary models slot 0 is <c>1 - p</c> and slot 1 is <c>p</c>.
    /// </summary>
    public void PredictProbabilities(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        RequireClassifier();
        CheckWidth(probabilities.Length, _model.ClassCount, nameof(probabilities), "probability slots");
        if (_model.Task == MlpTask.BinaryClassification)
        {
            Span<float> logit = stackalloc float[1];
            ComputeScores(features, logit);
            float p = OutputLoss.Sigmoid(logit[0]);
            probabilities[0] = 1f - p;
            probabilities[1] = p;
            return;
        }

        ComputeScores(features, probabilities);
        OutputLoss.SoftmaxInPlace(probabilities);
    }

    /// <summary>The most probable class of one row (ties go to the lower index); scikit-learn's <c>predict</c>.</summary>
    public int PredictClass(ReadOnlySpan<float> features)
    {
        RequireClassifier();
        if (_model.Task == MlpTask.BinaryClassification)
        {
            Span<float> logit = stackalloc float[1];
            ComputeScores(features, logit);
            return logit[0] > 0 ? 1 : 0;
        }

        Span<float> scores = _model.OutputCount <= 256 ? stackalloc float[_model.OutputCount] : new float[_model.OutputCount];
        ComputeScores(features, scores);
        return ArgMax(scores);
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++)
        {
            if (values[j] > values[best])
            {
                best = j;
            }
        }

        return best;
    }

    private void RequireClassifier()
    {
        if (_model.Task == MlpTask.Regression)
        {
            throw new InvalidOperationException("This is a regression model; it has no classes. Use ComputeScores for its predictions.");
        }
    }

    private static void CheckWidth(int actual, int expected, string parameter, string what)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"The model expects {expected} {what}; {parameter} has {actual}.", parameter);
        }
    }
}
