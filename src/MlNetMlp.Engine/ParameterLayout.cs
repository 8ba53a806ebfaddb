using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Where each layer's parameters live in the one flat parameter vector. Layer l maps width
/// <c>Sizes[l]</c> to <c>Sizes[l + 1]</c>; its weight is <c>(Sizes[l], Sizes[l + 1])</c> row-major, as
/// scikit-learn's <c>coefs_[l]</c>. All weights come first, then all biases (scikit-learn's <c>_pack</c>
/// order), so the L2 penalty and L-BFGS see one contiguous block of weights.
/// </summary>
internal sealed class ParameterLayout
{
    private readonly int[] _sizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    public ParameterLayout(ReadOnlySpan<int> sizes)
    {
        _sizes = sizes.ToArray();
        int layers = _sizes.Length - 1;
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        long offset = 0;
        for (int l = 0; l < layers; l++)
        {
            _weightOffsets[l] = (int)offset;
            offset += (long)_sizes[l] * _sizes[l + 1];
            CheckCount(offset);
        }

        WeightCount = (int)offset;
        for (int l = 0; l < layers; l++)
        {
            _biasOffsets[l] = (int)offset;
            offset += _sizes[l + 1];
            CheckCount(offset);
        }

        Count = (int)offset;
        int max = 0;
        foreach (int s in _sizes)
        {
            max = Math.Max(max, s);
        }

        MaxWidth = max;
    }

    /// <summary>The largest number of parameters one flat vector may hold.</summary>
    public static long MaxCount => Array.MaxLength;

    /// <summary>Number of weight layers (hidden layers + 1).</summary>
    public int LayerCount => _weightOffsets.Length;

    /// <summary>Widths from the input to the output.</summary>
    public ReadOnlySpan<int> Sizes => _sizes;

    public int InputWidth => _sizes[0];

    public int OutputWidth => _sizes[^1];

    public int MaxWidth { get; }

    public int Count { get; }

    /// <summary>Number of weights (the leading block of the parameter vector).</summary>
    public int WeightCount { get; }

    /// <summary>Total parameter count for the given widths, without building a layout.</summary>
    public static long CountParameters(ReadOnlySpan<int> sizes)
    {
        long total = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            total += ((long)sizes[l] * sizes[l + 1]) + sizes[l + 1];
        }

        return total;
    }

    /// <summary>Where layer <paramref name="layer"/>'s weights start in the parameter vector.</summary>
    public int WeightOffset(int layer) => _weightOffsets[layer];

    /// <summary>Where layer <paramref name="layer"/>'s biases start in the parameter vector.</summary>
    public int BiasOffset(int layer) => _biasOffsets[layer];

    public Span<float> Weights(Span<float> parameters, int layer) =>
        parameters.Slice(_weightOffsets[layer], _sizes[layer] * _sizes[layer + 1]);

    public ReadOnlySpan<float> Weights(ReadOnlySpan<float> parameters, int layer) =>
        parameters.Slice(_weightOffsets[layer], _sizes[layer] * _sizes[layer + 1]);

    public Span<float> Biases(Span<float> parameters, int layer) =>
        parameters.Slice(_biasOffsets[layer], _sizes[layer + 1]);

    public ReadOnlySpan<float> Biases(ReadOnlySpan<float> parameters, int layer) =>
        parameters.Slice(_biasOffsets[layer], _sizes[layer + 1]);

    private static void CheckCount(long count)
    {
        if (count > MaxCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MlpOptions.HiddenLayerSizes),
                $"The network would need {count:N0} or more parameters; at most {MaxCount:N0} fit in one float32 array. Use fewer or smaller hidden layers.");
        }
    }
}
