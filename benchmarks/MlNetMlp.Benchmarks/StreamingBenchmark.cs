using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// <c>stream [--gb 4] [--dir DIR] [--keep 1] [--file PATH] [--compressed 1] [--threads N] [--verbose 1] [--shuffled-cursor 0]</c>: writes a synthetic W3-shaped binary .idv (100 features, 10 classes) of
/// about that many gigabytes, its blocks uncompressed (<see cref="MlpBinaryFiles.SaveAsUncompressedBinary"/>; with
/// <c>--compressed 1</c> Deflate-compressed, as ML.NET's <c>SaveAsBinary</c> writes it), then re-launches itself with <c>DOTNET_GCHeapHardLimit=0x40000000</c> (a 1 GiB managed
/// heap) to train one epoch streamed from it (hidden 256-128, batch 256, Adam, automatic memory budget) between two
/// fits of five epochs in memory on 200,000 rows of the same file, and prints one line. The file is deleted afterwards unless
/// <c>--keep 1</c>; <c>--file</c> trains on a file written before instead (kept); <c>--threads</c> sets the trainer's
/// threads for both fits (default: automatic, which for the streamed fit is every processor or one fewer, chosen per block by timing both); <c>--verbose 1</c> adds the details on stderr;
/// <c>--shuffled-cursor 0</c> streams with <see cref="MlpTrainerOptions.StreamingShuffledCursor"/> false. Epoch times are the trainer's own (from the fit's start to the end of the epoch, after the streamed
/// fit's counting pass); the in-memory speed is the median of the ten in-memory epochs (a fit's first is slower:
/// buffers are touched for the first time; half come before the streamed epoch and half after, as the speed of a
/// shared virtual machine drifts). <c>--verbose 1</c> also reports the counting pass and ML.NET's loader alone (rows a second and
/// CPU time per row, shuffled and in order), the least CPU a streamed epoch spends reading, and the trainer's block reader alone.
/// </summary>
internal static class StreamingBenchmark
{
    private const int Features = 100;
    private const int Classes = 10;
    private const int InMemoryRows = 200_000;
    /// <summary>In-memory epochs before the streamed epoch, and as many after it; the in-memory speed is their median's.</summary>
    private const int InMemoryEpochs = 5;
    private const long HeapLimit = 1L << 30;

    /// <summary>Rows the reading-alone measurements of <c>--verbose 1</c> read.</summary>
    private const long AloneRows = 2_000_000;

    public static int Run(IReadOnlyDictionary<string, string> options)
    {
        double gigabytes = options.TryGetValue("gb", out string? gb) ? double.Parse(gb, CultureInfo.InvariantCulture) : 4;
        string folder = options.TryGetValue("dir", out string? dir) ? dir : Path.GetTempPath();
        bool given = options.TryGetValue("file", out string? existing);
        bool verbose = options.ContainsKey("verbose");
        string path = existing ?? Path.Combine(folder, $"mlnetmlp-stream-{Environment.ProcessId}.idv");
        long rows = (long)(gigabytes * 1e9 / (sizeof(float) * (Features + 1)));
        try
        {
            if (!given)
            {
                var clock = Stopwatch.StartNew();
                bool compressed = options.TryGetValue("compressed", out string? deflate) && deflate == "1";
                Write(path, rows, compressed);
                Log(verbose, $"[stream] wrote {rows:N0} rows, {new FileInfo(path).Length / 1e9:F2} GB, {(compressed ? "Deflate-compressed" : "uncompressed")}, to {path} in {clock.Elapsed.TotalSeconds:F0} s");
            }

            var start = new ProcessStartInfo { FileName = Environment.ProcessPath!, RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            {
                start.ArgumentList.Add(typeof(StreamingBenchmark).Assembly.Location);
            }

            start.ArgumentList.Add("stream-child");
            start.ArgumentList.Add(path);
            start.ArgumentList.Add(options.TryGetValue("threads", out string? threads) ? threads : "0");
            start.ArgumentList.Add(verbose ? "1" : "0");
            start.ArgumentList.Add(options.TryGetValue("shuffled-cursor", out string? cursor) ? cursor : "1");
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimit.ToString("X", CultureInfo.InvariantCulture);
            using Process child = Process.Start(start)!;
            string line = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Console.Write(line);
            return child.ExitCode;
        }
        finally
        {
            if (!given && !options.ContainsKey("keep") && File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>The child: under the 1 GiB heap limit, one streamed epoch over the file and one in-memory epoch over its first rows.</summary>
    public static int Child(string path, int threads, bool verbose, bool shuffledCursor)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Log(verbose, $"[stream] child: managed heap limit {available / (1 << 20):N0} MiB, {Environment.ProcessorCount} processors");
        if (available > 2 * HeapLimit)
        {
            Console.Error.WriteLine("[stream] DOTNET_GCHeapHardLimit is not in effect; run the 'stream' command, which sets it.");
            return 2;
        }

        int? trainerThreads = threads > 0 ? threads : null;
        var ml = new MLContext(seed: 1);
        IDataView file = ml.Data.LoadFromBinary(path);
        long rows = file.GetRowCount() ?? throw new InvalidOperationException("The binary file does not know its row count.");
        long headRows = Math.Min(rows, InMemoryRows);
        IDataView head = ml.Data.TakeRows(file, headRows);

        // In-memory epochs before and after the streamed one, so that the baseline spans the same stretch of the
        // machine's time (a shared virtual machine's speed drifts from minute to minute).
        List<TimeSpan> inMemoryEpochs = Train(ml, head, MlpStreaming.Never, trainerThreads, shuffledCursor, InMemoryEpochs);
        GC.Collect();
        using var peak = new HeapPeak();
        var clock = Stopwatch.StartNew();
        TimeSpan streamedEpoch = Train(ml, file, MlpStreaming.Always, trainerThreads, shuffledCursor, epochs: 1)[0];
        double fit = clock.Elapsed.TotalSeconds;
        long streamedPeak = peak.Bytes;
        Log(verbose, $"[stream] streamed fit {fit:F1} s: counting pass and sample {fit - streamedEpoch.TotalSeconds:F1} s, epoch {streamedEpoch.TotalSeconds:F1} s");

        inMemoryEpochs.AddRange(Train(ml, head, MlpStreaming.Never, trainerThreads, shuffledCursor, InMemoryEpochs));
        inMemoryEpochs.Sort();
        TimeSpan inMemoryEpoch = inMemoryEpochs[inMemoryEpochs.Count / 2];
        double streamedSpeed = rows / streamedEpoch.TotalSeconds;
        double inMemorySpeed = headRows / inMemoryEpoch.TotalSeconds;
        Log(verbose, $"[stream] in-memory epoch over {headRows:N0} rows {inMemoryEpoch.TotalSeconds:F2} s; streamed at {streamedSpeed / inMemorySpeed:P0} of it; peak managed heap over both {peak.Bytes / (1 << 20):N0} MiB");
        if (verbose)
        {
            LoaderAlone(file, shuffled: true);
            LoaderAlone(file, shuffled: false);
            BlockReaderAlone(file, shuffled: true);
            BlockReaderAlone(file, shuffled: false);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"streamed {rows} rows in {streamedEpoch.TotalSeconds:F1} s, {streamedSpeed:F0} rows/s, peak managed heap {streamedPeak / (1 << 20)} MiB, in-memory speed on the same shape {inMemorySpeed:F0} rows/s"));
        return 0;
    }

    /// <summary>
    /// ML.NET's binary loader alone on the first <see cref="AloneRows"/> rows (every column read, nothing trained), the
    /// least CPU a streamed epoch spends reading.
    /// </summary>
    private static void LoaderAlone(IDataView file, bool shuffled) => ReadAlone("the loader alone", shuffled, () =>
    {
        DataViewSchema.Column[] columns = [.. file.Schema];
        using DataViewRowCursor cursor = shuffled ? file.GetRowCursor(columns, new Random(5)) : file.GetRowCursor(columns);
        ValueGetter<VBuffer<float>> features = cursor.GetGetter<VBuffer<float>>(file.Schema["Features"]);
        ValueGetter<uint> label = cursor.GetGetter<uint>(file.Schema["Label"]);
        VBuffer<float> x = default;
        uint y = 0;
        long n = 0;
        while (n < AloneRows && cursor.MoveNext())
        {
            features(ref x);
            label(ref y);
            n++;
        }

        return n;
    });

    /// <summary>
    /// The streamed fit's block reader alone on the first <see cref="AloneRows"/> rows: ML.NET's loader, the trainer's
    /// per-row reads and checks and the block buffers, on the reader thread, with nothing trained.
    /// </summary>
    private static void BlockReaderAlone(IDataView file, bool shuffled)
    {
        TrainingData.Columns columns = TrainingData.Resolve(file, new MlpMulticlassTrainer.Options(), MlpTask.MulticlassClassification);
        var source = new DataViewRowSource(file, columns, shuffledCursor: true);
        BlockSlot[] slots = [new BlockSlot(source, StreamPlan.MaxBlockRows, null), new BlockSlot(source, StreamPlan.MaxBlockRows, null)];
        ReadAlone("the block reader alone", shuffled, () =>
        {
            long n = 0;
            using var pass = new BlockPass(source, shuffled ? 5 : null, slots, null, CancellationToken.None);
            while (n < AloneRows && pass.Next(CancellationToken.None) is BlockSlot slot)
            {
                n += slot.Count;
                pass.Release(slot);
            }

            return n;
        });
    }

    /// <summary>Runs <paramref name="read"/> (which returns the rows it read) and logs its rows a second and the process's CPU time per row.</summary>
    private static void ReadAlone(string what, bool shuffled, Func<long> read)
    {
        using var process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long n = read();
        process.Refresh();
        double seconds = clock.Elapsed.TotalSeconds;
        Log(true, string.Create(CultureInfo.InvariantCulture, $"[stream] {what}, {(shuffled ? "shuffled" : "in order")}: {n / seconds:F0} rows/s, {(process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / n:F2} CPU-us per row"));
    }

    private static void Log(bool verbose, string line)
    {
        if (verbose)
        {
            Console.Error.WriteLine(line);
        }
    }

    /// <summary>W3's network for <paramref name="epochs"/> epochs; returns the epoch times, from the times the trainer reports.</summary>
    private static List<TimeSpan> Train(MLContext ml, IDataView data, MlpStreaming streaming, int? threads, bool shuffledCursor, int epochs)
    {
        var ends = new List<TimeSpan>();
        var options = new MlpMulticlassTrainer.Options
        {
            Recipe = MlpRecipe.ScikitLearn,
            HiddenLayerSizes = [256, 128],
            BatchSize = 256,
            MaximumNumberOfIterations = epochs,
            L2Regularization = 1e-4,
            Seed = 42,
            Streaming = streaming,
            NumberOfThreads = threads,
            StreamingShuffledCursor = shuffledCursor,
            Progress = r => ends.Add(r.Elapsed),
        };
        ml.MulticlassClassification.Trainers.Mlp(ml, options).Fit(data);
        var times = new List<TimeSpan>();
        for (int i = 0; i < ends.Count; i++)
        {
            times.Add(ends[i] - (i == 0 ? TimeSpan.Zero : ends[i - 1]));
        }

        return times;
    }

    private static void Write(string path, long rows, bool compressed)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(rows));
        if (compressed)
        {
            using FileStream file = File.Create(path);
            ml.Data.SaveAsBinary(data, file);
        }
        else
        {
            ml.Data.SaveAsUncompressedBinary(data, path);
        }
    }

    /// <summary>W3's shape: ten Gaussian classes in 100 standard normal features, each class shifting ten of them.</summary>
    private static IEnumerable<Row> Rows(long count)
    {
        ulong state = 0x9E3779B97F4A7C15UL;
        for (long i = 0; i < count; i++)
        {
            uint label = (uint)(Next(ref state) % Classes);
            var x = new float[Features];
            for (int j = 0; j < Features; j += 2)
            {
                // Box-Muller on two uniforms.
                double u = ((Next(ref state) >> 11) + 1.0) / (1UL << 53), v = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
                double r = Math.Sqrt(-2 * Math.Log(u));
                x[j] = (float)(r * Math.Cos(2 * Math.PI * v));
                x[j + 1] = (float)(r * Math.Sin(2 * Math.PI * v));
            }

            for (int j = (int)label * 10; j < ((int)label * 10) + 10; j++)
            {
                x[j] += 0.5f;
            }

            // LoadFromEnumerable takes a key property as 0-based and stores it 1-based.
            yield return new Row { Features = x, Label = label };
        }
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class Row
    {
        [VectorType(StreamingBenchmark.Features)]
        public float[] Features { get; set; } = [];

        [KeyType(Classes)]
        public uint Label { get; set; }
    }

    /// <summary>The largest managed heap seen, polled every 20 ms (the heap after each collection, and the bytes allocated now).</summary>
    private sealed class HeapPeak : IDisposable
    {
        private readonly Timer _timer;
        private long _bytes;

        public HeapPeak() => _timer = new Timer(_ => Sample(), null, 0, 20);

        public long Bytes
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _bytes);
            }
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            long now = Math.Max(GC.GetTotalMemory(false), GC.GetGCMemoryInfo().HeapSizeBytes);
            long seen;
            while (now > (seen = Interlocked.Read(ref _bytes)) && Interlocked.CompareExchange(ref _bytes, now, seen) != seen)
            {
            }
        }
    }
}
