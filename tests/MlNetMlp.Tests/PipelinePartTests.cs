using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// The parts of a saved pipeline: the MLP part streams front to back in its unchanged layout, and part kinds map to
/// the manifest's words in one place.
/// </summary>
public class PipelinePartTests
{
    [Fact]
    public void TheMlpPartStreamsToAWriteOnlyStreamInItsLayoutAndReadsBack()
    {
        var random = new Random(7);
        float[] parameters = Enumerable.Range(0, (5 * 6) + (6 * 3) + 6 + 3).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        MlpModel network = MlpModel.FromParameters(MlpTask.MulticlassClassification, 5, [6], 3, Activation.Tanh, parameters);
        var transformer = new MlpPredictionTransformer(new MlpModelParameters(network, classNames: null), "Features", new VectorDataViewType(NumberDataViewType.Single, 5));

        // Written to a stream that can neither seek nor read, as a zip entry's is: no seek-back is possible.
        var sink = new WriteOnlyStream();
        MlpPipelinePart.Write(transformer, sink);
        byte[] part = sink.Inner.ToArray();

        // The layout files already on disk have: header, int64 network length, then exactly the network's own bytes.
        var expectedNetwork = new MemoryStream();
        MlpModelSerializer.Save(network, expectedNetwork);
        byte[] networkBytes = expectedNetwork.ToArray();
        Assert.Equal("MLNMLPT1", Encoding.ASCII.GetString(part, 0, 8));
        Assert.Equal((byte)MlpTask.MulticlassClassification, part[8]);
        int networkStart = part.Length - networkBytes.Length;
        Assert.Equal(networkBytes.Length, BinaryPrimitives.ReadInt64LittleEndian(part.AsSpan(networkStart - 8)));
        Assert.Equal(networkBytes, part[networkStart..]);

        using var source = new HashingReadStream(new MemoryStream(part), part.Length, "part-1.mlp");
        MlpPredictionTransformer read = MlpPipelinePart.Read(source);
        source.RequireEnd();
        Assert.Equal(network.GetParameters(), read.Model.Network.GetParameters());
        Assert.Equal("Features", read.FeatureColumnName);
    }

    [Fact]
    public void AnMlpPartWhoseTaskKeepsNoClassNamesIsRejectedWhenItListsSome()
    {
        // A binary part, its header's "no names" flag replaced by two class names (as many as its network has classes):
        // only a task whose columns keep class names (multiclass) may list them.
        MlpModel network = MlpModel.FromParameters(MlpTask.BinaryClassification, 2, [], 1, Activation.Identity, [0.5f, -0.5f, 0.25f]);
        var transformer = new MlpPredictionTransformer(new MlpModelParameters(network, classNames: null), "Features", new VectorDataViewType(NumberDataViewType.Single, 2));
        var sink = new MemoryStream();
        MlpPipelinePart.Write(transformer, sink);
        byte[] plain = sink.ToArray();
        int flag = 8 + 1 + 1 + "Features".Length + 1;
        Assert.Equal(0, plain[flag]);
        var names = new MemoryStream();
        using (var writer = new BinaryWriter(names, Encoding.UTF8, leaveOpen: true))
        {
            ClassNames.Placeholder(NumberDataViewType.Double, 2).Write(writer);
        }

        byte[] part = [.. plain[..flag], 1, .. names.ToArray(), .. plain[(flag + 1)..]];
        using var source = new HashingReadStream(new MemoryStream(part), part.Length, "part-1.mlp");
        var error = Assert.Throws<MlpModelFormatException>(() => MlpPipelinePart.Read(source));
        Assert.Contains("BinaryClassification lists 2 class names", error.Message);
    }

    [Fact]
    public void AnMlpPartIsNotBufferedWholeWhenSaved()
    {
        // A 2.1-million-parameter network (8.4 MB): saving the pipeline writes it into its zip entry as it goes, so the
        // save allocates far less than the network's size (before, a MemoryStream held the whole part, then another
        // held the network inside it).
        var ml = new MLContext(seed: 1);
        const int inputs = 2048;
        MlpModel network = MlpModel.FromParameters(MlpTask.Regression, inputs, [1024], 1, Activation.Relu, new float[(inputs * 1024) + 1024 + 1024 + 1]);
        var transformer = new MlpPredictionTransformer(new MlpModelParameters(network, classNames: null), "Features", new VectorDataViewType(NumberDataViewType.Single, inputs));
        var definition = SchemaDefinition.Create(typeof(Row));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, inputs);
        IDataView empty = ml.Data.LoadFromEnumerable(Array.Empty<Row>(), definition);
        long networkBytes = 4L * network.ParameterCount;
        using var sink = new CountingStream();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ml.Model.SaveWithMlp(transformer, empty.Schema, sink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sink.Written > 1000, $"{sink.Written} bytes written");
        Assert.True(allocated < networkBytes / 2, $"saving a {networkBytes:N0}-byte network allocated {allocated:N0} bytes");
    }

    [Fact]
    public void PartKindsMapToTheManifestWordsFilesAlreadyHold()
    {
        foreach (PipelinePartKind kind in Enum.GetValues<PipelinePartKind>())
        {
            Assert.True(PipelineParts.TryParse(PipelineParts.Word(kind), out PipelinePartKind parsed));
            Assert.Equal(kind, parsed);
        }

        // The words of format 1, as files saved before the enum hold them; nothing else is a kind.
        Assert.True(PipelineParts.TryParse("mlnet", out PipelinePartKind mlnet) && mlnet == PipelinePartKind.MlNet);
        Assert.True(PipelineParts.TryParse("mlp", out PipelinePartKind mlp) && mlp == PipelinePartKind.Mlp);
        foreach (string word in new[] { "MLP", "Mlp", "mlp ", "onnx", string.Empty, "MlNet" })
        {
            Assert.False(PipelineParts.TryParse(word, out _), word);
        }

        Assert.Equal("part-3.mlp", PipelineParts.EntryName(3, PipelinePartKind.Mlp));
        Assert.Equal("part-0.mlnet.zip", PipelineParts.EntryName(0, PipelinePartKind.MlNet));
    }

    [Fact]
    public void ASavedPipelineListsItsPartsWithTheFormatOneWords()
    {
        var ml = new MLContext(seed: 3);
        IDataView data = SampleData.BreastCancer(ml);
        ITransformer model = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 2))
            .Fit(data);
        using var file = new MemoryStream();
        ml.Model.SaveWithMlp(model, data.Schema, file);
        file.Position = 0;
        using var zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        using var manifest = new StreamReader(zip.GetEntry("mlnetmlp.manifest")!.Open());
        string[] parts = manifest.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)[2..];
        Assert.Equal(["mlnet part-0.mlnet.zip", "mlp part-1.mlp"], parts.Select(line => string.Join(' ', line.Split(' ')[..2])));
        file.Position = 0;
        Assert.NotNull(new MLContext().Model.LoadWithMlp(file, out _));
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    /// <summary>A stream that only writes, forward: it cannot seek, read or tell its length.</summary>
    private sealed class WriteOnlyStream : Stream
    {
        public MemoryStream Inner { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A seekable sink that keeps nothing: counts the bytes (a zip in create mode writes its directory at the end).</summary>
    private sealed class CountingStream : Stream
    {
        private long _position;

        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => true;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => _position;
            set => _position = value;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _position += count;
            Written = Math.Max(Written, _position);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Written + offset,
        };

        public override void SetLength(long value) => Written = value;
    }
}
