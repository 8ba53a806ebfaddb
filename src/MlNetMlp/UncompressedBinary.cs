using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using MlNetMlp.Engine;
using Microsoft.ML;

namespace MlNetMlp;

/// <summary>
/// ML.NET binary .idv files with their blocks stored uncompressed, for data read every epoch (a streamed fit):
/// ML.NET's <c>SaveAsBinary</c> compresses every block with Deflate, and reading such a file costs about as much CPU
/// as training a small network on it, while ML.NET has no public way to write blocks uncompressed (its
/// <c>BinarySaver</c> and <c>CompressionKind</c> are internal). The files this writes are ordinary binary .idv files
/// of the same format version (<c>docs/code/IdvFileFormat.md</c> in ML.NET), read by ML.NET's own
/// <c>LoadFromBinary</c>, with the same columns, values, annotations and row ids; only their blocks' compression
/// kind is None.
/// </summary>
public static class MlpBinaryFiles
{
    /// <summary>
    /// Saves <paramref name="data"/> as a binary .idv file at <paramref name="path"/>, as
    /// <c>mlContext.Data.SaveAsBinary</c> does, but with every block uncompressed: larger on disk (random floats
    /// barely compress, so about 10% larger for them), much cheaper to read. ML.NET first writes its compressed file
    /// beside <paramref name="path"/>; its blocks are then inflated into the new file, which replaces any file at
    /// <paramref name="path"/> only once it is complete. The folder therefore needs room for both files while this
    /// runs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void SaveAsUncompressedBinary(this DataOperationsCatalog catalog, IDataView data, string path, bool keepHidden = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        AtomicFile.Write(path, nameof(path), target =>
        {
            string compressed = AtomicFile.TemporaryPath(Path.GetDirectoryName(Path.GetFullPath(path))!);
            try
            {
                using (FileStream file = File.Create(compressed))
                {
                    catalog.SaveAsBinary(data, file, keepHidden);
                }

                using FileStream source = File.OpenRead(compressed);
                IdvDecompressor.Decompress(source, target);
            }
            finally
            {
                AtomicFile.TryDelete(compressed);
            }
        });
    }
}

/// <summary>
/// Rewrites a binary .idv stream with its data blocks inflated: header, table of contents, codecs, annotations and
/// block order are kept; the blocks are stored with compression kind None and the offsets are rewritten. Only the
/// framing of the format is read here (the codec descriptions and annotation blocks are copied byte for byte), so
/// every column type ML.NET writes is carried over. The layout written: header, data blocks in the source's order,
/// annotation blocks, the lookup tables, the annotation tables of contents, the table of contents, the tail.
/// </summary>
internal static class IdvDecompressor
{
    private const int HeaderSize = 256;
    private const ulong Signature = 0x00425644004C4D43;
    private const ulong TailSignature = 0x434D4C0044564200;
    private const byte CompressionNone = 0;
    private const byte CompressionDeflate = 1;
    private const long MaxDeflateRatio = 1032;

    /// <summary>Copies <paramref name="source"/> (seekable) to <paramref name="target"/> (written in order) with its data blocks inflated.</summary>
    /// <exception cref="InvalidDataException"><paramref name="source"/> is not a binary .idv stream, or a part of it is out of range; the message says which.</exception>
    public static void Decompress(Stream source, Stream target)
    {
        if (!target.CanSeek || target.Position != 0)
        {
            throw new ArgumentException("The target stream must be seekable and at its start: the header, written last, goes there.", nameof(target));
        }

        var reader = new BinaryReader(source);
        if (source.Length < HeaderSize + sizeof(ulong))
        {
            throw new InvalidDataException($"This is not a binary .idv stream: it has {source.Length} bytes, fewer than a header and a tail take ({HeaderSize + sizeof(ulong)}).");
        }

        var header = new byte[HeaderSize];
        source.Position = 0;
        source.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Signature)
        {
            throw new InvalidDataException("This is not a binary .idv stream: its first 8 bytes are not the signature 'CML\\0DVB\\0'.");
        }

        long tocOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        long tailOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        long rowCount = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        int columnCount = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(48));
        if (tailOffset < HeaderSize || tailOffset > source.Length - sizeof(ulong) || rowCount < 0 || columnCount < 0 || (columnCount > 0 && (tocOffset < HeaderSize || tocOffset > tailOffset)))
        {
            throw new InvalidDataException($"The binary .idv header is out of range: table of contents at {tocOffset}, tail at {tailOffset}, {rowCount} rows, {columnCount} columns, in a stream of {source.Length} bytes.");
        }

        source.Position = tocOffset;
        var columns = new Column[columnCount];
        try
        {
            for (int c = 0; c < columnCount; c++)
            {
                columns[c] = Column.Read(reader, c, rowCount, tailOffset);
            }

            foreach (Column column in columns)
            {
                column.ReadTables(reader, rowCount, tailOffset);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"The binary .idv stream is damaged: its tables of contents (at {tocOffset}, {columnCount} columns) run past its end or hold a malformed length ({e.Message}).", e);
        }

        // The new file is written in order, every part where the target stands (the target starts at 0); the
        // columns' offsets are moved to where their parts land.
        var writer = new BinaryWriter(target);
        target.Write(new byte[HeaderSize]);
        byte[] stored = [], inflated = [];

        // Data blocks in the source's order (ML.NET interleaves the columns row block by row block), so that reading
        // the new file in order reads it front to back as the old one was.
        foreach ((Column column, int block) in columns.SelectMany(c => Enumerable.Range(0, c.Blocks.Length).Select(b => (c, b))).OrderBy(p => p.c.Blocks[p.b].Offset))
        {
            ReadOnlySpan<byte> bytes = column.Inflate(source, block, ref stored, ref inflated);
            column.Blocks[block] = new BlockEntry(target.Position, bytes.Length, bytes.Length);
            target.Write(bytes);
        }

        foreach (Column column in columns)
        {
            for (int m = 0; m < column.Annotations.Count; m++)
            {
                Annotation annotation = column.Annotations[m];
                ReadOnlySpan<byte> bytes = ReadPart(source, annotation.Offset, annotation.Length, $"annotation '{annotation.Kind}' of column '{column.Name}'", ref stored);
                column.Annotations[m] = annotation with { Offset = target.Position };
                target.Write(bytes);
            }
        }

        foreach (Column column in columns)
        {
            column.WriteLookup(writer);
        }

        foreach (Column column in columns)
        {
            column.WriteAnnotationToc(writer);
        }

        long newTocOffset = target.Position;
        foreach (Column column in columns)
        {
            column.WriteEntry(writer);
        }

        long newTailOffset = target.Position;
        writer.Write(TailSignature);
        writer.Flush();
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), newTocOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), newTailOffset);
        target.Position = 0;
        target.Write(header);
        target.Position = newTailOffset + sizeof(ulong);
    }

    /// <summary><paramref name="length"/> bytes of <paramref name="source"/> at <paramref name="offset"/>, read into <paramref name="buffer"/> (grown when too small); valid until its next use.</summary>
    private static ReadOnlySpan<byte> ReadPart(Stream source, long offset, long length, string what, ref byte[] buffer)
    {
        if (offset < HeaderSize || length < 0 || length > Array.MaxLength || offset > source.Length - length)
        {
            throw new InvalidDataException($"The binary .idv stream is damaged: {what} lies at {offset}, {length} bytes, outside the stream's {source.Length} bytes.");
        }

        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }

        source.Position = offset;
        source.ReadExactly(buffer, 0, (int)length);
        return buffer.AsSpan(0, (int)length);
    }

    private readonly record struct BlockEntry(long Offset, int Length, int InflatedLength);

    private readonly record struct Annotation(string Kind, byte[] Codec, byte Compression, long Offset, long Length);

    /// <summary>One table-of-contents entry and its lookup table and annotations.</summary>
    private sealed class Column
    {
        private byte[] _codec = [];
        private int _rowsPerBlock;

        public string Name { get; private init; } = "";

        public byte Compression { get; private set; }

        /// <summary>Where the lookup table is: in the source once read, in the new file once written; 0 for a column without blocks.</summary>
        public long LookupOffset { get; private set; }

        /// <summary>Where the annotation table of contents is, as <see cref="LookupOffset"/>; 0 for none.</summary>
        public long AnnotationTocOffset { get; private set; }

        public BlockEntry[] Blocks { get; private set; } = [];

        public List<Annotation> Annotations { get; } = [];

        /// <summary>Reads entry <paramref name="index"/> at the reader's position: name, codec, compression, rows per block, lookup and annotation offsets.</summary>
        public static Column Read(BinaryReader reader, int index, long rowCount, long tailOffset)
        {
            var column = new Column { Name = reader.ReadString() };
            column._codec = ReadCodec(reader);
            column.Compression = reader.ReadByte();
            long rowsPerBlock = reader.Read7BitEncodedInt64();
            column.LookupOffset = reader.ReadInt64();
            column.AnnotationTocOffset = reader.ReadInt64();
            if (rowsPerBlock < 0 || rowsPerBlock > int.MaxValue || (rowsPerBlock == 0 && rowCount > 0) || column.LookupOffset < 0 || column.LookupOffset > tailOffset || column.AnnotationTocOffset < 0 || column.AnnotationTocOffset > tailOffset)
            {
                throw new InvalidDataException($"The binary .idv table of contents is damaged: column {index} '{column.Name}' has {rowsPerBlock} rows per block, its lookup table at {column.LookupOffset} and its annotations at {column.AnnotationTocOffset}, in a file whose tail is at {tailOffset}.");
            }

            column._rowsPerBlock = (int)rowsPerBlock;
            return column;
        }

        /// <summary>Reads the lookup table (one entry per block) and the annotation table of contents.</summary>
        public void ReadTables(BinaryReader reader, long rowCount, long tailOffset)
        {
            if (LookupOffset > 0 && rowCount > 0)
            {
                long blocks = ((rowCount - 1) / _rowsPerBlock) + 1;
                if (blocks > (tailOffset - LookupOffset) / 16)
                {
                    throw new InvalidDataException($"The binary .idv lookup table of column '{Name}' ({blocks} blocks at {LookupOffset}) runs past the file's tail at {tailOffset}.");
                }

                if (Compression is not (CompressionNone or CompressionDeflate))
                {
                    throw new InvalidDataException($"Column '{Name}' of the binary .idv file is stored with compression kind {Compression}; this reads kinds {CompressionNone} (none) and {CompressionDeflate} (Deflate), the ones ML.NET writes.");
                }

                reader.BaseStream.Position = LookupOffset;
                Blocks = new BlockEntry[blocks];
                for (long b = 0; b < blocks; b++)
                {
                    var block = new BlockEntry(reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32());
                    if (block.Length < 0 || block.InflatedLength < 0 || block.Offset < HeaderSize || block.Offset > tailOffset - block.Length)
                    {
                        throw new InvalidDataException($"Block {b} of column '{Name}' in the binary .idv file is out of range: at {block.Offset}, {block.Length} bytes ({block.InflatedLength} inflated), in a file whose tail is at {tailOffset}.");
                    }

                    // Deflate inflates at most about 1,032 to 1, so a larger claim is damage, not data (and is not allocated).
                    long mostInflated = Compression == CompressionNone ? block.Length : (MaxDeflateRatio * (long)block.Length) + 64;
                    if (block.InflatedLength > mostInflated)
                    {
                        throw new InvalidDataException($"Block {b} of column '{Name}' in the binary .idv file claims {block.InflatedLength} bytes inflated from {block.Length} stored, more than {(Compression == CompressionNone ? "an uncompressed block holds" : "Deflate can inflate them to")} ({mostInflated}).");
                    }

                    Blocks[b] = block;
                }
            }

            if (AnnotationTocOffset > 0)
            {
                reader.BaseStream.Position = AnnotationTocOffset;
                long count = reader.Read7BitEncodedInt64();
                if (count <= 0 || count > int.MaxValue)
                {
                    throw new InvalidDataException($"The annotation table of column '{Name}' in the binary .idv file claims {count} entries.");
                }

                for (long m = 0; m < count; m++)
                {
                    string kind = reader.ReadString();
                    byte[] codec = ReadCodec(reader);
                    byte compression = reader.ReadByte();
                    long offset = reader.ReadInt64();
                    long length = reader.Read7BitEncodedInt64();
                    Annotations.Add(new Annotation(kind, codec, compression, offset, length));
                }
            }
        }

        /// <summary>
        /// Block <paramref name="block"/>'s bytes, inflated where the column is compressed (read into
        /// <paramref name="stored"/> and inflated into <paramref name="inflated"/>, buffers reused from block to block);
        /// its inflated length is checked against the lookup table's.
        /// </summary>
        public ReadOnlySpan<byte> Inflate(Stream source, int block, ref byte[] stored, ref byte[] inflated)
        {
            BlockEntry entry = Blocks[block];
            ReadOnlySpan<byte> bytes = ReadPart(source, entry.Offset, entry.Length, $"block {block} of column '{Name}'", ref stored);
            if (Compression == CompressionNone)
            {
                return bytes;
            }

            if (inflated.Length < entry.InflatedLength)
            {
                inflated = new byte[entry.InflatedLength];
            }

            using var deflate = new DeflateStream(new MemoryStream(stored, 0, entry.Length), CompressionMode.Decompress);
            int beyond;
            try
            {
                deflate.ReadExactly(inflated, 0, entry.InflatedLength);
                beyond = deflate.ReadByte();
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"Block {block} of column '{Name}' in the binary .idv file inflates to fewer than the {entry.InflatedLength} bytes its lookup table gives.");
            }
            catch (InvalidDataException e)
            {
                // The inflater's own message ("unsupported compression method" and the like) does not say where.
                throw new InvalidDataException($"Block {block} of column '{Name}' in the binary .idv file (at {entry.Offset}, {entry.Length} bytes) is not valid Deflate data: {e.Message}", e);
            }

            if (beyond >= 0)
            {
                throw new InvalidDataException($"Block {block} of column '{Name}' in the binary .idv file inflates to more than the {entry.InflatedLength} bytes its lookup table gives.");
            }

            return inflated.AsSpan(0, entry.InflatedLength);
        }

        /// <summary>Writes the lookup table with the blocks' new offsets, where the writer stands, and moves <see cref="LookupOffset"/> there.</summary>
        public void WriteLookup(BinaryWriter writer)
        {
            if (LookupOffset == 0)
            {
                return;
            }

            LookupOffset = writer.BaseStream.Position;
            foreach (BlockEntry block in Blocks)
            {
                writer.Write(block.Offset);
                writer.Write(block.Length);
                writer.Write(block.InflatedLength);
            }
        }

        /// <summary>Writes the annotation table of contents with the annotations' new offsets, where the writer stands, and moves <see cref="AnnotationTocOffset"/> there.</summary>
        public void WriteAnnotationToc(BinaryWriter writer)
        {
            if (AnnotationTocOffset == 0)
            {
                return;
            }

            AnnotationTocOffset = writer.BaseStream.Position;
            writer.Write7BitEncodedInt64(Annotations.Count);
            foreach (Annotation annotation in Annotations)
            {
                writer.Write(annotation.Kind);
                writer.Write(annotation.Codec);
                writer.Write(annotation.Compression);
                writer.Write(annotation.Offset);
                writer.Write7BitEncodedInt64(annotation.Length);
            }
        }

        /// <summary>Writes the table-of-contents entry: compression None for a column with blocks, and the new offsets.</summary>
        public void WriteEntry(BinaryWriter writer)
        {
            writer.Write(Name);
            writer.Write(_codec);
            writer.Write(LookupOffset > 0 ? CompressionNone : Compression);
            writer.Write7BitEncodedInt64(_rowsPerBlock);
            writer.Write(LookupOffset);
            writer.Write(AnnotationTocOffset);
        }

        /// <summary>A codec description (its name, the length of its parameters, the parameters) as the bytes it was read from.</summary>
        private static byte[] ReadCodec(BinaryReader reader)
        {
            long start = reader.BaseStream.Position;
            reader.ReadString();
            long length = reader.Read7BitEncodedInt64();
            if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            {
                throw new InvalidDataException($"A codec description in the binary .idv file at {start} claims {length} bytes of parameters, more than the file holds.");
            }

            reader.BaseStream.Position += length;
            long end = reader.BaseStream.Position;
            reader.BaseStream.Position = start;
            byte[] bytes = reader.ReadBytes((int)(end - start));
            return bytes;
        }
    }
}
