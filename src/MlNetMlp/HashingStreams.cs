using System;
using System.IO;
using System.Security.Cryptography;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// Reads a zip entry of a known length, computing its SHA-256 as it streams and refusing to give more bytes than
/// the length; the pipeline's parts are checked against the manifest's hash without being buffered whole.
/// </summary>
internal sealed class HashingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly string _name;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;

    public HashingReadStream(Stream inner, long length, string name)
    {
        _inner = inner;
        Length = length;
        _name = name;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = _inner.Read(buffer[..(int)Math.Min(buffer.Length, Math.Max(0, Length - _position))]);
        _hash.AppendData(buffer[..read]);
        _position += read;
        return read;
    }

    /// <summary>Checks that the entry holds no bytes beyond what was read, and exactly its length.</summary>
    public void RequireEnd()
    {
        if (_position != Length)
        {
            throw new MlpModelFormatException($"Entry '{_name}' holds {Length - _position:N0} bytes more than its contents use.");
        }

        Span<byte> probe = stackalloc byte[1];
        if (_inner.Read(probe) != 0)
        {
            throw new MlpModelFormatException($"Entry '{_name}' holds more bytes than its header says.");
        }
    }

    /// <summary>Compares the SHA-256 of what was read with the manifest's (in either case of hex digits).</summary>
    public void CheckHash(string expected)
    {
        string actual = Convert.ToHexString(_hash.GetHashAndReset());
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new MlpModelFormatException($"Part {_name} of the pipeline file is damaged: its SHA-256 does not match the manifest.");
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Passes writes on to a stream that need not seek (a zip entry's), computing their SHA-256 on the way: a pipeline's
/// part is hashed for the manifest as it is written, without being buffered whole.
/// </summary>
internal sealed class HashingWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _written;

    public HashingWriteStream(Stream inner)
    {
        _inner = inner;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    /// <summary>The SHA-256 of everything written, in upper-case hex (the manifest's form).</summary>
    public string HashHex() => Convert.ToHexString(_hash.GetHashAndReset());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _inner.Write(buffer);
        _written += buffer.Length;
    }

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
