using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// Our side of the side-by-side comparison (benchmarks/compare.sh): prepares each workload's data once, writes it
/// as raw float32 files for compare.py, trains our MLP on it and records time, loss, test score and memory.
/// </summary>
internal static class Comparison
{
    /// <summary>Result of one of our training runs, as written to ours.json.</summary>
    internal sealed record Result(
        string Workload,
        string Title,
        string Task,
        int TrainRows,
        int TestRows,
        int Features,
        int Classes,
        int[] Hidden,
        int BatchSize,
        int Epochs,
        double Alpha,
        double LearningRate,
        double Seconds,
        double SecondsPerEpoch,
        double SamplesPerSecond,
        double FinalLoss,
        double TestScore,
        long DataBytes,
        long StateBytes,
        long GradientBytes,
        long TrainingAllocatedBytes,
        double MemoryRatio,
        double MemoryRatioWithGradient,
        long PeakWorkingSetBytes,
        double TrainingGflops,
        double CpuSeconds,
        int EncodedWidth);

    /// <summary>Print every epoch's elapsed time and loss to stderr.</summary>
    public static bool Verbose { get; set; }

    public static int Run(string folder, IReadOnlyList<Workload> workloads, int threads, bool includeMlNet)
    {
        Directory.CreateDirectory(folder);
        var results = new List<Result>();
        foreach (Workload w in workloads)
        {
            var clock = Stopwatch.StartNew();
            PreparedData data = w.Data;
            data.Export(folder);
            Console.Error.WriteLine($"[ours] {w.Name} {w.Title}: {data.TrainRows} train / {data.TestRows} test rows x {data.FeatureCount} features, prepared in {clock.Elapsed.TotalSeconds:F1} s");
            Result r = Train(w, threads, exportFolder: folder);
            Console.Error.WriteLine($"[ours] {w.Name}: {r.SecondsPerEpoch * 1000:F2} ms/epoch, loss {r.FinalLoss:F5}, test {r.TestScore:F4}, memory ratio {r.MemoryRatio:F3}");
            results.Add(r);
        }

        List<MlNetComparison.Measurement> inference = includeMlNet ? MlNetComparison.Run() : [];
        double peak = MeasureGemmPeak(threads);
        Console.Error.WriteLine($"[ours] float32 GEMM 2048^3, {threads} thread(s): {peak:F1} GFLOP/s");
        var document = new Dictionary<string, object>
        {
            ["threads"] = threads,
            ["gemm_gflops"] = peak,
            ["cpu"] = CpuModel(),
            ["results"] = results,
            ["inference"] = inference,
        };
        File.WriteAllText(Path.Combine(folder, "ours.json"), JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Warms up (JIT) on a slice, then times one full fit of the workload.</summary>
    /// <remarks>With <paramref name="exportFolder"/>, a tabular workload's encoded rows are written there for compare.py.</remarks>
    public static Result Train(Workload w, int threads, int? epochsOverride = null, string? exportFolder = null)
    {
        PreparedData data = w.Data;
        MlpDataset train = data.TrainSet();
        Warmup(w, threads);

        int epochs = epochsOverride ?? w.Epochs;
        var trainer = new MlpTrainer(w.Options(epochs, threads));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // The allocation count brackets the fit alone (the Process objects of the CPU time are not the fit's).
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = new Stopwatch();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        clock.Start();
        MlpModel model = trainer.Fit(train, progress: Verbose ? r => Console.Error.WriteLine($"  epoch {r.Epoch}: {r.Elapsed.TotalMilliseconds:F1} ms, loss {r.Loss:F6}") : null);
        double seconds = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        double score = data.TestScore(model);

        long dataBytes = ((long)data.TrainFeatures.Length * sizeof(float)) + ((long)data.TrainRows * sizeof(int));
        // The tabular recipe trains on encoded rows (the encoding becomes a fixed layer in front afterwards); compare.py
        // gives PyTorch the same encoded rows, written here, so both train the same network on the same inputs. Our
        // time includes fitting the encoding and encoding the rows; theirs does not.
        int encodedWidth = w.TabularRecipe ? ExportEncoding(w, data, train, exportFolder) : 0;
        int trainedInputs = encodedWidth > 0 ? encodedWidth : data.FeatureCount;
        long parameters = w.ParameterCount(trainedInputs);
        // The first definition counts the model and Adam's two moments; the second also the gradient, which Adam
        // reads every step and which scikit-learn (coef_grads) and PyTorch (.grad) also keep for the whole fit.
        long stateBytes = parameters * sizeof(float) * 3;
        long gradientBytes = parameters * sizeof(float);
        double ratio = (double)(dataBytes + allocated) / (dataBytes + stateBytes);
        double ratioWithGradient = (double)(dataBytes + allocated) / (dataBytes + stateBytes + gradientBytes);
        long flops = TrainingFlops(trainedInputs, w.Hidden, model.OutputCount) * data.TrainRows * epochs;
        return new Result(
            w.Name,
            w.Title,
            data.IsRegression ? "regression" : (data.ClassCount == 2 ? "binary" : "multiclass"),
            data.TrainRows,
            data.TestRows,
            data.FeatureCount,
            data.ClassCount,
            w.Hidden,
            w.BatchSize,
            epochs,
            w.Alpha,
            w.LearningRate,
            seconds,
            seconds / epochs,
            (double)data.TrainRows * epochs / seconds,
            model.History.FinalLoss,
            score,
            dataBytes,
            stateBytes,
            gradientBytes,
            allocated,
            ratio,
            ratioWithGradient,
            Process.GetCurrentProcess().PeakWorkingSet64,
            flops / seconds / 1e9,
            cpuSeconds,
            encodedWidth);
    }

    /// <summary>
    /// The tabular recipe's piecewise-linear encoding, fitted as the trainer fits it, of the training and test rows:
    /// written as <c>NAME.encoded_train_x.f32</c> and <c>NAME.encoded_test_x.f32</c>; returns the encoded width.
    /// </summary>
    private static int ExportEncoding(Workload w, PreparedData data, MlpDataset train, string? folder)
    {
        MlpOptions options = w.Options(w.Epochs, 1);
        var encoder = PiecewiseLinearEncoder.Fit(train, options.PiecewiseLinearBins, options.PiecewiseLinearDistinctValues);
        if (folder is not null)
        {
            var test = MlpDataset.ForClassification(data.TestFeatures, data.FeatureCount, data.TestLabels!, data.ClassCount);
            foreach ((string part, MlpDataset rows) in new[] { ("train", train), ("test", test) })
            {
                using var stream = File.Create(Path.Combine(folder, $"{data.Name}.encoded_{part}_x.f32"));
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(encoder.Encode(rows).Features.AsSpan()));
            }
        }

        return encoder.Width;
    }

    /// <summary>Multiply-adds x 2 of one training row: forward, weight gradient, and input gradient except for the first layer.</summary>
    public static long TrainingFlops(int inputs, int[] hidden, int outputs)
    {
        int[] sizes = [inputs, .. hidden, outputs];
        long flops = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            long macs = (long)sizes[l] * sizes[l + 1];
            flops += 2 * macs * (l == 0 ? 2 : 3);
        }

        return flops;
    }

    /// <summary>
    /// An untimed fit of the same workload, at least one epoch and at least 40,000 rows, so that the runtime's
    /// tiered compiler has promoted every hot method to full optimization before the timed fit (as it has early
    /// in any long-running process, and as BenchmarkDotNet's warm-up does).
    /// </summary>
    private static void Warmup(Workload w, int threads)
    {
        PreparedData data = w.Data;
        int epochs = Math.Max(1, Math.Min(w.Epochs, 40_000 / data.TrainRows));
        new MlpTrainer(w.Options(epochs, threads)).Fit(data.TrainSet());
        System.Threading.Thread.Sleep(200);
    }

    /// <summary>Best of five <c>(2048, 2048) x (2048, 2048)</c> float32 products through our kernel.</summary>
    public static double MeasureGemmPeak(int threads, int size = 2048)
    {
        var a = new float[size * size];
        var b = new float[size * size];
        var bias = new float[size];
        var c = new float[size * size];
        var random = new Random(1);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextDouble();
            b[i] = (float)random.NextDouble();
        }

        double best = double.MaxValue;
        for (int repeat = 0; repeat < 5; repeat++)
        {
            var clock = Stopwatch.StartNew();
            Products.Forward(a, b, bias, c, size, size, size, threads);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return 2.0 * size * size * size / best / 1e9;
    }

    public static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return (line?.Split(':', 2)[1].Trim() ?? "unknown") + $", {Environment.ProcessorCount} logical cores";
        }
        catch (IOException)
        {
            return $"unknown, {Environment.ProcessorCount} logical cores";
        }
    }

    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
