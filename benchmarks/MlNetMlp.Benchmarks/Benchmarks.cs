using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// Short runs (1 launch, 3 warm-ups, 5 iterations) in process: the machine is small and the workloads are
/// minutes long in total; in-process also keeps BenchmarkDotNet's generated project out of the repository build.
/// </summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.ShortRun.WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// The three products of training at the workloads' layer shapes (m = batch rows, k = layer input, n = layer
/// output), against the scalar reference for the W1 shape.
/// </summary>
[Config(typeof(ShortConfig))]
public class KernelBenchmarks
{
    private float[] _a = [], _b = [], _bT = [], _bias = [], _c = [], _dout = [], _dweight = [], _dinp = [];
    private int _m, _k, _n;

    /// <summary>m x k x n.</summary>
    [Params("256x100x256", "256x256x128", "256x128x10", "200x64x128", "200x128x64", "32x20x100", "32x100x50", "200x108x64")]
    public string Shape { get; set; } = "256x100x256";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        int[] parts = Array.ConvertAll(Shape.Split('x'), int.Parse);
        (_m, _k, _n) = (parts[0], parts[1], parts[2]);
        var random = new Random(1);
        _a = Fill(random, _m * _k);
        _b = Fill(random, _k * _n);
        _bT = Products.Transposed(_b, _k, _n);
        _bias = Fill(random, _n);
        _dout = Fill(random, _m * _n);
        _c = new float[_m * _n];
        _dweight = new float[_k * _n];
        _dinp = new float[_m * _k];
    }

    [Benchmark(Description = "forward: inp·W + b")]
    public void Forward() => Products.Forward(_a, _b, _bias, _c, _m, _k, _n, Threads);

    [Benchmark(Description = "dweight += inpᵀ·dout")]
    public void WeightGradient() => Products.WeightGradient(_a, _dout, _dweight, _m, _k, _n, Threads);

    [Benchmark(Description = "dinp = dout·Wᵀ")]
    public void InputGradient() => Products.InputGradient(_dout, _bT, _dinp, _m, _n, _k, Threads);

    internal static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}

/// <summary>The scalar reference kernels at one shape, for scale.</summary>
[Config(typeof(ShortConfig))]
public class ReferenceKernelBenchmarks
{
    private const int M = 200, K = 64, N = 128;
    private readonly float[] _a = KernelBenchmarks.Fill(new Random(1), M * K);
    private readonly float[] _b = KernelBenchmarks.Fill(new Random(2), K * N);
    private readonly float[] _bias = KernelBenchmarks.Fill(new Random(3), N);
    private readonly float[] _c = new float[M * N];

    [Benchmark(Baseline = true, Description = "reference forward 200x64x128")]
    public unsafe void Reference()
    {
        fixed (float* pa = _a, pb = _b, pbias = _bias, pc = _c)
        {
            GemmReference.MultiplyAddBias(pa, K, pb, N, pbias, pc, N, M, K, N);
        }
    }

    [Benchmark(Description = "vector forward 200x64x128")]
    public void Vector() => Products.Forward(_a, _b, _bias, _c, M, K, N, 1);
}

/// <summary>One epoch of each workload (a one-epoch fit on the prepared training rows), and the optimizer step alone.</summary>
[Config(typeof(ShortConfig))]
public class EpochBenchmarks
{
    private MlpDataset? _train;
    private MlpTrainer? _trainer;

    [Params("W1", "W2", "W3", "W4", "W5")]
    public string Name { get; set; } = "W1";

    [Params(1, 2)]
    public int Threads { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        Workload workload = Workload.Get(Name);
        _train = workload.Data.TrainSet();
        _trainer = new MlpTrainer(workload.Options(epochs: 1, Threads));
    }

    [Benchmark(Description = "one epoch")]
    public MlpModel Epoch() => _trainer!.Fit(_train!);
}

/// <summary>Scoring with the W1 network (64-128-64-10): one row at a time, and the whole test block.</summary>
[Config(typeof(ShortConfig))]
public class PredictionBenchmarks
{
    private MlpPredictor? _predictor;
    private float[] _row = [];
    private float[] _block = [];
    private float[] _scores = [];
    private float[] _blockScores = [];
    private int _rows;

    [GlobalSetup]
    public void Setup()
    {
        Workload w = Workload.Get("W1");
        MlpModel model = new MlpTrainer(w.Options(epochs: 5, threads: 1)).Fit(w.Data.TrainSet());
        _predictor = model.CreatePredictor();
        _rows = w.Data.TestRows;
        _block = w.Data.TestFeatures;
        _row = _block.AsSpan(0, w.Data.FeatureCount).ToArray();
        _scores = new float[model.OutputCount];
        _blockScores = new float[_rows * model.OutputCount];
    }

    [Benchmark(Description = "one row, raw scores")]
    public void SingleRow() => _predictor!.ComputeScores(_row, _scores);

    [Benchmark(Description = "one row, class")]
    public int SingleRowClass() => _predictor!.PredictClass(_row);

    [Benchmark(Description = "450 rows as one block")]
    public void Block() => _predictor!.ComputeScores(_block, _rows, _blockScores);

    [Benchmark(Description = "450 rows as one block, two threads")]
    public void BlockTwoThreads() => _predictor!.ComputeScores(_block, _rows, _blockScores, threads: 2);
}
