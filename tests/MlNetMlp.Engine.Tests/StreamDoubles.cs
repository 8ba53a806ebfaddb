using System;
using System.IO;

namespace MlNetMlp.Engine.Tests;

/// <summary>A read-only stream that cannot seek or tell its length, and hands out at most a few bytes per read.</summary>
internal sealed class TrickleStream : Stream
{
    private readonly Stream _inner;
    private readonly int _maxRead;

    public TrickleStream(byte[] data, int maxRead = 7)
    {
        _inner = new MemoryStream(data, writable: false);
        _maxRead = maxRead;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, _maxRead));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Passes writes through to another stream until <c>failAfter</c> bytes, then throws as a full disk would.</summary>
internal sealed class FailingWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly long _failAfter;
    private long _written;

    public FailingWriteStream(Stream inner, long failAfter)
    {
        _inner = inner;
        _failAfter = failAfter;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        long allowed = Math.Max(0, Math.Min(count, _failAfter - _written));
        _inner.Write(buffer, offset, (int)allowed);
        _written += allowed;
        if (allowed < count)
        {
            throw new IOException("Simulated failure: no space left on device.");
        }
    }

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A non-seekable stream of a given start followed by zeros without end; counts the bytes handed out.</summary>
internal sealed class EndlessStream : Stream
{
    private readonly byte[] _start;

    public EndlessStream(byte[] start)
    {
        _start = start;
    }

    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            long at = BytesRead + i;
            buffer[offset + i] = at < _start.Length ? _start[at] : (byte)0;
        }

        BytesRead += count;
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
