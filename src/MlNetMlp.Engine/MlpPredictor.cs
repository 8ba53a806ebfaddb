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
    private readonly float[] _ping;
    private readonly float[] _pong;
    private float[]? _blockPing;
    private float[]? _blockPong;

    internal MlpPredictor(MlpModel model)
    {
        _model = model;
        _ping = new float[model.Layout.MaxWidth];
        _pong = new float[model.Layout.MaxWidth];
    }

    /// <summary>The model this predictor runs.</summary>
    public MlpModel Model => _model;

    /// <summary>
    /// Writes the raw output layer for one row into <paramref name="scores"/> (length <see cref="MlpModel.OutputCount"/>):
    /// the logit for binary classification, the class logits for multiclass, the predictions for regression.
    /// </summary>
    public void ComputeScores(ReadOnlySpan<float> features, Span<float> scores)
    {
        CheckWidth(features.Length, _model.InputCount, nameof(features), "features");
        CheckWidth(scores.Length, _model.OutputCount, nameof(scores), "score slots");
        ParameterLayout layout = _model.Layout;
        ReadOnlySpan<float> parameters = _model.Parameters;
        ReadOnlySpan<float> input = features;
        int layers = layout.LayerCount;
        for (int l = 0; l < layers; l++)
        {
            int k = layout.Sizes[l];
            int n = layout.Sizes[l + 1];
            Span<float> output = l + 1 == layers ? scores : (l % 2 == 0 ? _ping : _pong).AsSpan(0, n);
            Gemm.MultiplyAddBias(input, layout.Weights(parameters, l), layout.Biases(parameters, l), output, 1, k, n);
            if (l + 1 < layers)
            {
                _model.HiddenActivation.Forward(output);
            }

            input = output;
        }
    }

    /// <summary>
    /// Writes the raw output layer for <paramref name="rowCount"/> rows stored row-major in <paramref name="features"/>
    /// into <paramref name="scores"/> <c>(rowCount, OutputCount)</c>.
    /// </summary>
    public void ComputeScores(ReadOnlySpan<float> features, int rowCount, Span<float> scores)
    {
        int d = _model.InputCount;
        int outputs = _model.OutputCount;
        if (rowCount < 0 || features.Length != (long)rowCount * d)
        {
            throw new ArgumentException($"{nameof(features)} has {features.Length} values; {rowCount} rows of {d} features need {(long)rowCount * d}.", nameof(features));
        }

        CheckWidth(scores.Length, rowCount * outputs, nameof(scores), "score values");
        ParameterLayout layout = _model.Layout;
        _blockPing ??= new float[BlockRows * layout.MaxWidth];
        _blockPong ??= new float[BlockRows * layout.MaxWidth];
        ReadOnlySpan<float> parameters = _model.Parameters;
        int layers = layout.LayerCount;
        for (int start = 0; start < rowCount; start += BlockRows)
        {
            int m = Math.Min(BlockRows, rowCount - start);
            ReadOnlySpan<float> input = features.Slice(start * d, m * d);
            for (int l = 0; l < layers; l++)
            {
                int k = layout.Sizes[l];
                int n = layout.Sizes[l + 1];
                Span<float> output = l + 1 == layers
                    ? scores.Slice(start * outputs, m * outputs)
                    : (l % 2 == 0 ? _blockPing : _blockPong).AsSpan(0, m * n);
                Gemm.MultiplyAddBias(input, layout.Weights(parameters, l), layout.Biases(parameters, l), output, m, k, n);
                if (l + 1 < layers)
                {
                    _model.HiddenActivation.Forward(output);
                }

                input = output;
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
