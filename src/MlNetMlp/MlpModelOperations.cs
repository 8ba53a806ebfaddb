using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Saves and loads whole fitted pipelines that contain MLP models, in one zip. The chain is split at each
/// <see cref="MlpPredictionTransformer"/>: the ML.NET parts are written by ML.NET's own saver
/// (<c>mlContext.Model.Save</c>) into zip entries, each MLP as our versioned format (MlpModelSerializer plus its
/// column settings), and loading rebuilds the chain. Predictions after a round trip are bit-identical.
/// </summary>
/// <remarks>
/// Layout (format 1): <c>mlnetmlp.manifest</c> lists the parts in order; <c>part-N.mlnet.zip</c> is an ML.NET model
/// (part 0 always, possibly an empty chain, carrying the input schema); <c>part-N.mlp</c> is an MLP. Each manifest line
/// is <c>kind entry sha256</c>; a part whose bytes do not match its hash is rejected before it is parsed. The kinds
/// and their words and entry names: <see cref="PipelineParts"/>; the MLP part's own layout: <see cref="MlpPipelinePart"/>;
/// hashing as parts stream: <see cref="HashingReadStream"/> and <see cref="HashingWriteStream"/>.
/// </remarks>
public static class MlpModelOperations
{
    /// <summary>The pipeline-file format this version writes and reads.</summary>
    public const int FormatVersion = 1;

    private const string ManifestEntry = "mlnetmlp.manifest";
    private const string ManifestMagic = "MlNetMlp pipeline";
    private const int MaxParts = 10_000;
    private const long MaxEntryBytes = int.MaxValue;
    private const int MaxManifestBytes = 1 << 20;

    /// <summary>Most bytes deflate can inflate one compressed byte to (its limit is about 1,032).</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// A nested ML.NET part may declare at most this many times its own size in inflated entries, plus
    /// <see cref="NestedAllowanceBytes"/>: ML.NET's model streams (parameters, key and n-gram tables) compress a few
    /// times at most, while a nested zip bomb claims hundreds of times more.
    /// </summary>
    private const long MaxNestedRatio = 64;

    private const long NestedAllowanceBytes = 64L << 20;

    /// <summary>
    /// The most bytes read from a stream that cannot seek: a zip keeps its directory at its end, so such a stream is
    /// read into memory first, and one that does not end within this many bytes is refused.
    /// </summary>
    public const long MaxUnseekableStreamBytes = 256L << 20;

    /// <summary>
    /// Saves <paramref name="model"/> (any chain of ML.NET transformers and MLP models) with its input schema to
    /// <paramref name="filePath"/>. The file is written to a temporary file in the same folder first
    /// (<c>.mlnetmlp-save-XXXXXXXX.tmp</c>) and renamed over the target, so an existing file survives a failed save
    /// intact; after a failure the temporary file is removed and the original error is thrown. A temporary file left by
    /// a killed process is removed by a later save into the same folder once it is a day old.
    /// </summary>
    /// <example>
    /// Save, load in a fresh MLContext and predict: <c>samples/Examples/Persistence.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Persistence</c>.
    /// </example>
    public static void SaveWithMlp(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        AtomicFile.Write(filePath, nameof(filePath), stream => catalog.SaveWithMlp(model, inputSchema, stream));
    }

    /// <summary>Saves <paramref name="model"/> with its input schema as a zip into <paramref name="stream"/>.</summary>
    public static void SaveWithMlp(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentNullException.ThrowIfNull(stream);

        var parts = Split(model);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        var manifest = new StringBuilder();
        manifest.Append(ManifestMagic).Append('\n').Append(FormatVersion).Append('\n');
        DataViewSchema schema = inputSchema;
        for (int i = 0; i < parts.Count; i++)
        {
            object part = parts[i];
            PipelinePartKind kind = part is MlpPredictionTransformer ? PipelinePartKind.Mlp : PipelinePartKind.MlNet;
            string name = PipelineParts.EntryName(i, kind);
            string hash;
            using (var entry = new HashingWriteStream(zip.CreateEntry(name, PipelineParts.Compression(kind)).Open()))
            {
                switch (kind)
                {
                    case PipelinePartKind.Mlp:
                        var mlp = (MlpPredictionTransformer)part;
                        MlpPipelinePart.Write(mlp, entry);
                        schema = mlp.GetOutputSchema(schema);
                        break;
                    default:
                        // ML.NET's saver gets a seekable buffer, as its own Save to a file would.
                        var chain = new TransformerChain<ITransformer>(((List<ITransformer>)part).ToArray());
                        using (var buffer = new MemoryStream())
                        {
                            catalog.Save(chain, schema, buffer);
                            entry.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
                        }

                        schema = chain.GetOutputSchema(schema);
                        break;
                }

                hash = entry.HashHex();
            }

            // The zip's CRCs are not checked when ML.NET reads its own entries, so each part carries a SHA-256.
            manifest.Append(PipelineParts.Word(kind)).Append(' ').Append(name).Append(' ').Append(hash).Append('\n');
        }

        using (var writer = new StreamWriter(zip.CreateEntry(ManifestEntry).Open(), new UTF8Encoding(false)))
        {
            writer.Write(manifest.ToString());
        }
    }

    /// <summary>Loads a pipeline saved by <see cref="SaveWithMlp(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/>.</summary>
    /// <exception cref="MlpModelFormatException">The file is not a valid MlNetMlp pipeline (truncated, damaged or of another version).</exception>
    public static ITransformer LoadWithMlp(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        using var stream = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        return catalog.LoadWithMlp(stream, out inputSchema);
    }

    /// <summary>
    /// Loads a pipeline saved by <see cref="SaveWithMlp(ModelOperationsCatalog, ITransformer, DataViewSchema, Stream)"/>.
    /// Nothing in the data is trusted: every size is checked against what the zip can hold before anything is allocated
    /// for it, each part's SHA-256 is computed as it streams, MLP parts are parsed as they stream (a forged one is
    /// rejected at its first impossible field), nested ML.NET parts are refused when their entries claim more than
    /// such parts can be, and each MLP part is checked against its own network and against the schema it follows.
    /// A stream that cannot seek is read into memory first, up to <see cref="MaxUnseekableStreamBytes"/>.
    /// </summary>
    /// <exception cref="MlpModelFormatException">The data is not a valid MlNetMlp pipeline.</exception>
    public static ITransformer LoadWithMlp(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema) =>
        LoadWithMlp(catalog, stream, out inputSchema, MaxUnseekableStreamBytes);

    /// <summary>As <see cref="LoadWithMlp(ModelOperationsCatalog, Stream, out DataViewSchema)"/> with another cap for streams that cannot seek (tests use a small one).</summary>
    internal static ITransformer LoadWithMlp(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema, long maxUnseekableBytes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        Stream source = stream.CanSeek ? stream : ReadUnseekable(stream, maxUnseekableBytes);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"The file is not an MlNetMlp pipeline zip: {e.Message}");
        }

        using (zip)
        {
            long fileBytes = source.Length;
            string[] lines = Encoding.UTF8.GetString(ReadEntry(zip, ManifestEntry, MaxManifestBytes, fileBytes, expectedHash: null)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length < 3 || lines[0] != ManifestMagic)
            {
                throw new MlpModelFormatException("The zip is not an MlNetMlp pipeline: its manifest is missing or damaged.");
            }

            if (lines[1] != FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new MlpModelFormatException($"The pipeline file has format version '{lines[1]}'; this version of MlNetMlp reads version {FormatVersion}.");
            }

            if (lines.Length - 2 > MaxParts)
            {
                throw new MlpModelFormatException($"The manifest lists {lines.Length - 2} parts; at most {MaxParts} are accepted.");
            }

            var transformers = new List<ITransformer>();
            DataViewSchema? input = null;
            DataViewSchema? current = null;
            for (int i = 2; i < lines.Length; i++)
            {
                string[] fields = lines[i].Split(' ');
                if (fields.Length != 3 || !PipelineParts.TryParse(fields[0], out PipelinePartKind kind) || fields[1] != PipelineParts.EntryName(i - 2, kind) || !IsSha256(fields[2]))
                {
                    throw new MlpModelFormatException($"Manifest line {i + 1} ('{lines[i]}') is not a valid part.");
                }

                string name = fields[1];
                if (kind == PipelinePartKind.MlNet)
                {
                    byte[] bytes = ReadEntry(zip, name, MaxEntryBytes, fileBytes, fields[2]);
                    CheckNestedZip(bytes, name);
                    ITransformer part;
                    DataViewSchema partSchema;
                    try
                    {
                        part = catalog.Load(new MemoryStream(bytes, writable: false), out partSchema);
                        current = part.GetOutputSchema(current ?? partSchema);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException and not MlpModelFormatException)
                    {
                        throw new MlpModelFormatException($"ML.NET could not load part {name}, or it does not fit the schema before it: {e.Message}");
                    }

                    input ??= partSchema;
                    transformers.Add(part);
                }
                else
                {
                    if (current is null)
                    {
                        throw new MlpModelFormatException("The pipeline's first part must be an ML.NET part carrying the input schema.");
                    }

                    MlpPredictionTransformer mlp = ReadMlpEntry(zip, name, fileBytes, fields[2]);
                    CheckFitsSchema(mlp, current, name);
                    current = mlp.GetOutputSchema(current);
                    transformers.Add(mlp);
                }
            }

            inputSchema = input ?? throw new MlpModelFormatException("The manifest lists no parts.");
            return new TransformerChain<ITransformer>(transformers.ToArray());
        }
    }

    /// <summary>Reads a stream that cannot seek into memory, refusing one that goes on past <see cref="MaxUnseekableStreamBytes"/>.</summary>
    private static MemoryStream ReadUnseekable(Stream stream, long limit)
    {
        var memory = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (memory.Length + read > limit)
            {
                throw new MlpModelFormatException($"The stream goes on past {limit:N0} bytes without ending; a pipeline read from a stream that cannot seek may have at most that many. Load larger pipelines from a file (or a seekable stream).");
            }

            memory.Write(chunk, 0, read);
        }

        memory.Position = 0;
        return memory;
    }

    private static bool IsSha256(string text) => text.Length == 64 && text.All(Uri.IsHexDigit);

    /// <summary>The entry <paramref name="name"/>, after checking what it claims against what a zip of <paramref name="fileBytes"/> bytes can hold.</summary>
    private static ZipArchiveEntry CheckedEntry(ZipArchive zip, string name, long limit, long fileBytes)
    {
        ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new MlpModelFormatException($"The pipeline file has no entry '{name}'.");
        if (entry.Length > limit)
        {
            throw new MlpModelFormatException($"Entry '{name}' claims {entry.Length:N0} bytes; at most {limit:N0} are accepted.");
        }

        if (entry.CompressedLength > fileBytes || entry.Length > (entry.CompressedLength * MaxDeflateRatio) + 1024)
        {
            throw new MlpModelFormatException($"Entry '{name}' claims {entry.Length:N0} bytes from {entry.CompressedLength:N0} compressed bytes in a {fileBytes:N0}-byte file; no zip entry inflates that much.");
        }

        return entry;
    }

    /// <summary>Reads an entry whole (ML.NET parts and the manifest: ML.NET needs a seekable stream), hashing it on the way.</summary>
    private static byte[] ReadEntry(ZipArchive zip, string name, long limit, long fileBytes, string? expectedHash)
    {
        try
        {
            ZipArchiveEntry entry = CheckedEntry(zip, name, limit, fileBytes);
            using var source = new HashingReadStream(entry.Open(), entry.Length, name);
            var bytes = new byte[entry.Length];
            source.ReadExactly(bytes);
            source.RequireEnd();
            if (expectedHash is not null)
            {
                source.CheckHash(expectedHash);
            }

            return bytes;
        }
        catch (EndOfStreamException)
        {
            throw new MlpModelFormatException($"Entry '{name}' of the pipeline file holds fewer bytes than its header says.");
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"The pipeline file is damaged (entry '{name}'): {e.Message}", e);
        }
    }

    /// <summary>Refuses a nested ML.NET zip whose entries claim more than such a part can hold, before ML.NET inflates them.</summary>
    private static void CheckNestedZip(byte[] bytes, string name)
    {
        try
        {
            using var nested = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            long limit = NestedAllowanceBytes + (MaxNestedRatio * bytes.Length);
            long total = 0;
            foreach (ZipArchiveEntry entry in nested.Entries)
            {
                total += entry.Length;
                if (entry.Length < 0 || entry.Length > MaxEntryBytes || total > limit)
                {
                    throw new MlpModelFormatException($"Part {name} (an ML.NET model of {bytes.Length:N0} bytes) claims {total:N0} bytes once inflated (entry '{entry.FullName}': {entry.Length:N0}); at most {limit:N0} are accepted.");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"Part {name} is not a valid ML.NET model zip: {e.Message}", e);
        }
    }

    /// <summary>Parses an MLP part as it streams out of the zip, hashing it on the way.</summary>
    private static MlpPredictionTransformer ReadMlpEntry(ZipArchive zip, string name, long fileBytes, string expectedHash)
    {
        try
        {
            ZipArchiveEntry entry = CheckedEntry(zip, name, MlpModelSerializer.MaxModelBytes + (1 << 20), fileBytes);
            using var source = new HashingReadStream(entry.Open(), entry.Length, name);
            MlpPredictionTransformer transformer = MlpPipelinePart.Read(source);
            source.RequireEnd();
            source.CheckHash(expectedHash);
            return transformer;
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"The pipeline file is damaged (entry '{name}'): {e.Message}", e);
        }
    }

    /// <summary>Checks that an MLP part finds its features column, with its feature count, in the schema before it.</summary>
    private static void CheckFitsSchema(MlpPredictionTransformer mlp, DataViewSchema schema, string name)
    {
        try
        {
            ScoreColumns.CheckFeatureColumn(schema, mlp.FeatureColumnName, mlp.Model.FeatureCount);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new MlpModelFormatException($"Part {name} does not fit the pipeline before it: {e.Message}", e);
        }
    }

    /// <summary>Flattens nested chains; groups runs of ML.NET transformers; part 0 is always an ML.NET run (maybe empty).</summary>
    private static List<object> Split(ITransformer model)
    {
        var leaves = new List<ITransformer>();
        Flatten(model, leaves);
        var parts = new List<object> { new List<ITransformer>() };
        foreach (ITransformer leaf in leaves)
        {
            if (leaf is MlpPredictionTransformer)
            {
                parts.Add(leaf);
            }
            else if (parts[^1] is List<ITransformer> run)
            {
                run.Add(leaf);
            }
            else
            {
                parts.Add(new List<ITransformer> { leaf });
            }
        }

        return parts;
    }

    /// <summary>The leaves of <paramref name="transformer"/> in order, nested chains flattened (also used by the ONNX export).</summary>
    internal static void Flatten(ITransformer transformer, List<ITransformer> leaves)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (ITransformer inner in chain)
            {
                Flatten(inner, leaves);
            }
        }
        else
        {
            leaves.Add(transformer);
        }
    }
}
