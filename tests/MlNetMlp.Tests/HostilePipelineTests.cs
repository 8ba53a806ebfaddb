using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Tests;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// Pipeline files built in memory by an attacker: inflating entries, endless streams, nested zip bombs, forged headers
/// and parts from other models. Each is refused early with <see cref="MlpModelFormatException"/>, without the
/// memory its claims would cost.
/// </summary>
public class HostilePipelineTests
{
    private static byte[] Saved(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.SaveWithMlp(model, schema, stream);
        return stream.ToArray();
    }

    private static (MLContext Ml, byte[] File) Binary(int features = 30)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SampleData.BreastCancer(ml);
        if (features != 30)
        {
            data = ml.Data.LoadFromEnumerable(data.GetColumn<float[]>("Features").Zip(data.GetColumn<bool>("Label"), (f, l) => new SmallRow { Features = f[..4], Label = l }).ToArray());
        }

        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2))
            .Fit(data);
        return (ml, Saved(ml, model, data.Schema));
    }

    /// <summary>The entries of a pipeline zip, by name.</summary>
    private static Dictionary<string, byte[]> Entries(byte[] file)
    {
        using var zip = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        });
    }

    /// <summary>A pipeline zip of <paramref name="entries"/> whose manifest hashes are recomputed (upper or lower case), plus streamed extra entries.</summary>
    private static byte[] Zip(Dictionary<string, byte[]> entries, bool lowerCaseHashes = false, Dictionary<string, Action<Stream>>? streamed = null, Func<string, string>? hashOf = null)
    {
        var manifest = Encoding.UTF8.GetString(entries["mlnetmlp.manifest"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var lines = new List<string> { manifest[0], manifest[1] };
        foreach (string line in manifest.Skip(2))
        {
            string[] fields = line.Split(' ');
            string hash = hashOf?.Invoke(fields[1]) ?? (entries.TryGetValue(fields[1], out byte[]? bytes) ? Convert.ToHexString(SHA256.HashData(bytes)) : fields[2]);
            lines.Add($"{fields[0]} {fields[1]} {(lowerCaseHashes ? hash.ToLowerInvariant() : hash)}");
        }

        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in entries.Where(e => e.Key != "mlnetmlp.manifest"))
            {
                using Stream entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                entry.Write(bytes);
            }

            foreach ((string name, Action<Stream> write) in streamed ?? [])
            {
                using Stream entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                write(entry);
            }

            using Stream manifestEntry = zip.CreateEntry("mlnetmlp.manifest").Open();
            manifestEntry.Write(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        }

        return stream.ToArray();
    }

    private static void WriteZeros(Stream destination, long count)
    {
        var zeros = new byte[1 << 20];
        for (long left = count; left > 0; left -= zeros.Length)
        {
            destination.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }
    }

    private static MlpModelFormatException Rejected(MLContext ml, byte[] file, out long allocated)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MlpModelFormatException>(() => ml.Model.LoadWithMlp(new MemoryStream(file, writable: false), out _));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return error;
    }

    [Fact]
    public void LowerCaseManifestHashesAreAccepted()
    {
        (MLContext ml, byte[] file) = Binary();
        ITransformer loaded = ml.Model.LoadWithMlp(new MemoryStream(Zip(Entries(file), lowerCaseHashes: true)), out DataViewSchema schema);
        IDataView data = SampleData.BreastCancer(ml);
        Assert.Equal(
            ml.Model.LoadWithMlp(new MemoryStream(file), out _).Transform(data).GetColumn<float>("Score"),
            loaded.Transform(data).GetColumn<float>("Score"));
    }

    [Fact]
    public void AnMlpEntryThatInflatesFarIsRefusedAtItsFirstImpossibleField()
    {
        // A valid MLP part header announcing a 300 MB network, then zeros: about 3 MB compressed. Before, the whole entry
        // was buffered (and copied) before anything was checked.
        (MLContext ml, byte[] file) = Binary();
        Dictionary<string, byte[]> entries = Entries(file);
        byte[] part = entries["part-1.mlp"];
        entries.Remove("part-1.mlp");
        int header = part.Length - (int)BitConverter.ToInt64(part, FindNetwork(part) - 8);
        const long body = 300L << 20;
        var streamed = new Dictionary<string, Action<Stream>>
        {
            ["part-1.mlp"] = s =>
            {
                byte[] start = part[..header];
                BitConverter.GetBytes(20 + body).CopyTo(start, header - 8);
                s.Write(start);
                s.Write(part.AsSpan(header, 12));
                s.Write(BitConverter.GetBytes(body));
                WriteZeros(s, body);
            },
        };
        byte[] bomb = Zip(entries, streamed: streamed, hashOf: name => name == "part-1.mlp" ? new string('0', 64) : null!);
        Assert.True(bomb.Length < 4 << 20, $"{bomb.Length} bytes");
        MlpModelFormatException error = Rejected(ml, bomb, out long allocated);
        Assert.Contains("leaky-relu slope is 0", error.Message);
        Assert.InRange(allocated, 1, 16L << 20);
    }

    /// <summary>Where the network starts in an MLP part: at its 8-byte signature.</summary>
    private static int FindNetwork(byte[] part)
    {
        byte[] signature = [0x89, (byte)'M', (byte)'L', (byte)'P', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];
        return part.AsSpan().IndexOf(signature);
    }

    [Fact]
    public void AnEndlessStreamThatCannotSeekIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var endless = new EndlessStream([]);
        var error = Assert.Throws<MlpModelFormatException>(() => ml.Model.LoadWithMlp(endless, out _, maxUnseekableBytes: 4 << 20));
        Assert.Contains("goes on past 4,194,304 bytes", error.Message);
        Assert.InRange(endless.BytesRead, 4 << 20, (4 << 20) + (1 << 20));
        Assert.Equal(256L << 20, MlpModelOperations.MaxUnseekableStreamBytes);

        // A pipeline that does fit is read from a stream that cannot seek.
        (MLContext ml2, byte[] file) = Binary();
        Assert.NotNull(ml2.Model.LoadWithMlp(new TrickleStream(file, int.MaxValue), out _));
    }

    [Fact]
    public void ANestedMlNetZipThatClaimsTooMuchIsNotHandedToMlNet()
    {
        (MLContext ml, byte[] file) = Binary();
        Dictionary<string, byte[]> entries = Entries(file);
        using (var nested = new MemoryStream())
        {
            using (var zip = new ZipArchive(nested, ZipArchiveMode.Create, leaveOpen: true))
            {
                using Stream entry = zip.CreateEntry("TransformerChain/Model.key", CompressionLevel.Optimal).Open();
                WriteZeros(entry, 200L << 20);
            }

            entries["part-0.mlnet.zip"] = nested.ToArray();
        }

        MlpModelFormatException error = Rejected(ml, Zip(entries), out long allocated);
        Assert.Contains("Part part-0.mlnet.zip", error.Message);
        Assert.Contains("209,715,200", error.Message);
        Assert.InRange(allocated, 1, 16L << 20);
    }

    [Fact]
    public void AForgedTaskByteOverAThreeClassNetworkIsRejected()
    {
        var ml = new MLContext(seed: 2);
        IDataView data = SampleData.IrisColumns(ml);
        var model = ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Species"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2))
            .Fit(data);
        Dictionary<string, byte[]> entries = Entries(Saved(ml, model, data.Schema));
        byte[] part = entries["part-1.mlp"];
        Assert.Equal((byte)MlpTask.MulticlassClassification, part[8]);
        part[8] = (byte)MlpTask.BinaryClassification;
        MlpModelFormatException error = Rejected(ml, Zip(entries), out _);
        Assert.Contains("says BinaryClassification but holds a MulticlassClassification network with 3 outputs", error.Message);
    }

    [Fact]
    public void AnMlpPartFromAModelWithAnotherFeatureCountIsRejectedAtLoad()
    {
        (MLContext ml, byte[] thirty) = Binary();
        (_, byte[] four) = Binary(features: 4);
        Dictionary<string, byte[]> entries = Entries(thirty);
        entries["part-1.mlp"] = Entries(four)["part-1.mlp"];
        MlpModelFormatException error = Rejected(ml, Zip(entries), out _);
        Assert.Contains("Part part-1.mlp does not fit the pipeline before it", error.Message);
        Assert.Contains("Vector<Single, 30>", error.Message);
        Assert.Contains("Vector<Single, 4>", error.Message);
    }

    private sealed class SmallRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
