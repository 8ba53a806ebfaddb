using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Running;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// Entry point. Without a command it runs BenchmarkDotNet (pass <c>--filter '*'</c> or a class name):
/// <code>
///   dotnet run -c Release -- --filter '*Kernel*'
///   dotnet run -c Release -- compare --out DIR [--workloads W1,W3] [--threads 2]   (used by compare.sh)
///   dotnet run -c Release -- time [--workloads W1,W3] [--epochs N] [--threads 2]   (quick timing of our trainer)
///   dotnet run -c Release -- time ... --verbose 1                                    (also every epoch's time)
///   dotnet run -c Release -- batch W1,W3                                            (µs per mini-batch, 1 vs 2 threads, interleaved)
///   dotnet run -c Release -- gemm ["256x100x256;..."]                                (GFLOP/s of the three products)
///   dotnet run -c Release -- mlnet                                                   (PredictionEngine latency, Transform throughput)
///   dotnet run -c Release -- onnx                                                    (the exported model in ONNX Runtime next to ours)
///   dotnet run -c Release -- stream [--gb 4] [--compressed 1] [--dir DIR] [--keep 1] [--verbose 1]   (one streamed epoch over a W3-shaped .idv under a 1 GiB heap)
/// </code>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 1 && args[0] == "batch")
        {
            return BatchTiming.Run(args[1].Split(','));
        }

        if (args.Length > 0 && args[0] == "mlnet")
        {
            MlNetComparison.Run();
            return 0;
        }

        if (args.Length > 0 && args[0] == "stream")
        {
            return StreamingBenchmark.Run(ParseOptions(args.Skip(1).ToArray()));
        }

        if (args.Length > 4 && args[0] == "stream-child")
        {
            return StreamingBenchmark.Child(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args[3] == "1", args[4] == "1");
        }

        if (args.Length > 0 && args[0] == "onnx")
        {
            return OnnxComparison.Run();
        }

        if (args.Length > 0 && args[0] == "gemm")
        {
            if (args.Length > 1)
            {
                GemmTiming.Shapes = args[1].Split(';').Select(t => t.Split('x').Select(int.Parse).ToArray()).Select(a => (a[0], a[1], a[2])).ToArray();
                GemmTiming.Threads = [1];
            }

            return GemmTiming.Run();
        }

        if (args.Length > 0 && args[0] is "compare" or "time")
        {
            var options = ParseOptions(args.Skip(1).ToArray());
            IReadOnlyList<Workload> workloads = options.TryGetValue("workloads", out string? names)
                ? names.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Workload.Get).ToList()
                : Workload.All;
            int threads = options.TryGetValue("threads", out string? t) ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
            if (args[0] == "compare")
            {
                if (!options.TryGetValue("out", out string? folder))
                {
                    Console.Error.WriteLine("compare needs --out FOLDER");
                    return 2;
                }

                return Comparison.Run(folder, workloads, threads, includeMlNet: !options.ContainsKey("skip-mlnet"));
            }

            Comparison.Verbose = options.ContainsKey("verbose");
            int? epochs = options.TryGetValue("epochs", out string? e) ? int.Parse(e, System.Globalization.CultureInfo.InvariantCulture) : null;
            foreach (Workload w in workloads)
            {
                Comparison.Result r = Comparison.Train(w, threads, epochs);
                Console.WriteLine($"{w.Name,-3} {r.SecondsPerEpoch * 1000,10:F3} ms/epoch (cpu {r.CpuSeconds / r.Epochs * 1000,9:F3}) {r.SamplesPerSecond,12:N0} rows/s {r.TrainingGflops,7:F1} GFLOP/s  loss {r.FinalLoss:F6}  test {r.TestScore:F4}  mem {r.MemoryRatio:F3} (with gradient {r.MemoryRatioWithGradient:F3})  alloc {r.TrainingAllocatedBytes / 1024.0:N0} KiB");
            }

            return 0;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value, got {args[i]}.");
            }

            options[args[i][2..]] = args[i + 1];
        }

        return options;
    }
}
