using System;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp;

/// <summary>Copies ML.NET feature vectors, dense or sparse, into a dense float span.</summary>
internal static class FeatureReader
{
    /// <summary>Writes <paramref name="source"/> densely into <paramref name="destination"/> (its length must match).</summary>
    public static void CopyDense(in VBuffer<float> source, Span<float> destination)
    {
        if (source.Length != destination.Length)
        {
            throw new InvalidOperationException($"A feature vector has {source.Length} values; the model expects {destination.Length}.");
        }

        ReadOnlySpan<float> values = source.GetValues();
        if (source.IsDense)
        {
            values.CopyTo(destination);
            return;
        }

        destination.Clear();
        ReadOnlySpan<int> indices = source.GetIndices();
        for (int i = 0; i < indices.Length; i++)
        {
            destination[indices[i]] = values[i];
        }
    }
}

/// <summary>Reads the features column (a float vector or a single float) of the current row densely. Not thread-safe.</summary>
internal sealed class FeatureSource
{
    private readonly ValueGetter<VBuffer<float>>? _vectorGetter;
    private readonly ValueGetter<float>? _scalarGetter;
    private VBuffer<float> _buffer;

    public FeatureSource(DataViewRow input, DataViewSchema.Column featureColumn)
    {
        if (featureColumn.Type is VectorDataViewType)
        {
            _vectorGetter = input.GetGetter<VBuffer<float>>(featureColumn);
        }
        else
        {
            _scalarGetter = input.GetGetter<float>(featureColumn);
        }
    }

    /// <summary>Writes the current row's features into <paramref name="destination"/>, whose length is the model's feature count.</summary>
    public void Read(Span<float> destination)
    {
        if (_scalarGetter is not null)
        {
            _scalarGetter(ref destination[0]);
            return;
        }

        _vectorGetter!(ref _buffer);
        FeatureReader.CopyDense(in _buffer, destination);
    }
}
