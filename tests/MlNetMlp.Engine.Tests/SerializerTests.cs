using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>MlpModelSerializer: exact round trips, and every kind of damaged or forged file rejected cleanly.</summary>
public class SerializerTests
{
    private static readonly Lazy<(string Name, MlpModel Model, MlpDataset Data)[]> TrainedModels = new(TrainModels);

    public static IEnumerable<object[]> ModelNames() => TrainedModels.Value.Select(m => new object[] { m.Name });

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void RoundTripIsBitIdentical(string name)
    {
        (_, MlpModel original, MlpDataset data) = Get(name);
        byte[] bytes = Save(original);
        MlpModel loaded = MlpModelSerializer.Load(new MemoryStream(bytes));

        AssertSameModel(original, loaded);
        Assert.Equal(Synthetic.Bits(Synthetic.Scores(original, data)), Synthetic.Bits(Synthetic.Scores(loaded, data)));

        // Saving is deterministic, and saving the loaded model gives the same bytes back.
        Assert.Equal(bytes, Save(original));
        Assert.Equal(bytes, Save(loaded));
    }

    [Fact]
    public void NonSeekableStreamsWithShortReadsLoadTheSameModel()
    {
        (_, MlpModel original, _) = Get("binary relu early stopping");
        MlpModel loaded = MlpModelSerializer.Load(new TrickleStream(Save(original), maxRead: 3));
        AssertSameModel(original, loaded);
    }

    [Fact]
    public void AModelCanBeEmbeddedInALargerStream()
    {
        (_, MlpModel first, _) = Get("multiclass leaky relu");
        (_, MlpModel second, _) = Get("regression elu two targets");
        var stream = new MemoryStream();
        stream.Write([1, 2, 3]);
        MlpModelSerializer.Save(first, stream);
        long afterFirst = stream.Position;
        MlpModelSerializer.Save(second, stream);
        stream.Write([4, 5]);

        stream.Position = 3;
        AssertSameModel(first, MlpModelSerializer.Load(stream));
        Assert.Equal(afterFirst, stream.Position);
        AssertSameModel(second, MlpModelSerializer.Load(stream));
        Assert.Equal(stream.Length - 2, stream.Position);
    }

    [Fact]
    public void FileRoundTripOverwritesAndLeavesNothingElse()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "model.mlp");
        (_, MlpModel first, _) = Get("binary relu early stopping");
        (_, MlpModel second, MlpDataset data) = Get("multiclass leaky relu");
        MlpModelSerializer.Save(first, path);
        MlpModelSerializer.Save(second, path);

        MlpModel loaded = MlpModelSerializer.Load(path);
        AssertSameModel(second, loaded);
        Assert.Equal(Synthetic.Bits(Synthetic.Scores(second, data)), Synthetic.Bits(Synthetic.Scores(loaded, data)));
        Assert.Equal(["model.mlp"], folder.FileNames());
    }

    [Fact]
    public void WarmStartFromALoadedModelMatchesWarmStartFromTheOriginal()
    {
        // Fit with an initial model always starts a fresh optimizer, so the optimizer state the file does not keep
        // makes no difference; the stopping counter it does keep makes the continued fits identical.
        (_, MlpModel original, MlpDataset data) = Get("binary relu early stopping");
        MlpModel loaded = MlpModelSerializer.Load(new MemoryStream(Save(original)));
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [6, 4], Seed = 5, MaxEpochs = 4, EarlyStopping = true });
        MlpModel fromOriginal = trainer.Fit(data, original);
        MlpModel fromLoaded = trainer.Fit(data, loaded);
        AssertSameModel(fromOriginal, fromLoaded);
    }

    [Fact]
    public void PartialFitOnALoadedModelStartsAFreshOptimizer()
    {
        MlpDataset data = Synthetic.Blobs(3, 120, 4, 2, 2.0);
        var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [5], Seed = 1 });
        MlpModel once = trainer.PartialFit(data);
        MlpModel loaded = MlpModelSerializer.Load(new MemoryStream(Save(once)));
        Assert.Equal(Synthetic.Bits(once.GetParameters()), Synthetic.Bits(loaded.GetParameters()));

        MlpModel continued = trainer.PartialFit(data, once);
        MlpModel restarted = trainer.PartialFit(data, loaded);
        Assert.Equal(2, restarted.EpochsRun);
        Assert.NotEqual(Synthetic.Bits(continued.GetParameters()), Synthetic.Bits(restarted.GetParameters()));
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        (_, MlpModel model, _) = Get("multiclass leaky relu");
        byte[] bytes = Save(model);
        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] cut = bytes[..length];
            var seekable = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(cut)));
            var trickle = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new TrickleStream(cut)));
            if (length >= MlpModelSerializer.HeaderSize)
            {
                Assert.Contains("truncated", seekable.Message, StringComparison.Ordinal);
                Assert.Contains("truncated", trickle.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void TruncatedFileOnDiskIsRejectedWithItsPath()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "cut.mlp");
        byte[] bytes = Save(Get("binary relu early stopping").Model);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingBytesAfterTheModelInAFileAreRejected()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "long.mlp");
        File.WriteAllBytes(path, [.. Save(Get("binary relu early stopping").Model), 0]);
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(path));
        Assert.Contains("1 unexpected bytes follow the model", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00 })] // a zip file, such as an ML.NET model
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'\n' })]
    [InlineData(new byte[] { 0x89, (byte)'M', (byte)'L', (byte)'P', (byte)'\n', (byte)'\n', 0x1A, (byte)'\n' })] // CR lost in a text-mode copy
    public void WrongSignatureIsRejected(byte[] start)
    {
        byte[] bytes = Save(Get("binary relu early stopping").Model);
        start.CopyTo(bytes, 0);
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(bytes)));
        Assert.Contains("signature", error.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexString(start), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(1000)]
    public void WrongVersionIsRejectedNamingBothVersions(int version)
    {
        byte[] bytes = Save(Get("binary relu early stopping").Model);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), version);
        Rehash(bytes);
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(bytes)));
        Assert.Contains($"format version {version}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"format version {MlpModelSerializer.FormatVersion} only", error.Message, StringComparison.Ordinal);
        if (version > MlpModelSerializer.FormatVersion)
        {
            Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ChangedBytesWithoutARecomputedHashAreRejectedAsCorrupted()
    {
        (_, MlpModel model, _) = Get("regression elu two targets");
        byte[] bytes = Save(model);
        var fields = new Fields(model);
        bytes[fields.Parameters + 5] ^= 0x01;
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(bytes)));
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    [InlineData(-1L)]
    [InlineData(0L)]
    [InlineData(int.MaxValue + 1L)]
    public void ForgedParameterCountIsRejectedWithoutAllocating(long count)
    {
        (_, MlpModel model, _) = Get("multiclass leaky relu");
        byte[] bytes = Save(model);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(new Fields(model).ParameterCount), count);
        Rehash(bytes);
        var error = AssertRejectedCheaply(bytes);
        Assert.Contains("parameters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForgedLayerSizesAreRejectedWithoutAllocating()
    {
        (_, MlpModel model, _) = Get("multiclass leaky relu");
        byte[] original = Save(model);
        var fields = new Fields(model);
        Assert.Equal(2, model.HiddenLayerSizes.Count);

        // A width beyond the largest layer the trainer accepts.
        byte[] bytes = Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(0)), 1 << 30));
        Assert.Contains("width 1073741824", AssertRejectedCheaply(bytes).Message, StringComparison.Ordinal);

        // Two widest layers with the parameter count to match: more than any array can hold.
        bytes = Forge(original, b =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(0)), MlpOptions.MaxLayerWidth);
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(1)), MlpOptions.MaxLayerWidth);
            long count = ((long)model.InputCount * MlpOptions.MaxLayerWidth) + (1L << 40) + ((long)MlpOptions.MaxLayerWidth * model.OutputCount);
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(fields.ParameterCount), count);
        });
        Assert.Contains("more than", AssertRejectedCheaply(bytes).Message, StringComparison.Ordinal);

        // Plausible widths whose parameters are not in the file.
        bytes = Forge(original, b =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(0)), 1000);
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(1)), 1000);
            long count = (model.InputCount * 1000L) + (1000L * 1000) + (1000L * model.OutputCount) + 2000 + model.OutputCount;
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(fields.ParameterCount), count);
        });
        Assert.Contains("remain", AssertRejectedCheaply(bytes).Message, StringComparison.Ordinal);

        // A width that no longer matches the declared parameter count.
        bytes = Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(1)), model.HiddenLayerSizes[1] + 1));
        Assert.Contains("declares", AssertRejectedCheaply(bytes).Message, StringComparison.Ordinal);

        // Zero, negative and absurd hidden-layer counts, and non-positive widths and input and output counts.
        foreach (int value in new[] { -1, int.MinValue, int.MaxValue, 1 << 28 })
        {
            AssertRejectedCheaply(Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.HiddenCount), value)));
        }

        foreach (int value in new[] { 0, -5 })
        {
            AssertRejectedCheaply(Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(0)), value)));
            AssertRejectedCheaply(Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Input), value)));
            AssertRejectedCheaply(Forge(original, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Output), value)));
        }
    }

    [Fact]
    public void ForgedValuesAreRejectedWithClearMessages()
    {
        (_, MlpModel model, _) = Get("multiclass leaky relu");
        byte[] original = Save(model);
        var fields = new Fields(model);

        void Expect(string fragment, Action<byte[]> edit) =>
            Assert.Contains(fragment, AssertRejectedCheaply(Forge(original, edit)).Message, StringComparison.Ordinal);

        Expect("task is 7", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Task), 7));
        Expect("activation is -2", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Activation), -2));
        Expect("slope is 0", b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Slope), 0f));
        Expect("slope is NaN", b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Slope), float.NaN));
        Expect("alpha is -1", b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Alpha), -1f));
        Expect("class count is 2", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Classes), 2));
        Expect("cannot have 3 outputs", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Task), (int)MlpTask.BinaryClassification));
        Expect("Parameter 3 is NaN", b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(fields.Parameters + 12), float.NaN));
        Expect($"Parameter 0 is {float.PositiveInfinity}", b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(fields.Parameters), float.PositiveInfinity));
        Expect("cannot be negative", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.LossCount), -1));
        Expect("remain", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.LossCount), int.MaxValue));
        Expect("Loss-curve entry 1 is NaN", b => BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(fields.LossCount + 4 + 8), double.NaN));
        Expect("epochs", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.EpochsRun), model.EpochsRun - 1));
        Expect("UTF-8", b => b[fields.StopMessage] = 0xFF);
        Expect("stop reason is 99", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.StopReason), 99));
        Expect("announces", b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(Fields.BodyLength), 5));
    }

    [Fact]
    public void SavedLengthIsWhatSaveWrites()
    {
        // A container records the network's length before writing it (the pipeline's MLP part): it must be exact.
        foreach ((string name, MlpModel model, _) in TrainedModels.Value)
        {
            Assert.True(Save(model).Length == MlpModelSerializer.SavedLength(model), name);
        }
    }

    [Fact]
    public void FromParametersAndAForgedFileBreakTheSameRuleWithTheSameMessage()
    {
        // One rule set (MlpModelShape, through MlpModel.Create): each rule broken once through FromParameters and
        // once by the matching field of a saved [4, 7, 5, 3] leaky-relu model gives the same rule's message.
        (_, MlpModel model, _) = Get("multiclass leaky relu");
        byte[] original = Save(model);
        var fields = new Fields(model);
        var task = MlpTask.MulticlassClassification;
        int[] hidden = [.. model.HiddenLayerSizes];
        float[] parameters = model.GetParameters();
        float slope = model.LeakyReluSlope;

        void Same(string fragment, string argument, Func<MlpModel> fromParameters, Action<byte[]> edit)
        {
            ArgumentException direct = Assert.ThrowsAny<ArgumentException>(() => fromParameters());
            MlpModelFormatException loaded = AssertRejectedCheaply(Forge(original, edit));
            Assert.Equal(argument, direct.ParamName);
            Assert.Contains(fragment, loaded.Message, StringComparison.Ordinal);
            Assert.StartsWith(loaded.Message, direct.Message, StringComparison.Ordinal);
            Assert.Equal(loaded.Message, MlpModelShape.RuleOf(direct));
            Assert.IsAssignableFrom<ArgumentException>(loaded.InnerException);
        }

        Same("task is 7", "task", () => MlpModel.FromParameters((MlpTask)7, 4, hidden, 3, Activation.LeakyRelu, parameters, slope),
            b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Task), 7));
        Same("activation is -2", "activation", () => MlpModel.FromParameters(task, 4, hidden, 3, (Activation)(-2), parameters, slope),
            b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Activation), -2));
        Same("slope is 0", "leakyReluSlope", () => MlpModel.FromParameters(task, 4, hidden, 3, Activation.LeakyRelu, parameters, 0f),
            b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Slope), 0f));
        Same("slope is 1", "leakyReluSlope", () => MlpModel.FromParameters(task, 4, hidden, 3, Activation.LeakyRelu, parameters, 1f),
            b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Slope), 1f));
        Same("alpha is -1", "eluAlpha", () => MlpModel.FromParameters(task, 4, hidden, 3, Activation.LeakyRelu, parameters, slope, -1f),
            b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(Fields.Alpha), -1f));
        Same("input count is 0", "inputCount", () => MlpModel.FromParameters(task, 0, hidden, 3, Activation.LeakyRelu, parameters, slope),
            b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Input), 0));
        Same("width 1073741824", "hiddenLayerSizes", () => MlpModel.FromParameters(task, 4, [1 << 30, 5], 3, Activation.LeakyRelu, parameters, slope),
            b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(fields.Hidden(0)), 1 << 30));
        Same("cannot have 3 outputs", "outputCount", () => MlpModel.FromParameters(MlpTask.BinaryClassification, 4, hidden, 3, Activation.LeakyRelu, parameters, slope),
            b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Fields.Task), (int)MlpTask.BinaryClassification));
        Same($"declares {parameters.Length + 1} parameters", "parameters", () => MlpModel.FromParameters(task, 4, hidden, 3, Activation.LeakyRelu, [.. parameters, 0f], slope),
            b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(fields.ParameterCount), parameters.Length + 1));
        float[] withNaN = model.GetParameters();
        withNaN[3] = float.NaN;
        Same("Parameter 3 is NaN", "parameters", () => MlpModel.FromParameters(task, 4, hidden, 3, Activation.LeakyRelu, withNaN, slope),
            b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(fields.Parameters + 12), float.NaN));
    }

    [Fact]
    public void FromParametersReportsRangesAsOutOfRangeAndMismatchesAsArgumentErrors()
    {
        float[] parameters = new float[(4 * 3) + 3];
        Assert.Throws<ArgumentOutOfRangeException>(() => MlpModel.FromParameters(MlpTask.MulticlassClassification, 4, [], 3, Activation.Relu, parameters, leakyReluSlope: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => MlpModel.FromParameters(MlpTask.Regression, 4, [], 0, Activation.Relu, parameters));
        Assert.Throws<ArgumentException>(() => MlpModel.FromParameters(MlpTask.MulticlassClassification, 4, [], 3, Activation.Relu, new float[5]));
        Assert.Throws<ArgumentNullException>(() => MlpModel.FromParameters(MlpTask.MulticlassClassification, 4, null!, 3, Activation.Relu, parameters));

        // A model built from the same values as a file holds is the model the file loads as.
        MlpModel model = MlpModel.FromParameters(MlpTask.MulticlassClassification, 4, [], 3, Activation.Relu, parameters);
        AssertSameModel(model, MlpModelSerializer.Load(new MemoryStream(Save(model))));
    }

    [Fact]
    public void AForgedLengthOnAStreamOfUnknownLengthAllocatesOnlyWhatArrives()
    {
        (_, MlpModel model, _) = Get("binary relu early stopping");
        byte[] bytes = Save(model);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(Fields.BodyLength), MlpModelSerializer.MaxModelBytes - MlpModelSerializer.HeaderSize);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new TrickleStream(bytes, maxRead: 1 << 16)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes for a {bytes.Length}-byte stream");

        // A seekable stream is checked against its length before the buffer is allocated.
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(bytes)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void AnInflatedBodyIsRejectedAtItsFirstImpossibleFieldWithoutBufferingIt()
    {
        // A valid header announcing 1.5 GB, then an endless run of zeros (what a zip bomb inflates to): the body is
        // parsed as it streams, so the zero leaky-relu slope stops it after a few dozen bytes.
        (_, MlpModel model, _) = Get("binary relu early stopping");
        byte[] header = Save(model).AsSpan(0, MlpModelSerializer.HeaderSize).ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(Fields.BodyLength), 1_500_000_000);
        var zeros = new EndlessStream(header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(zeros));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("leaky-relu slope is 0", error.Message, StringComparison.Ordinal);
        Assert.InRange(zeros.BytesRead, 1, 1 << 17);
        Assert.InRange(allocated, 0, 1 << 20);
    }

    [Fact]
    public void StreamsLongerThanTheCapAreRejected()
    {
        byte[] bytes = Save(Get("binary relu early stopping").Model);
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new TrickleStream(bytes), maxBytes: bytes.Length - 1));
        Assert.Contains("announces", error.Message, StringComparison.Ordinal);
        AssertSameModel(Get("binary relu early stopping").Model, MlpModelSerializer.Load(new TrickleStream(bytes), maxBytes: bytes.Length));
    }

    [Fact]
    public void RandomByteFlipsAreRejectedOrChangeNothing()
    {
        // Without a recomputed hash every change must be caught; a load that succeeds must give the same model.
        (_, MlpModel model, MlpDataset data) = Get("multiclass leaky relu");
        byte[] original = Save(model);
        int[] expected = Synthetic.Bits(Synthetic.Scores(model, data));
        var random = new Random(2024);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            MlpModel? loaded = LoadOrReject(bytes);
            if (loaded is not null)
            {
                Assert.Equal(expected, Synthetic.Bits(Synthetic.Scores(loaded, data)));
            }
        }
    }

    [Fact]
    public void RandomByteFlipsBehindAValidHashGiveAnErrorOrAUsableModel()
    {
        // A forger can recompute the hash, so the parser itself must reject every impossible value; what it accepts
        // must be a model that predicts without failing and saves back to the same bytes.
        (_, MlpModel model, MlpDataset data) = Get("multiclass leaky relu");
        byte[] original = Save(model);
        var fields = new Fields(model);
        var random = new Random(7);
        int accepted = 0;
        for (int iteration = 0; iteration < 400; iteration++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
            {
                // Half the flips land in the header and layer description, where they matter most.
                int at = random.Next(2) == 0 ? 8 + random.Next(fields.Parameters - 8) : random.Next(bytes.Length - 32);
                bytes[at] ^= (byte)(1 << random.Next(8));
            }

            Rehash(bytes);
            MlpModel? loaded = LoadOrReject(bytes);
            if (loaded is null)
            {
                continue;
            }

            accepted++;
            var features = new float[loaded.InputCount];
            var scores = new float[loaded.OutputCount];
            loaded.CreatePredictor().ComputeScores(features, scores);
            Assert.Equal(bytes, Save(loaded));
        }

        // Flips in the parameters and the loss values give valid models, so some loads must succeed.
        Assert.InRange(accepted, 1, 399);
    }

    [Fact]
    public void FailedSaveLeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "model.mlp");
        (_, MlpModel previous, _) = Get("binary relu early stopping");
        (_, MlpModel next, _) = Get("regression elu two targets");
        MlpModelSerializer.Save(previous, path);
        byte[] before = File.ReadAllBytes(path);
        int size = Save(next).Length;

        foreach (long failAfter in new long[] { 0, 1, 19, 20, 100, size / 2, size - 33, size - 1 })
        {
            var error = Assert.Throws<IOException>(() => MlpModelSerializer.Save(next, path, file => new FailingWriteStream(file, failAfter)));
            Assert.Contains("Simulated", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(["model.mlp"], folder.FileNames());
        }

        // The hook passes everything through when it does not fail: then the new model replaces the old one.
        MlpModelSerializer.Save(next, path, file => new FailingWriteStream(file, long.MaxValue));
        AssertSameModel(next, MlpModelSerializer.Load(path));
        Assert.Equal(["model.mlp"], folder.FileNames());
    }

    [Fact]
    public void FailedFirstSaveLeavesNoFileAtAll()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "model.mlp");
        Assert.Throws<IOException>(() => MlpModelSerializer.Save(Get("binary relu early stopping").Model, path, file => new FailingWriteStream(file, 50)));
        Assert.Empty(folder.FileNames());
        Assert.Throws<DirectoryNotFoundException>(() => MlpModelSerializer.Save(Get("binary relu early stopping").Model, Path.Combine(folder.Path, "missing", "model.mlp")));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void TheLongestValidFileNameSaves()
    {
        // 255 characters is the longest name Linux, macOS and Windows allow; the temporary name must not add to it.
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, new string('m', 251) + ".mlp");
        MlpModel model = Get("binary relu early stopping").Model;
        MlpModelSerializer.Save(model, path);
        AssertSameModel(model, MlpModelSerializer.Load(path));
        Assert.Equal([Path.GetFileName(path)], folder.FileNames());
    }

    [Fact]
    public void TemporaryFilesHaveAFixedPrefixAndStaleOnesAreRemoved()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "model.mlp");
        MlpModel model = Get("binary relu early stopping").Model;
        string[] during = [];
        MlpModelSerializer.Save(model, path, file =>
        {
            during = folder.FileNames();
            return file;
        });
        string temporary = Assert.Single(during);
        Assert.StartsWith(AtomicFile.TemporaryPrefix, temporary, StringComparison.Ordinal);
        Assert.EndsWith(AtomicFile.TemporarySuffix, temporary, StringComparison.Ordinal);
        Assert.True(temporary.Length <= 27, temporary);

        // What a killed save leaves: two days old is removed by the next save, one minute old may be a save in progress.
        string stale = Path.Combine(folder.Path, AtomicFile.TemporaryPrefix + "0badf00d" + AtomicFile.TemporarySuffix);
        string young = Path.Combine(folder.Path, AtomicFile.TemporaryPrefix + "00c0ffee" + AtomicFile.TemporarySuffix);
        File.WriteAllBytes(stale, [1, 2, 3]);
        File.WriteAllBytes(young, [1, 2, 3]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(young, DateTime.UtcNow.AddMinutes(-1));
        MlpModelSerializer.Save(model, path);
        Assert.Equal([Path.GetFileName(young), "model.mlp"], folder.FileNames());
    }

    [Fact]
    public void SavingIntoAMissingFolderNamesTheFolder()
    {
        using var folder = new TemporaryFolder();
        string missing = Path.Combine(folder.Path, "missing");
        var error = Assert.Throws<DirectoryNotFoundException>(() => MlpModelSerializer.Save(Get("binary relu early stopping").Model, Path.Combine(missing, "model.mlp")));
        Assert.Contains($"the folder '{missing}' does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        MlpModel model = Get("binary relu early stopping").Model;
        Assert.Throws<ArgumentNullException>(() => MlpModelSerializer.Save(null!, new MemoryStream()));
        Assert.Throws<ArgumentNullException>(() => MlpModelSerializer.Save(model, (Stream)null!));
        Assert.Throws<ArgumentException>(() => MlpModelSerializer.Save(model, new MemoryStream([], writable: false)));
        Assert.Throws<ArgumentException>(() => MlpModelSerializer.Save(model, string.Empty));
        Assert.Throws<ArgumentNullException>(() => MlpModelSerializer.Load((Stream)null!));
        Assert.Throws<ArgumentException>(() => MlpModelSerializer.Load(string.Empty));
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream()));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    private static MlpModelFormatException AssertRejectedCheaply(byte[] bytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MlpModelFormatException>(() => MlpModelSerializer.Load(new MemoryStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < (1 << 20) + (4L * bytes.Length), $"allocated {allocated:N0} bytes to reject a {bytes.Length}-byte file: {error.Message}");
        return error;
    }

    /// <summary>Loads, returning null for a clean rejection; any other exception, or a large allocation, fails the test.</summary>
    private static MlpModel? LoadOrReject(byte[] bytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            return MlpModelSerializer.Load(new MemoryStream(bytes));
        }
        catch (MlpModelFormatException)
        {
            return null;
        }
        finally
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < (1 << 20) + (8L * bytes.Length), $"allocated {allocated:N0} bytes for a {bytes.Length}-byte file");
        }
    }

    private static byte[] Forge(byte[] original, Action<byte[]> edit)
    {
        byte[] bytes = (byte[])original.Clone();
        edit(bytes);
        Rehash(bytes);
        return bytes;
    }

    private static void Rehash(byte[] bytes) =>
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes.AsSpan(bytes.Length - 32));

    private static byte[] Save(MlpModel model)
    {
        var stream = new MemoryStream();
        MlpModelSerializer.Save(model, stream);
        return stream.ToArray();
    }

    internal static void AssertSameModel(MlpModel expected, MlpModel actual)
    {
        Assert.Equal(expected.Task, actual.Task);
        Assert.Equal(expected.InputCount, actual.InputCount);
        Assert.Equal(expected.HiddenLayerSizes, actual.HiddenLayerSizes);
        Assert.Equal(expected.OutputCount, actual.OutputCount);
        Assert.Equal(expected.ClassCount, actual.ClassCount);
        Assert.Equal(expected.Activation, actual.Activation);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.LeakyReluSlope), BitConverter.SingleToInt32Bits(actual.LeakyReluSlope));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.EluAlpha), BitConverter.SingleToInt32Bits(actual.EluAlpha));
        Assert.Equal(Synthetic.Bits(expected.GetParameters()), Synthetic.Bits(actual.GetParameters()));

        MlpTrainingHistory e = expected.History, a = actual.History;
        Assert.Equal(Synthetic.Bits(e.LossCurve), Synthetic.Bits(a.LossCurve));
        Assert.Equal(Synthetic.Bits(e.ValidationScores), Synthetic.Bits(a.ValidationScores));
        Assert.Equal(BitConverter.DoubleToInt64Bits(e.BestLoss), BitConverter.DoubleToInt64Bits(a.BestLoss));
        Assert.Equal(BitConverter.DoubleToInt64Bits(e.BestValidationScore), BitConverter.DoubleToInt64Bits(a.BestValidationScore));
        Assert.Equal(BitConverter.DoubleToInt64Bits(e.FinalLoss), BitConverter.DoubleToInt64Bits(a.FinalLoss));
        Assert.Equal(e.EpochsRun, a.EpochsRun);
        Assert.Equal(e.SamplesSeen, a.SamplesSeen);
        Assert.Equal(e.FunctionEvaluations, a.FunctionEvaluations);
        Assert.Equal(e.StopReason, a.StopReason);
        Assert.Equal(e.StopMessage, a.StopMessage);
        Assert.Equal(e.EpochsWithoutImprovement, a.EpochsWithoutImprovement);
    }

    private static (string Name, MlpModel Model, MlpDataset Data) Get(string name) => TrainedModels.Value.Single(m => m.Name == name);

    private static (string, MlpModel, MlpDataset)[] TrainModels()
    {
        MlpDataset binary = Synthetic.Blobs(1, 150, 5, 2, 1.5);
        MlpDataset multiclass = Synthetic.Blobs(2, 150, 4, 3, 2.5);
        MlpDataset regression = Synthetic.Linear(3, 100, 3, 2, 0.1);
        var parameters = new float[(4 * 3) + 3];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (i * 0.37f) - 2f;
        }

        return
        [
            ("binary relu early stopping", new MlpTrainer(new MlpOptions { HiddenLayerSizes = [6, 4], Seed = 1, MaxEpochs = 15, EarlyStopping = true }).Fit(binary), binary),
            ("multiclass leaky relu", new MlpTrainer(new MlpOptions { HiddenLayerSizes = [7, 5], Activation = Activation.LeakyRelu, LeakyReluSlope = 0.2f, Seed = 2, MaxEpochs = 10, Solver = new SgdSolver { LearningRate = 0.05 } }).Fit(multiclass), multiclass),
            ("regression elu two targets", new MlpTrainer(new MlpOptions { HiddenLayerSizes = [8], Activation = Activation.Elu, EluAlpha = 0.5f, Seed = 3, MaxEpochs = 10 }).Fit(regression), regression),
            ("lbfgs tanh", new MlpTrainer(new MlpOptions { HiddenLayerSizes = [5], Activation = Activation.Tanh, Seed = 4, MaxEpochs = 20, Solver = new LbfgsSolver() }).Fit(multiclass), multiclass),
            ("no hidden layer logistic", new MlpTrainer(new MlpOptions { HiddenLayerSizes = [], Activation = Activation.Logistic, Seed = 5, MaxEpochs = 5 }).Fit(binary), binary),
            ("untrained from parameters", MlpModel.FromParameters(MlpTask.MulticlassClassification, 4, [], 3, Activation.Identity, parameters), multiclass),
        ];
    }

    /// <summary>Byte offsets of the fields of a saved model, as the format table in MlpModelSerializer lays them out.</summary>
    private sealed class Fields
    {
        public const int BodyLength = 12;
        public const int Task = 20;
        public const int Activation = 24;
        public const int Slope = 28;
        public const int Alpha = 32;
        public const int Input = 36;
        public const int HiddenCount = 40;

        private readonly MlpModel _model;

        public Fields(MlpModel model) => _model = model;

        public int Output => 44 + (4 * _model.HiddenLayerSizes.Count);

        public int Classes => Output + 4;

        public int ParameterCount => Classes + 4;

        public int Parameters => ParameterCount + 8;

        public int LossCount => Parameters + (4 * _model.ParameterCount);

        public int ValidationCount => LossCount + 4 + (8 * _model.LossCurve.Count);

        public int EpochsRun => ValidationCount + 4 + (8 * _model.ValidationScores.Count) + 24;

        public int StopReason => EpochsRun + 4 + 8 + 4 + 4;

        public int StopMessage => StopReason + 4 + 4;

        public int Hidden(int i) => 44 + (4 * i);
    }
}

/// <summary>A fresh folder under the temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlnetmlp-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Names of the files in the folder, hidden ones included, in ordinal order.</summary>
    public string[] FileNames() => Directory.GetFiles(Path).Select(f => System.IO.Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
