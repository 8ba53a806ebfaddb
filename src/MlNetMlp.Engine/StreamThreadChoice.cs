using System;
using System.Diagnostics;

namespace MlNetMlp.Engine;

/// <summary>
/// The threads a streamed fit with automatic threads (<see cref="MlpOptions.NumberOfThreads"/> 0) trains each block
/// on: every processor, or one fewer so that the block reader (and a loader's own decompression threads) keep a core.
/// Which is faster depends on how much CPU reading a row takes against training it, and so on the machine: on one
/// 2-core machine one training thread was 10-13% faster on ML.NET's Deflate-compressed binary .idv (reading a row cost
/// about as much CPU as training it); on another the two were within noise there, and two threads were 3-34% faster on
/// an uncompressed file. So it is measured, not guessed: in every training pass, of each
/// run of <see cref="Cycle"/> blocks, block 0 is left out (it includes the pass's start), blocks 1-4 train on every
/// processor and blocks 5-8 on one fewer, and blocks 2-4 and 6-8 are timed from their start to the next block's start
/// (so waiting for the reader counts; the first block of each count is not timed, as the reader's buffer still holds
/// what the other count left it), and the rest of the run trains on whichever gave more rows a second. Results do not depend on the
/// thread count, so the choice, which depends on timing, never changes the model.
/// </summary>
internal sealed class StreamThreadChoice
{
    /// <summary>Blocks between two measurements of both choices.</summary>
    public const int Cycle = 64;

    /// <summary>Blocks each count trains on in a cycle's probe.</summary>
    private const int Probe = 4;

    private readonly int _many;
    private readonly int _fewer;
    private readonly Func<long> _clock;
    private int _block = -1;
    private int _rows;
    private long _started;
    private readonly double[] _seconds = new double[2];
    private readonly long[] _rowsTimed = new long[2];

    /// <summary>A choice between <paramref name="processors"/> threads and one fewer, timed by <paramref name="clock"/> (<see cref="Stopwatch"/> ticks; tests give their own).</summary>
    internal StreamThreadChoice(int processors, Func<long>? clock = null)
    {
        _clock = clock ?? Stopwatch.GetTimestamp;
        _many = processors;
        _fewer = processors - 1;
        Threads = _fewer;
    }

    /// <summary>The threads of the block just started.</summary>
    public int Threads { get; private set; }

    /// <summary>A choice for <paramref name="options"/>, or null where the threads are fixed (or there is one processor, which leaves nothing to choose).</summary>
    public static StreamThreadChoice? For(MlpOptions options) => Chooses(options) ? new StreamThreadChoice(Environment.ProcessorCount) : null;

    /// <summary>The threads a fit with <paramref name="options"/> trains on, in words for the log: <c>2 thread(s)</c>, or for a streamed fit that chooses, <c>2 or 1 threads, whichever ...</c>.</summary>
    public static string Describe(MlpOptions options, bool streamed) => streamed && Chooses(options)
        ? $"{Environment.ProcessorCount} or {Environment.ProcessorCount - 1} threads, whichever trains the streamed blocks faster"
        : $"{options.FixedThreads} thread(s)";

    private static bool Chooses(MlpOptions options) => options.NumberOfThreads == 0 && Environment.ProcessorCount > 1;

    /// <summary>A training pass starts: its first block is not timed.</summary>
    public void BeginPass() => _block = -1;

    /// <summary>Block of <paramref name="rows"/> rows starts training now: the block before it is timed, and <see cref="Threads"/> is this block's.</summary>
    public void NextBlock(int rows)
    {
        long now = _clock();
        if (_block >= 0 && Timed(_block % Cycle) is int which)
        {
            _seconds[which] += (now - _started) / (double)Stopwatch.Frequency;
            _rowsTimed[which] += _rows;
        }

        _block++;
        _started = now;
        _rows = rows;
        int phase = _block % Cycle;
        if (phase == 1)
        {
            Array.Clear(_seconds);
            Array.Clear(_rowsTimed);
        }

        if (phase == (2 * Probe) + 1)
        {
            // Rows a second of each; ties go to every processor.
            Threads = _rowsTimed[0] * _seconds[1] >= _rowsTimed[1] * _seconds[0] ? _many : _fewer;
        }
        else if (phase is >= 1 and <= 2 * Probe)
        {
            Threads = phase <= Probe ? _many : _fewer;
        }
    }

    /// <summary>
    /// Which count a block of this phase times (0: every processor, 1: one fewer), or null. The first block of each
    /// probe is not timed: the reader's buffer still holds what the previous count left it.
    /// </summary>
    private static int? Timed(int phase) => phase switch
    {
        >= 2 and <= Probe => 0,
        >= Probe + 2 and <= 2 * Probe => 1,
        _ => null,
    };
}
