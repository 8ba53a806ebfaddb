using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>
/// <see cref="MlpBinaryFiles.SaveAsUncompressedBinary"/>: ML.NET's own loader reads the file back with the same
/// schema, annotations, values and row ids as the compressed file ML.NET writes, its blocks are stored uncompressed,
/// and damaged input is refused without leaving a file behind.
/// </summary>
public sealed class UncompressedBinaryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetmlp-idv-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TheLoaderReadsTheSameColumnsAnnotationsValuesAndRowIdsAsFromTheCompressedFile()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Featurized(ml, 3000);
        string compressed = Path.Combine(_folder, "compressed.idv"), plain = Path.Combine(_folder, "plain.idv");
        using (FileStream file = File.Create(compressed))
        {
            ml.Data.SaveAsBinary(data, file);
        }

        ml.Data.SaveAsUncompressedBinary(data, plain);
        IDataView expected = ml.Data.LoadFromBinary(compressed), actual = ml.Data.LoadFromBinary(plain);

        Assert.Equal(expected.GetRowCount(), actual.GetRowCount());
        Assert.Equal(expected.Schema.Select(c => (c.Name, c.Type.ToString())), actual.Schema.Select(c => (c.Name, c.Type.ToString())));
        Assert.Equal(["b", "a", "c"], Annotation(expected, "Label", "KeyValues"));
        Assert.Equal(["b", "a", "c"], Annotation(actual, "Label", "KeyValues"));
        Assert.Contains("Color.green", Annotation(expected, "Features", "SlotNames"));
        Assert.Equal(Annotation(expected, "Features", "SlotNames"), Annotation(actual, "Features", "SlotNames"));

        Assert.Equal(Dump(expected, shuffle: null), Dump(actual, shuffle: null));
        // The shuffled cursor visits rows by their row ids, which are their numbers in the file either way.
        Assert.Equal(Dump(expected, shuffle: 7), Dump(actual, shuffle: 7));
    }

    [Fact]
    public void TheBlocksAreStoredUncompressed()
    {
        var ml = new MLContext(seed: 1);
        // Zeros: Deflate stores a block of them in a few bytes, so only an uncompressed file holds 4 bytes a value.
        IDataView zeros = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 20_000).Select(_ => new Wide()));
        string compressed = Path.Combine(_folder, "zeros-compressed.idv"), plain = Path.Combine(_folder, "zeros.idv");
        using (FileStream file = File.Create(compressed))
        {
            ml.Data.SaveAsBinary(zeros, file);
        }

        ml.Data.SaveAsUncompressedBinary(zeros, plain);
        long values = 20_000L * Wide.Width * sizeof(float);
        Assert.True(new FileInfo(compressed).Length < values / 20, $"compressed {new FileInfo(compressed).Length} bytes");
        Assert.InRange(new FileInfo(plain).Length, values, values + (values / 10));
        Assert.Equal(20_000, ml.Data.LoadFromBinary(plain).GetColumn<VBuffer<float>>("X").Count(v => v.Length == Wide.Width && v.DenseValues().All(x => x == 0)));
        Assert.DoesNotContain(Directory.GetFiles(_folder), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void DamagedInputIsNamedAndNothingIsWritten()
    {
        var ml = new MLContext(seed: 1);
        var notIdv = new MemoryStream(new byte[1000]);
        InvalidDataException wrong = Assert.Throws<InvalidDataException>(() => IdvDecompressor.Decompress(notIdv, new MemoryStream()));
        Assert.Contains("signature", wrong.Message, StringComparison.Ordinal);

        string compressed = Path.Combine(_folder, "whole.idv");
        using (FileStream file = File.Create(compressed))
        {
            ml.Data.SaveAsBinary(Featurized(ml, 500), file);
        }

        byte[] bytes = File.ReadAllBytes(compressed);
        // The table of contents moved past the end of the stream.
        byte[] badToc = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(badToc.AsSpan(24), (long)bytes.Length * 2);
        InvalidDataException toc = Assert.Throws<InvalidDataException>(() => IdvDecompressor.Decompress(new MemoryStream(badToc), new MemoryStream()));
        Assert.Contains("table of contents at " + (bytes.Length * 2), toc.Message, StringComparison.Ordinal);

        // The stream cut inside its table of contents.
        long tocOffset = BitConverter.ToInt64(bytes, 24);
        byte[] cut = bytes[..(int)(tocOffset + 3 + 8)];
        BitConverter.TryWriteBytes(cut.AsSpan(32), tocOffset + 3);
        BitConverter.TryWriteBytes(cut.AsSpan(cut.Length - 8), 0x434D4C0044564200UL);
        InvalidDataException truncated = Assert.Throws<InvalidDataException>(() => IdvDecompressor.Decompress(new MemoryStream(cut), new MemoryStream()));
        Assert.Contains($"is damaged: its tables of contents (at {tocOffset}, ", truncated.Message, StringComparison.Ordinal);
        Assert.Contains("run past its end", truncated.Message, StringComparison.Ordinal);

        // A data block's bytes garbled: Deflate fails, or inflates to another length than the lookup table gives.
        byte[] garbled = (byte[])bytes.Clone();
        for (int i = 300; i < 1300; i++)
        {
            garbled[i] ^= 0x5A;
        }

        InvalidDataException garbledError = Assert.Throws<InvalidDataException>(() => IdvDecompressor.Decompress(new MemoryStream(garbled), new MemoryStream()));
        Assert.Matches(@"^Block \d+ of column '[^']+' in the binary \.idv file ", garbledError.Message);

        // The catalog call leaves neither a file nor its temporary files behind when the data throws while saved.
        string target = Path.Combine(_folder, "never.idv");
        var failed = Assert.Throws<InvalidOperationException>(() => ml.Data.SaveAsUncompressedBinary(ml.Data.LoadFromEnumerable(Throwing()), target));
        Assert.Equal("the source failed at row 100", failed.Message); // the source's own error, not a wrapper
        Assert.False(File.Exists(target));
        Assert.DoesNotContain(Directory.GetFiles(_folder), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
    }

    /// <summary>A key label with text key values, a float vector with slot names (numbers and a one-hot category), a double, a bool and a text column.</summary>
    private static IDataView Featurized(MLContext ml, int rows)
    {
        string[] colors = ["red", "green", "blue"];
        string[] labels = ["b", "a", "c"];
        IEnumerable<Raw> Rows()
        {
            var random = new Random(3);
            for (int i = 0; i < rows; i++)
            {
                yield return new Raw
                {
                    X = [(float)random.NextDouble(), (float)(random.NextDouble() * 10), i % 7 == 0 ? 0 : (float)random.NextDouble()],
                    Color = colors[random.Next(3)],
                    Label = labels[i % 3],
                    Weight = random.NextDouble(),
                    Flag = i % 2 == 0,
                    Note = i % 5 == 0 ? "" : $"row {i}",
                };
            }
        }

        IDataView raw = ml.Data.LoadFromEnumerable(Rows());
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("Color")
            .Append(ml.Transforms.Concatenate("Features", "X", "Color"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"));
        IDataView featurized = pipeline.Fit(raw).Transform(raw);
        return ml.Transforms.SelectColumns("Label", "Features", "Weight", "Flag", "Note").Fit(featurized).Transform(featurized);
    }

    private static string[] Annotation(IDataView data, string column, string kind)
    {
        VBuffer<ReadOnlyMemory<char>> values = default;
        data.Schema[column].Annotations.GetValue(kind, ref values);
        return [.. values.DenseValues().Select(v => v.ToString())];
    }

    /// <summary>Every value of every row, with its row id, as text (floats as their bits).</summary>
    private static List<string> Dump(IDataView data, int? shuffle)
    {
        var rows = new List<string>();
        using DataViewRowCursor cursor = data.GetRowCursor(data.Schema, shuffle is int seed ? new Random(seed) : null);
        ValueGetter<uint> label = cursor.GetGetter<uint>(data.Schema["Label"]);
        ValueGetter<VBuffer<float>> features = cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]);
        ValueGetter<double> weight = cursor.GetGetter<double>(data.Schema["Weight"]);
        ValueGetter<bool> flag = cursor.GetGetter<bool>(data.Schema["Flag"]);
        ValueGetter<ReadOnlyMemory<char>> note = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema["Note"]);
        ValueGetter<DataViewRowId> id = cursor.GetIdGetter();
        uint y = 0;
        VBuffer<float> x = default;
        double w = 0;
        bool f = false;
        ReadOnlyMemory<char> n = default;
        DataViewRowId rowId = default;
        while (cursor.MoveNext())
        {
            label(ref y);
            features(ref x);
            weight(ref w);
            flag(ref f);
            note(ref n);
            id(ref rowId);
            rows.Add($"{rowId} {y} {string.Join(",", x.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v)))} {BitConverter.DoubleToInt64Bits(w)} {f} {n}");
        }

        return rows;
    }

    private static IEnumerable<Wide> Throwing()
    {
        for (int i = 0; i < 100; i++)
        {
            yield return new Wide();
        }

        throw new InvalidOperationException("the source failed at row 100");
    }

    private sealed class Raw
    {
        [VectorType(3)]
        public float[] X { get; set; } = [];

        public string Color { get; set; } = "";

        public string Label { get; set; } = "";

        public double Weight { get; set; }

        public bool Flag { get; set; }

        public string Note { get; set; } = "";
    }

    private sealed class Wide
    {
        public const int Width = 50;

        [VectorType(Width)]
        public float[] X { get; set; } = new float[Width];
    }
}
