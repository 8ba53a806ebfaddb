using System;

namespace MlNetMlp;

/// <summary>What a part of a saved pipeline (<see cref="MlpModelOperations"/>) holds.</summary>
internal enum PipelinePartKind
{
    /// <summary>A run of ML.NET transformers, saved by ML.NET's own saver (a nested zip).</summary>
    MlNet,

    /// <summary>One <see cref="MlpPredictionTransformer"/>, in <see cref="MlpPipelinePart"/>'s format.</summary>
    Mlp,
}

/// <summary>
/// The one place that maps a <see cref="PipelinePartKind"/> to what the pipeline file stores: the word in its manifest
/// line (<c>mlnet</c>, <c>mlp</c>), its zip entry's name and how that entry is compressed. Files written before the enum
/// existed hold the same words, so they still load.
/// </summary>
internal static class PipelineParts
{
    /// <summary>The word the manifest stores for <paramref name="kind"/>.</summary>
    public static string Word(PipelinePartKind kind) => kind switch
    {
        PipelinePartKind.MlNet => "mlnet",
        PipelinePartKind.Mlp => "mlp",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pipeline part kind."),
    };

    /// <summary>The kind a manifest word stands for; false for any other word.</summary>
    public static bool TryParse(string word, out PipelinePartKind kind)
    {
        foreach (PipelinePartKind candidate in Enum.GetValues<PipelinePartKind>())
        {
            if (string.Equals(word, Word(candidate), StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>The zip entry of part <paramref name="index"/>: <c>part-N.mlnet.zip</c> or <c>part-N.mlp</c>.</summary>
    public static string EntryName(int index, PipelinePartKind kind) => kind == PipelinePartKind.Mlp ? $"part-{index}.mlp" : $"part-{index}.mlnet.zip";

    /// <summary>How the entry is compressed: an ML.NET part is already a zip, so it is stored as it is.</summary>
    public static System.IO.Compression.CompressionLevel Compression(PipelinePartKind kind) =>
        kind == PipelinePartKind.Mlp ? System.IO.Compression.CompressionLevel.Optimal : System.IO.Compression.CompressionLevel.NoCompression;
}
