using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace MlNetMlp.Engine;

/// <summary>
/// Saves and loads <see cref="MlpModel"/>s in MlNetMlp's own binary format: little-endian, self-delimiting, and
/// closed by a SHA-256 of everything before it. Loading trusts nothing in the file: it checks the signature, the
/// version and the hash first, then checks every count against the bytes actually present before allocating
/// anything for it, and every value against what a model can hold: the model's own rules (<see cref="MlpModelShape"/>,
/// the same ones <see cref="MlpModel.FromParameters"/> applies), then the history's. No type names are read from the file.
/// <para>
/// What is saved: the shape, the activation, the parameters and the training history. What is not: the optimizer
/// state (Adam's moments, SGD's velocity). Continuing a loaded model with <see cref="MlpTrainer.Fit(MlpDataset, MlpModel, System.Action{MlNetMlp.MlpEpochReport}, System.Threading.CancellationToken)"/> (warm start)
/// behaves exactly as with the original, since warm start always starts a fresh optimizer, as scikit-learn's
/// <c>warm_start</c> does; <see cref="MlpTrainer.PartialFit"/> on a loaded model also starts a fresh optimizer.
/// </para>
/// <code>
///   offset   bytes   field
///   0        8       signature 89 4D 4C 50 0D 0A 1A 0A ("\x89MLP\r\n\x1A\n")
///   8        4       int32   format version (<see cref="FormatVersion"/>)
///   12       8       int64   L, the number of bytes after this field, hash included
///   20       4       int32   task (<see cref="MlpTask"/>)
///            4       int32   hidden activation (<see cref="Activation"/>)
///            4       float32 leaky-relu slope
///            4       float32 ELU alpha
///            4       int32   input count
///            4       int32   hidden layer count h, then h x int32 widths
///            4       int32   output count
///            4       int32   class count (0 for regression)
///            8       int64   parameter count P, then P x float32 (<see cref="MlpModel.GetParameters"/> order)
///            4       int32   loss-curve length, then that many float64
///            4       int32   validation-score count, then that many float64
///            24      float64 best loss, best validation score, final loss
///            4       int32   epochs run
///            8       int64   samples seen
///            4       int32   function evaluations
///            4       int32   epochs without improvement (the stopping counter that warm start resumes)
///            4       int32   stop reason (<see cref="MlpStopReason"/>)
///            4       int32   stop-message byte count, then the stop message in UTF-8
///   20+L-32  32      SHA-256 of bytes [0, 20+L-32)
/// </code>
/// </summary>
public static class MlpModelSerializer
{
    /// <summary>The format version this library writes and the only one it reads.</summary>
    public const int FormatVersion = 2;

    /// <summary>Bytes before the body: signature, version and body length.</summary>
    internal const int HeaderSize = 20;

    /// <summary>Length of the SHA-256 that closes the file.</summary>
    internal const int HashSize = 32;

    /// <summary>The body of a model with no hidden layer, no parameter, no history and an empty stop reason.</summary>
    private const int MinimumBodyLength = (8 * 4) + 8 + (2 * 4) + (3 * 8) + 4 + 8 + (4 * 4) + HashSize;

    /// <summary>First read when the stream cannot say how long it is; the buffer grows only as bytes arrive.</summary>
    private const int InitialReadSize = 1 << 20;

    private const int WriteBufferSize = 1 << 16;

    private static readonly byte[] Signature = [0x89, (byte)'M', (byte)'L', (byte)'P', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The largest model this library reads, in bytes (just under 2 GiB): about 530 million parameters. Also the
    /// most that is read from a stream that cannot tell its length.
    /// </summary>
    public static long MaxModelBytes => Array.MaxLength;

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="destination"/> at its current position, which is left just
    /// after the model; the stream is neither flushed nor closed.
    /// </summary>
    public static void Save(MlpModel model, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        }

        MlpTrainingHistory history = model.History;
        byte[] stopReason = Encoding.UTF8.GetBytes(history.StopMessage);
        long bodyLength = SavedLength(model) - HeaderSize;

        using var writer = new HashingWriter(destination);
        writer.Write(Signature);
        writer.WriteInt32(FormatVersion);
        writer.WriteInt64(bodyLength);

        writer.WriteInt32((int)model.Task);
        writer.WriteInt32((int)model.Activation);
        writer.WriteSingle(model.LeakyReluSlope);
        writer.WriteSingle(model.EluAlpha);
        writer.WriteInt32(model.InputCount);
        writer.WriteInt32(model.HiddenLayerSizes.Count);
        foreach (int width in model.HiddenLayerSizes)
        {
            writer.WriteInt32(width);
        }

        writer.WriteInt32(model.OutputCount);
        writer.WriteInt32(model.ClassCount);
        writer.WriteInt64(model.Parameters.Length);
        foreach (float p in model.Parameters)
        {
            writer.WriteSingle(p);
        }

        writer.WriteInt32(history.LossCurveList.Count);
        foreach (double loss in history.LossCurveList)
        {
            writer.WriteDouble(loss);
        }

        writer.WriteInt32(history.ValidationScoresList.Count);
        foreach (double score in history.ValidationScoresList)
        {
            writer.WriteDouble(score);
        }

        writer.WriteDouble(history.BestLoss);
        writer.WriteDouble(history.BestValidationScore);
        writer.WriteDouble(history.FinalLoss);
        writer.WriteInt32(history.EpochsRun);
        writer.WriteInt64(history.SamplesSeen);
        writer.WriteInt32(history.FunctionEvaluations);
        writer.WriteInt32(history.EpochsWithoutImprovement);
        writer.WriteInt32((int)history.StopReason);
        writer.WriteInt32(stopReason.Length);
        writer.Write(stopReason);
        writer.WriteHash();
        if (writer.Written != HeaderSize + bodyLength)
        {
            throw new InvalidOperationException($"Internal error: wrote {writer.Written} bytes, announced {HeaderSize + bodyLength}.");
        }
    }

    /// <summary>
    /// The bytes <see cref="Save(MlpModel, Stream)"/> writes for <paramref name="model"/>, known before writing (a
    /// container that records the length first, as a pipeline's MLP part does, needs no buffer or seek-back).
    /// </summary>
    /// <exception cref="ArgumentException">The model is larger than the format holds (<see cref="MaxModelBytes"/>).</exception>
    internal static long SavedLength(MlpModel model)
    {
        MlpTrainingHistory history = model.History;
        long length = HeaderSize + MinimumBodyLength
            + (4L * model.HiddenLayerSizes.Count)
            + (4L * model.Parameters.Length)
            + (8L * history.LossCurveList.Count)
            + (8L * history.ValidationScoresList.Count)
            + Encoding.UTF8.GetByteCount(history.StopMessage);
        if (length > MaxModelBytes)
        {
            throw new ArgumentException($"The model needs {length:N0} bytes; the format holds at most {MaxModelBytes:N0}.", nameof(model));
        }

        return length;
    }

    /// <summary>
    /// Saves <paramref name="model"/> to the file <paramref name="path"/> atomically: the bytes go to a temporary file
    /// in the same folder (named <c>.mlnetmlp-save-XXXXXXXX.tmp</c>, whatever the target's name), which is flushed to
    /// disk and then moved over <paramref name="path"/>. If anything fails (or the process dies) before the move, a
    /// file already at <paramref name="path"/> is left as it was; on a failure the temporary file is removed, and
    /// the original error is what is thrown. A temporary file left by a killed process is removed by a later save
    /// into the same folder once it is a day old. The new file gets the default permissions of a newly created file.
    /// </summary>
    public static void Save(MlpModel model, string path) => Save(model, path, wrapForTesting: null);

    /// <summary>As <see cref="Save(MlpModel, string)"/>; <paramref name="wrapForTesting"/> wraps the temporary file's stream (tests inject write failures with it).</summary>
    internal static void Save(MlpModel model, string path, Func<Stream, Stream>? wrapForTesting)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, nameof(path), stream => Save(model, stream), wrapForTesting);
    }

    /// <summary>
    /// Reads a model from <paramref name="source"/> at its current position and leaves the stream just after it, so
    /// a model can be embedded in a larger stream.
    /// </summary>
    /// <exception cref="MlpModelFormatException">The bytes are not a valid model of a supported format version.</exception>
    public static MlpModel Load(Stream source) => Load(source, MaxModelBytes);

    /// <summary>
    /// Reads the model saved in the file <paramref name="path"/>. The file must hold exactly one model.
    /// </summary>
    /// <exception cref="MlpModelFormatException">The file is not a valid model of a supported format version; the message names the file.</exception>
    public static MlpModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, WriteBufferSize, FileOptions.SequentialScan);
        try
        {
            MlpModel model = Load(file);
            long trailing = file.Length - file.Position;
            if (trailing != 0)
            {
                throw new MlpModelFormatException($"{trailing:N0} unexpected bytes follow the model.");
            }

            return model;
        }
        catch (MlpModelFormatException e)
        {
            throw new MlpModelFormatException($"'{path}' is not a valid MlNetMlp model: {e.Message}", e);
        }
    }

    /// <summary>As <see cref="Load(Stream)"/> with a lower size limit (tests use it to exercise the cap cheaply).</summary>
    internal static MlpModel Load(Stream source, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead)
        {
            throw new ArgumentException("The source stream is not readable.", nameof(source));
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        int got = ReadAtMost(source, header);
        if (got < Signature.Length || !header[..Signature.Length].SequenceEqual(Signature))
        {
            throw new MlpModelFormatException(got == 0
                ? "The data is empty; an MlNetMlp model starts with an 8-byte signature."
                : $"The data does not start with the MlNetMlp model signature {Convert.ToHexString(Signature)} (it starts with {Convert.ToHexString(header[..Math.Min(got, Signature.Length)])}); it is not a model written by {nameof(MlpModelSerializer)}.");
        }

        if (got < HeaderSize)
        {
            throw new MlpModelFormatException($"The data ends after {got} bytes, inside the {HeaderSize}-byte header.");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
        {
            string hint = version > FormatVersion ? " It was written by a newer MlNetMlp; upgrade to read it." : string.Empty;
            throw new MlpModelFormatException($"The model has format version {version}; this MlNetMlp reads format version {FormatVersion} only.{hint}");
        }

        long bodyLength = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
        if (bodyLength < MinimumBodyLength || bodyLength > maxBytes - HeaderSize)
        {
            throw new MlpModelFormatException($"The header announces {bodyLength:N0} bytes after it; a model has between {MinimumBodyLength} and {maxBytes - HeaderSize:N0}.");
        }

        if (source.CanSeek && source.Length - source.Position < bodyLength)
        {
            throw Truncated(HeaderSize + (source.Length - source.Position), HeaderSize + bodyLength);
        }

        // The body is parsed as it streams in, hashed on the way: a forged or inflated body is rejected at its first
        // impossible field, nothing is buffered whole, and the parameters are allocated only once the shape that
        // needs them has been checked (and, on a stream of unknown length, grown as their bytes arrive).
        var reader = new Reader(source, header, bodyLength - HashSize);
        try
        {
            MlpModel model = Parse(ref reader);
            Span<byte> actual = stackalloc byte[HashSize];
            reader.FinishHash(actual);
            Span<byte> stored = stackalloc byte[HashSize];
            if (ReadAtMost(source, stored) < HashSize)
            {
                throw Truncated(HeaderSize + bodyLength - HashSize, HeaderSize + bodyLength);
            }

            if (!actual.SequenceEqual(stored))
            {
                throw new MlpModelFormatException("The model's SHA-256 does not match its contents: the data is corrupted.");
            }

            return model;
        }
        finally
        {
            reader.Dispose();
        }
    }

    /// <summary>Checks and decodes the body (without its hash). Every count is checked against the bytes left before anything is allocated for it.</summary>
    private static MlpModel Parse(ref Reader reader)
    {
        var task = (MlpTask)reader.ReadInt32();
        var activation = (Activation)reader.ReadInt32();
        float slope = reader.ReadSingle();
        float eluAlpha = reader.ReadSingle();
        int inputCount = reader.ReadInt32();
        int hiddenCount = reader.ReadCount(4, "hidden layer widths");
        var hidden = new int[hiddenCount];
        for (int i = 0; i < hidden.Length; i++)
        {
            hidden[i] = reader.ReadInt32();
        }

        int outputCount = reader.ReadInt32();
        int classCount = reader.ReadInt32();

        // The shape is checked by the model's own rules (those of MlpModel.FromParameters) before the parameters
        // that it sizes are read, and the declared count against it before anything is allocated for them.
        MlpModelShape shape = Rule(() => MlpModelShape.Validate(task, inputCount, hidden, outputCount, activation, slope, eluAlpha, classCount));
        long declared = reader.ReadInt64();
        Rule(() => shape.CheckParameterCount(declared));
        float[] parameters = reader.ReadSingles(shape.ParameterCount, $"{shape.ParameterCount:N0} parameters");

        var history = new MlpTrainingHistory();
        int losses = reader.ReadCount(8, "loss-curve entries");
        history.LossCurveList.Capacity = Math.Min(losses, 1 << 16);
        for (int i = 0; i < losses; i++)
        {
            history.LossCurveList.Add(ReadFinite(ref reader, $"Loss-curve entry {i}"));
        }

        int scores = reader.ReadCount(8, "validation scores");
        history.ValidationScoresList.Capacity = Math.Min(scores, 1 << 16);
        for (int i = 0; i < scores; i++)
        {
            history.ValidationScoresList.Add(ReadFinite(ref reader, $"Validation score {i}"));
        }

        history.BestLoss = reader.ReadDouble();
        if (double.IsNaN(history.BestLoss) || double.IsNegativeInfinity(history.BestLoss))
        {
            throw Invalid($"The best loss is {history.BestLoss}; it must be finite, or +∞ before any epoch.");
        }

        history.BestValidationScore = reader.ReadDouble();
        if (double.IsNaN(history.BestValidationScore) || double.IsPositiveInfinity(history.BestValidationScore))
        {
            throw Invalid($"The best validation score is {history.BestValidationScore}; it must be finite, or −∞ without early stopping.");
        }

        history.FinalLoss = reader.ReadDouble();
        if (double.IsInfinity(history.FinalLoss))
        {
            throw Invalid($"The final loss is {history.FinalLoss}; it must be finite, or NaN before any training.");
        }

        history.EpochsRun = reader.ReadInt32();
        if (history.EpochsRun < losses || losses < scores)
        {
            throw Invalid($"The history has {history.EpochsRun} epochs, {losses} loss-curve entries and {scores} validation scores; there cannot be more entries than epochs, nor more scores than losses.");
        }

        history.SamplesSeen = reader.ReadInt64();
        history.FunctionEvaluations = reader.ReadInt32();
        history.EpochsWithoutImprovement = reader.ReadInt32();
        if (history.SamplesSeen < 0 || history.FunctionEvaluations < 0 || history.EpochsWithoutImprovement < 0 || history.EpochsWithoutImprovement > history.EpochsRun)
        {
            throw Invalid($"The history counts are inconsistent: samples seen {history.SamplesSeen}, function evaluations {history.FunctionEvaluations}, epochs without improvement {history.EpochsWithoutImprovement} of {history.EpochsRun}.");
        }

        int reasonCode = reader.ReadInt32();
        if (!Enum.IsDefined((MlpStopReason)reasonCode))
        {
            throw Invalid($"The stop reason is {reasonCode}; known stop reasons are {MlpModelShape.Known<MlpStopReason>()}.");
        }

        history.StopReason = (MlpStopReason)reasonCode;
        int reasonLength = reader.ReadCount(1, "stop-message bytes");
        try
        {
            history.StopMessage = StrictUtf8.GetString(reader.ReadBytes(reasonLength));
        }
        catch (DecoderFallbackException e)
        {
            throw new MlpModelFormatException("The stop message is not valid UTF-8.", e);
        }

        reader.RequireEnd();
        return Rule(() => MlpModel.Create(shape, parameters, history));
    }

    /// <summary>Runs a check of <see cref="MlpModelShape"/>'s rules, a broken rule reported as the file's error, with the rule's message.</summary>
    private static T Rule<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            throw new MlpModelFormatException(MlpModelShape.RuleOf(e), e);
        }
    }

    private static void Rule(Action check) => Rule(() =>
    {
        check();
        return 0;
    });

    private static double ReadFinite(ref Reader reader, string what)
    {
        double value = reader.ReadDouble();
        if (!double.IsFinite(value))
        {
            throw Invalid($"{what} is {value}; it must be finite.");
        }

        return value;
    }

    private static int ReadAtMost(Stream source, Span<byte> buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = source.Read(buffer[filled..]);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private static MlpModelFormatException Truncated(long actual, long announced) =>
        new($"The model is truncated: its header announces {announced:N0} bytes, but the data ends after {actual:N0}.");

    private static MlpModelFormatException Invalid(string message) => new(message);

    /// <summary>
    /// Little-endian reads of the body as it streams from the source, hashing every byte read (the header first);
    /// each read and each count is checked against the bytes the header announces before anything is allocated for
    /// it. Reads never go past the body, so the stream is left just before the hash.
    /// </summary>
    private ref struct Reader
    {
        private const int BufferSize = 1 << 16;

        private readonly Stream _source;
        private readonly IncrementalHash _hash;
        private readonly byte[] _buffer;
        private readonly long _length;
        private int _start;
        private int _end;
        private long _consumed;

        public Reader(Stream source, ReadOnlySpan<byte> header, long length)
        {
            _source = source;
            _length = length;
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _hash.AppendData(header);
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            _start = 0;
            _end = 0;
            _consumed = 0;
        }

        /// <summary>Announced body bytes not read yet.</summary>
        public readonly long Remaining => _length - _consumed;

        public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public float ReadSingle() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        /// <summary>Reads <paramref name="count"/> bytes, allocated as they arrive.</summary>
        public byte[] ReadBytes(int count)
        {
            Require(count, $"{count:N0} bytes");
            byte[] result = new byte[Math.Min(count, BufferSize)];
            int filled = 0;
            while (filled < count)
            {
                if (filled == result.Length)
                {
                    Array.Resize(ref result, (int)Math.Min(count, 2L * result.Length));
                }

                int chunk = Math.Min(result.Length - filled, BufferSize);
                Take(chunk).CopyTo(result.AsSpan(filled));
                filled += chunk;
            }

            return result;
        }

        /// <summary>Reads <paramref name="count"/> float32 values; on a stream of unknown length the array grows as their bytes arrive.</summary>
        public float[] ReadSingles(long count, string what)
        {
            Require(4 * count, what);
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (4 * count > available)
            {
                throw Invalid($"The model holds {what} ({4 * count:N0} bytes); this process can allocate at most {available:N0}.");
            }

            float[] result = new float[_source.CanSeek ? count : Math.Min(count, BufferSize)];
            long filled = 0;
            while (filled < count)
            {
                if (filled == result.Length)
                {
                    Array.Resize(ref result, (int)Math.Min(count, 2L * result.Length));
                }

                int values = (int)Math.Min(result.Length - filled, BufferSize / 4);
                ReadOnlySpan<byte> bytes = Take(4 * values);
                for (int i = 0; i < values; i++)
                {
                    result[filled + i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
                }

                filled += values;
            }

            return result;
        }

        /// <summary>Reads an int32 count of <paramref name="elementSize"/>-byte items and checks that they fit in what is left.</summary>
        public int ReadCount(int elementSize, string what)
        {
            int count = ReadInt32();
            if (count < 0)
            {
                throw Invalid($"The file declares {count} {what}; a count cannot be negative.");
            }

            Require((long)count * elementSize, $"{count:N0} {what}");
            return count;
        }

        public readonly void Require(long bytes, string what)
        {
            if (bytes > Remaining)
            {
                throw Invalid($"The file declares {what} ({bytes:N0} bytes) at offset {HeaderSize + _consumed}, but only {Remaining:N0} bytes remain.");
            }
        }

        /// <summary>Checks that the whole announced body has been read: otherwise the data is truncated or holds unexpected bytes.</summary>
        public void RequireEnd()
        {
            if (Remaining == 0)
            {
                return;
            }

            // More bytes announced than the fields use: either they are there (unexpected bytes) or the data ends
            // before them (truncated, as a forged length on a stream of unknown length gives).
            long extra = Remaining;
            int wanted = (int)Math.Min(extra, BufferSize);
            if (Fill(wanted) < wanted)
            {
                throw Truncated(HeaderSize + _consumed + (_end - _start), HeaderSize + _length + HashSize);
            }

            throw Invalid($"{extra:N0} unexpected bytes follow the training history.");
        }

        /// <summary>The SHA-256 of the header and the body read.</summary>
        public readonly void FinishHash(Span<byte> destination) => _hash.GetHashAndReset(destination);

        public readonly void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            Require(count, $"a {count:N0}-byte field");
            if (_end - _start < count && Fill(count) < count)
            {
                throw Truncated(HeaderSize + _consumed + (_end - _start), HeaderSize + _length + HashSize);
            }

            ReadOnlySpan<byte> result = _buffer.AsSpan(_start, count);
            _start += count;
            _consumed += count;
            return result;
        }

        /// <summary>Reads from the source (never past the body) until <paramref name="count"/> bytes are buffered or it ends; returns the bytes buffered.</summary>
        private int Fill(int count)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            while (_end < count)
            {
                long left = _length - _consumed - _end;
                int want = (int)Math.Min(BufferSize - _end, left);
                if (want <= 0)
                {
                    break;
                }

                int read = _source.Read(_buffer, _end, want);
                if (read == 0)
                {
                    break;
                }

                _hash.AppendData(_buffer, _end, read);
                _end += read;
            }

            return _end;
        }
    }

    /// <summary>Buffers little-endian writes, hashing every byte on its way to the destination.</summary>
    private sealed class HashingWriter : IDisposable
    {
        private readonly Stream _destination;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(WriteBufferSize);
        private int _used;

        public HashingWriter(Stream destination)
        {
            _destination = destination;
        }

        public long Written { get; private set; }

        public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

        public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

        public void WriteSingle(float value) => BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);

        public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);

        public void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                int chunk = Math.Min(bytes.Length, _buffer.Length - _used);
                if (chunk == 0)
                {
                    Flush();
                    continue;
                }

                bytes[..chunk].CopyTo(Reserve(chunk));
                bytes = bytes[chunk..];
            }
        }

        /// <summary>Writes out the buffer, then the SHA-256 of everything written.</summary>
        public void WriteHash()
        {
            Flush();
            Span<byte> digest = stackalloc byte[HashSize];
            _hash.GetHashAndReset(digest);
            _destination.Write(digest);
            Written += HashSize;
        }

        public void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        private Span<byte> Reserve(int size)
        {
            if (_used + size > _buffer.Length)
            {
                Flush();
            }

            Span<byte> slot = _buffer.AsSpan(_used, size);
            _used += size;
            Written += size;
            return slot;
        }

        private void Flush()
        {
            _hash.AppendData(_buffer, 0, _used);
            _destination.Write(_buffer, 0, _used);
            _used = 0;
        }
    }
}
