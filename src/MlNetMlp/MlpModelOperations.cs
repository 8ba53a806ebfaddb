using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
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
/// is <c>kind entry sha256</c>; a part whose bytes do not match its hash is rejected before it is parsed.
/// </remarks>
public static class MlpModelOperations
{
    /// <summary>The pipeline-file format this version writes and reads.</summary>
    public const int FormatVersion = 1;

    private const string ManifestEntry = "mlnetmlp.manifest";
    private const string ManifestMagic = "MlNetMlp pipeline";
    private const string TransformerMagic = "MLNMLPT1";
    private const int MaxParts = 10_000;
    private const long MaxEntryBytes = int.MaxValue;

    /// <summary>
    /// Saves <paramref name="model"/> (any chain of ML.NET transformers and MLP models) with its input schema to
    /// <paramref name="filePath"/>. The file is written to a temporary file first and renamed over the target, so an
    /// existing file survives a failed save intact.
    /// </summary>
    /// <example>
    /// Save, load in a fresh MLContext and predict: <c>samples/Examples/Persistence.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- Persistence</c>.
    /// </example>
    public static void SaveWithMlp(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        string full = Path.GetFullPath(filePath);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                catalog.SaveWithMlp(model, inputSchema, stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
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
            using var buffer = new MemoryStream();
            string kind;
            if (part is MlpPredictionTransformer mlp)
            {
                kind = "mlp";
                WriteTransformer(mlp, buffer);
                schema = mlp.GetOutputSchema(schema);
            }
            else
            {
                kind = "mlnet";
                var chain = new TransformerChain<ITransformer>(((List<ITransformer>)part).ToArray());
                catalog.Save(chain, schema, buffer);
                schema = chain.GetOutputSchema(schema);
            }

            string name = PartName(i, kind);
            using (Stream entry = zip.CreateEntry(name, kind == "mlp" ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open())
            {
                entry.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            }

            // The zip's CRCs are not checked when ML.NET reads its own entries, so each part carries a SHA-256.
            manifest.Append(kind).Append(' ').Append(name).Append(' ').Append(Hash(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))).Append('\n');
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

    /// <summary>Loads a pipeline saved by <see cref="SaveWithMlp(ModelOperationsCatalog, ITransformer, DataViewSchema, Stream)"/>.</summary>
    /// <exception cref="MlpModelFormatException">The data is not a valid MlNetMlp pipeline.</exception>
    public static ITransformer LoadWithMlp(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"The file is not an MlNetMlp pipeline zip: {e.Message}");
        }

        using (zip)
        {
            string[] lines = Encoding.UTF8.GetString(ReadEntry(zip, ManifestEntry, 1 << 20)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
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
            DataViewSchema? schema = null;
            for (int i = 2; i < lines.Length; i++)
            {
                string[] fields = lines[i].Split(' ');
                if (fields.Length != 3 || (fields[0] != "mlp" && fields[0] != "mlnet") || fields[1] != PartName(i - 2, fields[0]))
                {
                    throw new MlpModelFormatException($"Manifest line {i + 1} ('{lines[i]}') is not a valid part.");
                }

                byte[] bytes = ReadEntry(zip, fields[1], MaxEntryBytes);
                if (Hash(bytes) != fields[2])
                {
                    throw new MlpModelFormatException($"Part {fields[1]} of the pipeline file is damaged: its SHA-256 does not match the manifest.");
                }

                if (fields[0] == "mlnet")
                {
                    ITransformer part;
                    DataViewSchema partSchema;
                    try
                    {
                        part = catalog.Load(new MemoryStream(bytes, writable: false), out partSchema);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        throw new MlpModelFormatException($"ML.NET could not load part {fields[1]}: {e.Message}");
                    }

                    schema ??= partSchema;
                    transformers.Add(part);
                }
                else
                {
                    if (schema is null)
                    {
                        throw new MlpModelFormatException("The pipeline's first part must be an ML.NET part carrying the input schema.");
                    }

                    transformers.Add(ReadTransformer(bytes));
                }
            }

            inputSchema = schema ?? throw new MlpModelFormatException("The manifest lists no parts.");
            return new TransformerChain<ITransformer>(transformers.ToArray());
        }
    }

    private static string PartName(int index, string kind) => kind == "mlp" ? $"part-{index}.mlp" : $"part-{index}.mlnet.zip";

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));

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

    private static void Flatten(ITransformer transformer, List<ITransformer> leaves)
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

    private static byte[] ReadEntry(ZipArchive zip, string name, long limit)
    {
        try
        {
            ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new MlpModelFormatException($"The pipeline file has no entry '{name}'.");
            if (entry.Length > limit)
            {
                throw new MlpModelFormatException($"Entry '{name}' claims {entry.Length} bytes; at most {limit} are accepted.");
            }

            using Stream source = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > entry.Length)
                {
                    throw new MlpModelFormatException($"Entry '{name}' holds more bytes than its header says.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"The pipeline file is damaged (entry '{name}'): {e.Message}", e);
        }
    }

    private static void WriteTransformer(MlpPredictionTransformer transformer, Stream destination)
    {
        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(TransformerMagic));
        writer.Write((byte)transformer.Model.Task);
        writer.Write(transformer.FeatureColumnName);
        writer.Write(transformer.FeatureColumnType is VectorDataViewType);
        ClassNames? names = transformer.Model.ClassNames;
        writer.Write(names is not null);
        names?.Write(writer);
        using var model = new MemoryStream();
        MlpModelSerializer.Save(transformer.Model.Network, model);
        writer.Write(model.Length);
        writer.Write(model.GetBuffer(), 0, (int)model.Length);
    }

    private static MlpPredictionTransformer ReadTransformer(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            if (Encoding.ASCII.GetString(reader.ReadBytes(TransformerMagic.Length)) != TransformerMagic)
            {
                throw new MlpModelFormatException("An MLP part of the pipeline file does not start with the MLP transformer header.");
            }

            byte taskCode = reader.ReadByte();
            if (!Enum.IsDefined((MlpTask)taskCode))
            {
                throw new MlpModelFormatException($"An MLP part names task code {taskCode}, which does not exist.");
            }

            var task = (MlpTask)taskCode;
            string featureColumn = reader.ReadString();
            bool isVector = reader.ReadBoolean();
            bool hasNames = reader.ReadBoolean();
            long namesStart = reader.BaseStream.Position;
            long modelLength;
            MlpModel network;
            ClassNames? names = null;
            if (hasNames)
            {
                // Class names come before the network; read the network first to know the class count, then come back.
                SkipClassNames(reader);
            }

            modelLength = reader.ReadInt64();
            if (modelLength < 0 || modelLength != reader.BaseStream.Length - reader.BaseStream.Position)
            {
                throw new MlpModelFormatException("An MLP part's network length does not match the bytes present.");
            }

            network = MlpModelSerializer.Load(new MemoryStream(bytes, (int)reader.BaseStream.Position, (int)modelLength, writable: false));
            if (hasNames)
            {
                reader.BaseStream.Position = namesStart;
                names = ClassNames.Read(reader, network.ClassCount);
            }

            if (task == MlpTask.Regression ? network.Task != MlpTask.Regression : network.Task == MlpTask.Regression)
            {
                throw new MlpModelFormatException($"An MLP part says {task} but holds a {network.Task} network.");
            }

            if (!isVector && network.InputCount != 1)
            {
                throw new MlpModelFormatException("An MLP part reads a scalar features column but its network has several inputs.");
            }

            DataViewType featureType = isVector ? new VectorDataViewType(NumberDataViewType.Single, network.InputCount) : NumberDataViewType.Single;
            return new MlpPredictionTransformer(new MlpModelParameters(task, network, names), featureColumn, featureType);
        }
        catch (EndOfStreamException)
        {
            throw new MlpModelFormatException("An MLP part of the pipeline file is truncated.");
        }
        catch (InvalidDataException e)
        {
            throw new MlpModelFormatException($"An MLP part of the pipeline file is damaged: {e.Message}");
        }
    }

    private static void SkipClassNames(BinaryReader reader)
    {
        byte code = reader.ReadByte();
        int count = reader.ReadInt32();
        if (count < 0 || count > MlpOptions.MaxLayerWidth)
        {
            throw new MlpModelFormatException($"An MLP part lists {count} class names.");
        }

        for (int i = 0; i < count; i++)
        {
            if (code == 1)
            {
                reader.ReadString();
            }
            else
            {
                reader.ReadDouble();
            }
        }
    }
}
