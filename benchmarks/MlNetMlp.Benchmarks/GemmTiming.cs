using System;
using System.Collections.Generic;
using System.Linq;
using System.Diagnostics;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Benchmarks;

/// <summary>Quick GFLOP/s of the three products at the workloads' shapes (<c>dotnet run -c Release -- gemm</c>).</summary>
internal static class GemmTiming
{
    /// <summary>Shapes to time instead of the defaults (m x k x n).</summary>
    public static (int, int, int)[]? Shapes { get; set; }

    /// <summary>Thread counts to time.</summary>
    public static int[] Threads { get; set; } = [1, 2];

    public static int Run()
    {
        Measure(print: false);
        Measure(print: true);
        return 0;
    }

    private static void Measure(bool print)
    {
        foreach ((int m, int k, int n) in Shapes ?? new[] { (8, 100, 32), (16, 100, 32), (64, 100, 64), (256, 100, 256), (256, 256, 128), (256, 128, 10), (200, 64, 128), (200, 128, 64), (32, 20, 100), (32, 100, 50), (200, 108, 64), (2048, 2048, 2048) })
        {
            foreach (int threads in Threads)
            {
                var random = new Random(1);
                float[] a = Fill(random, m * k), b = Fill(random, k * n), bias = Fill(random, n), c = new float[m * n], dout = Fill(random, m * n), dw = new float[k * n], dinp = new float[m * k];
                double flops = 2.0 * m * k * n;
                float[] bT = Products.Transposed(b, k, n);
                double f = Time(() => Products.Forward(a, b, bias, c, m, k, n, threads), flops);
                double w = Time(() => Products.WeightGradient(a, dout, dw, m, k, n, threads), flops);
                double d = Time(() => Products.InputGradient(dout, bT, dinp, m, n, k, threads), flops);
                if (print) Console.WriteLine($"m={m,5} k={k,5} n={n,5} threads={threads}: forward {f,6:F1}  dweight {w,6:F1}  dinp {d,6:F1} GFLOP/s");
            }
        }
    }

    private static double Time(Action action, double flops)
    {
        action();
        int repeats = Math.Max(3, (int)(2e8 / flops));
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < repeats; i++)
            {
                action();
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / repeats);
        }

        return flops / best / 1e9;
    }

    private static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}

/// <summary>
/// Microseconds per mini-batch of each workload (loss and gradient, then the Adam step), one and two threads
/// interleaved in short rounds so that both see the same machine: min and median of the rounds (<c>-- batch W1,W3</c>).
/// </summary>
internal static class BatchTiming
{

    public static int Run(string[] names)
    {
        foreach (string name in names)
        {
            Workload w = Workload.Get(name);
            PreparedData data = w.Data;
            MlNetMlp.Engine.MlpDataset train = data.TrainSet();
            int outputs = data.IsRegression ? 1 : (data.ClassCount == 2 ? 1 : data.ClassCount);
            var layout = new MlNetMlp.Engine.ParameterLayout([data.FeatureCount, .. w.Hidden, outputs]);
            var activation = new MlNetMlp.Engine.HiddenActivation(MlNetMlp.Activation.Relu, 0.01f, 1f);
            // Chunks of a mini-batch as the trainer cuts them (all of it, unless the data set is small).
            int chunk = MlNetMlp.Engine.MlpTrainer.ChunkRows(w.Options(1, 1), train, layout, Math.Min(w.BatchSize, data.TrainRows));
            var backprops = new[] { new MlNetMlp.Engine.Backprop(layout, activation, chunk, 1), new MlNetMlp.Engine.Backprop(layout, activation, chunk, 2) };
            var parameters = new float[layout.Count];
            var random = new Random(3);
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i] = (float)((random.NextDouble() - 0.5) * 0.2);
            }

            var gradient = new float[layout.Count];
            var m = new float[layout.Count];
            var v = new float[layout.Count];
            int[] rows = new int[w.BatchSize];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = random.Next(data.TrainRows);
            }

            int repeats = Math.Max(10, (int)(2e7 / (Comparison.TrainingFlops(data.FeatureCount, w.Hidden, outputs) * (double)w.BatchSize / 1e3)));
            var times = new[] { new List<double>(), new List<double>() };
            var adam = new List<double>();
            for (int round = 0; round < 30; round++)
            {
                for (int t = 0; t < 2; t++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < repeats; i++)
                    {
                        backprops[t].LossAndGradient(parameters, train, rows, w.Alpha, gradient);
                    }

                    times[t].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / repeats);
                }

                long s2 = Stopwatch.GetTimestamp();
                for (int i = 0; i < repeats; i++)
                {
                    MlNetMlp.Engine.AdamOptimizer.AdamStep(parameters, gradient, m, v, 0.9, 0.999, 0f, 1e-8f);
                }

                adam.Add(Stopwatch.GetElapsedTime(s2).TotalMicroseconds / repeats);
            }

            long macs = Comparison.TrainingFlops(data.FeatureCount, w.Hidden, outputs) / 2 * w.BatchSize;
            string Describe(List<double> l)
            {
                l.Sort();
                return $"min {l[0],8:F2} us ({2.0 * macs / l[0] / 1e3,6:F1} GFLOP/s) median {l[l.Count / 2],8:F2}";
            }

            // The same loop as a training epoch: consecutive batches of a shuffled order, each followed by a real Adam step.
            int[] order = Enumerable.Range(0, data.TrainRows).ToArray();
            new Random(5).Shuffle(order);
            foreach (int t in new[] { 0, 1 })
            {
                var p2 = (float[])parameters.Clone();
                Array.Clear(m);
                Array.Clear(v);
                var epochTimes = new List<double>();
                for (int e = 0; e < 20; e++)
                {
                    long start = Stopwatch.GetTimestamp();
                    int batches = 0;
                    for (int b = 0; b < order.Length; b += w.BatchSize, batches++)
                    {
                        var batch = order.AsSpan(b, Math.Min(w.BatchSize, order.Length - b));
                        backprops[t].LossAndGradient(p2, train, batch, w.Alpha, gradient);
                        MlNetMlp.Engine.AdamOptimizer.AdamStep(p2, gradient, m, v, 0.9, 0.999, 1e-3f, 1e-8f);
                    }

                    epochTimes.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / batches);
                }

                epochTimes.Sort();
                Console.WriteLine($"  epoch loop, {t + 1} thread(s): min {epochTimes[0]:F1} median {epochTimes[epochTimes.Count / 2]:F1} us per batch incl. Adam");
            }

            adam.Sort();
            Console.WriteLine($"{name} (chunks of {chunk} rows): 1 thread {Describe(times[0])} | 2 threads {Describe(times[1])} | adam min {adam[0]:F2} median {adam[adam.Count / 2]:F2} us ({layout.Count} parameters)");
        }

        return 0;
    }
}
