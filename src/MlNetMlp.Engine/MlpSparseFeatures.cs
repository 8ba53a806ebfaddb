using System;

namespace MlNetMlp.Engine;

/// <summary>
/// Feature rows held sparse, in compressed-row form: row <c>r</c> has the values
/// <c>Values[RowStarts[r] .. RowStarts[r + 1])</c> at the slots <c>Indices[...]</c> (ascending), and 0 in every other
/// slot. Training and scoring multiply the first layer over the stored values only, so a row costs its stored values
/// times the first hidden width, not its slot count; the results are those of the same rows held dense (each output
/// is the same chain of fused multiply-adds in ascending slot order, less the terms whose input is 0, which add
/// exactly nothing). The arrays are used as given, not copied. Construction checks every index and value.
/// </summary>
public sealed class MlpSparseFeatures
{
    /// <summary>Checks and wraps sparse rows of <paramref name="featureCount"/> slots each.</summary>
    /// <param name="featureCount">Slots per row.</param>
    /// <param name="rowStarts">Where each row starts in <paramref name="indices"/> and <paramref name="values"/>; one more entry than rows, starting at 0, non-decreasing, ending at their length.</param>
    /// <param name="indices">The slot of each stored value, ascending within a row, in <c>[0, featureCount)</c>.</param>
    /// <param name="values">The stored values; they must be finite.</param>
    public MlpSparseFeatures(int featureCount, int[] rowStarts, int[] indices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowStarts);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        if (featureCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, $"{nameof(featureCount)} must be at least 1; got {featureCount}.");
        }

        if (rowStarts.Length < 2)
        {
            throw new ArgumentException("The data set has no rows; training needs at least one (rowStarts holds one more entry than there are rows).", nameof(rowStarts));
        }

        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"{nameof(indices)} has {indices.Length} entries and {nameof(values)} {values.Length}; each stored value needs its slot.", nameof(indices));
        }

        if (rowStarts[0] != 0 || rowStarts[^1] != values.Length)
        {
            throw new ArgumentException($"{nameof(rowStarts)} runs from {rowStarts[0]} to {rowStarts[^1]}; it must run from 0 to the {values.Length} stored values.", nameof(rowStarts));
        }

        for (int r = 0; r + 1 < rowStarts.Length; r++)
        {
            int start = rowStarts[r], end = rowStarts[r + 1];
            if (end < start)
            {
                throw new ArgumentException($"{nameof(rowStarts)} decreases at row {r} ({start} then {end}).", nameof(rowStarts));
            }

            for (int i = start; i < end; i++)
            {
                int slot = indices[i];
                if ((uint)slot >= (uint)featureCount || (i > start && slot <= indices[i - 1]))
                {
                    throw new ArgumentException($"Row {r} stores slot {slot} after slot {(i > start ? indices[i - 1] : -1)}; slots must ascend within a row and lie in [0, {featureCount - 1}].", nameof(indices));
                }

                if (!float.IsFinite(values[i]))
                {
                    throw new ArgumentException($"Feature {slot} of row {r} is {values[i]}; features must be finite. Replace missing values or drop those rows first.", nameof(values));
                }
            }
        }

        FeatureCount = featureCount;
        RowStarts = rowStarts;
        Indices = indices;
        Values = values;
    }

    /// <summary>Slots per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => RowStarts.Length - 1;

    /// <summary>Where each row starts in <see cref="Indices"/> and <see cref="Values"/> (one more entry than rows).</summary>
    public int[] RowStarts { get; }

    /// <summary>The slot of each stored value.</summary>
    public int[] Indices { get; }

    /// <summary>The stored values.</summary>
    public float[] Values { get; }

    /// <summary>Bytes the three arrays occupy.</summary>
    internal long ByteCount => (4L * RowStarts.Length) + (4L * Indices.Length) + (4L * Values.Length);
}
