using System;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp;

/// <summary>
/// Reads ML.NET feature vectors, dense or sparse, for training and scoring alike. A vector of the wrong length, or a
/// sparse one whose slots are out of range or not ascending (a custom <see cref="IDataView"/> can produce those), is
/// reported with the column and the row.
/// </summary>
internal static class FeatureReader
{
    /// <summary>Checks that <paramref name="source"/> has <paramref name="length"/> slots and, when sparse, ascending slots inside them.</summary>
    public static void Check(in VBuffer<float> source, int length, string column, long row)
    {
        if (source.Length != length)
        {
            throw new InvalidOperationException($"Features column '{column}' has {source.Length} values in row {row}; the model expects {length} in every row.");
        }

        if (source.IsDense)
        {
            if (source.GetValues().Length != length)
            {
                throw new InvalidOperationException($"Features column '{column}' holds {source.GetValues().Length} values in row {row} but says it has {length}.");
            }

            return;
        }

        ReadOnlySpan<int> indices = source.GetIndices();
        if (indices.Length != source.GetValues().Length)
        {
            throw new InvalidOperationException($"Features column '{column}' stores {source.GetValues().Length} values at {indices.Length} slots in row {row}; each stored value needs one slot.");
        }

        int previous = -1;
        foreach (int slot in indices)
        {
            if (slot <= previous || slot >= length)
            {
                throw new InvalidOperationException($"Features column '{column}' stores slot {slot} after slot {previous} in row {row}; sparse slots must ascend and lie in [0, {length - 1}].");
            }

            previous = slot;
        }
    }

    /// <summary>Writes <paramref name="source"/>, already checked with <see cref="Check"/>, densely into <paramref name="destination"/>.</summary>
    public static void CopyDense(in VBuffer<float> source, Span<float> destination)
    {
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

/// <summary>Reads the features column (a float vector or a single float) of the current row, checked, densely or sparsely. Not thread-safe.</summary>
internal sealed class FeatureSource
{
    private readonly DataViewRow _input;
    private readonly string _column;
    private readonly int _length;
    private readonly ValueGetter<VBuffer<float>>? _vectorGetter;
    private readonly ValueGetter<float>? _scalarGetter;
    private VBuffer<float> _buffer;

    public FeatureSource(DataViewRow input, DataViewSchema.Column featureColumn, int featureCount)
    {
        _input = input;
        _column = featureColumn.Name;
        _length = featureCount;
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

        FeatureReader.CopyDense(in Vector(), destination);
    }

    /// <summary>The current row's vector, checked (only for a vector column); valid until the next call.</summary>
    public ref readonly VBuffer<float> Vector()
    {
        _vectorGetter!(ref _buffer);
        FeatureReader.Check(in _buffer, _length, _column, _input.Position);
        return ref _buffer;
    }

    /// <summary>Whether the column is a vector (which may come sparse).</summary>
    public bool IsVector => _vectorGetter is not null;
}
