using System;
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
