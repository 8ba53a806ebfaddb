using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MlNetMlp.Engine;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// A training and a test matrix, prepared once in float32 and shared by every trainer that is compared:
/// features <c>(rows, FeatureCount)</c> row-major, labels for classification or targets for regression.
/// </summary>
internal sealed class PreparedData
{
    public required string Name { get; init; }

    public required int FeatureCount { get; init; }

    /// <summary>Number of classes, or 0 for regression.</summary>
    public required int ClassCount { get; init; }

    public required float[] TrainFeatures { get; init; }

    public required float[] TestFeatures { get; init; }

    public int[]? TrainLabels { get; init; }

    public int[]? TestLabels { get; init; }

    public float[]? TrainTargets { get; init; }

    public float[]? TestTargets { get; init; }

    public int TrainRows => TrainFeatures.Length / FeatureCount;

    public int TestRows => TestFeatures.Length / FeatureCount;

    public bool IsRegression => ClassCount == 0;

    public MlpDataset TrainSet() => IsRegression
        ? MlpDataset.ForRegression(TrainFeatures, FeatureCount, TrainTargets!)
        : MlpDataset.ForClassification(TrainFeatures, FeatureCount, TrainLabels!, ClassCount);

    /// <summary>Accuracy for classification, R² for regression (scikit-learn's <c>score</c>).</summary>
    public double TestScore(MlpModel model)
    {
        var predictor = model.CreatePredictor();
        int outputs = model.OutputCount;
        var scores = new float[TestRows * outputs];
        predictor.ComputeScores(TestFeatures, TestRows, scores);
        if (IsRegression)
        {
            double mean = TestTargets!.Average(v => (double)v);
            double total = 0, residual = 0;
            for (int i = 0; i < TestRows; i++)
            {
                total += (TestTargets![i] - mean) * (TestTargets[i] - mean);
                residual += (TestTargets[i] - (double)scores[i]) * (TestTargets[i] - (double)scores[i]);
            }

            return 1 - (residual / total);
        }

        int correct = 0;
        for (int i = 0; i < TestRows; i++)
        {
            int predicted = model.Head.PredictClass(scores.AsSpan(i * outputs, outputs));
            correct += predicted == TestLabels![i] ? 1 : 0;
        }

        return (double)correct / TestRows;
    }

    /// <summary>Writes raw little-endian float32/int32 files and a line of JSON describing them.</summary>
    public string Export(string folder)
    {
        string prefix = Path.Combine(folder, Name);
        WriteRaw(prefix + ".train_x.f32", TrainFeatures);
        WriteRaw(prefix + ".test_x.f32", TestFeatures);
        if (IsRegression)
        {
            WriteRaw(prefix + ".train_y.f32", TrainTargets!);
            WriteRaw(prefix + ".test_y.f32", TestTargets!);
        }
        else
        {
            WriteRaw(prefix + ".train_y.i32", TrainLabels!);
            WriteRaw(prefix + ".test_y.i32", TestLabels!);
        }

        return Name;
    }

    private static void WriteRaw<T>(string path, T[] values)
        where T : unmanaged
    {
        using var stream = File.Create(path);
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }
}

/// <summary>One benchmark workload: a data set and the network and schedule trained on it.</summary>
internal sealed class Workload
{
    private readonly Func<PreparedData> _load;
    private PreparedData? _data;

    private Workload(string name, string title, int[] hidden, int batchSize, int epochs, double alpha, Func<PreparedData> load, bool tabular = false)
    {
        TabularRecipe = tabular;
        Name = name;
        Title = title;
        Hidden = hidden;
        BatchSize = batchSize;
        Epochs = epochs;
        Alpha = alpha;
        _load = load;
    }

    public string Name { get; }

    public string Title { get; }

    public int[] Hidden { get; }

    public int BatchSize { get; }

    public int Epochs { get; }

    public double Alpha { get; }

    /// <summary>
    /// Whether the network is the tabular recipe's: the features encoded piecewise-linearly (16 quantile bins, distinct
    /// values as edges) in a fixed first layer, Adam 0.002 with a cosine schedule, no L2, one network.
    /// </summary>
    public bool TabularRecipe { get; }

    public double LearningRate => TabularRecipe ? ((AdamSolver)Tabular.Solver).LearningRate : 1e-3;

    /// <summary>The tabular recipe's engine settings, which W6's encoding, learning rate and schedule follow.</summary>
    private static MlpOptions Tabular => MlpRecipes.Of(MlpRecipe.Tabular);

    public PreparedData Data => _data ??= _load();

    /// <summary>The five workloads of the comparison, by name.</summary>
    public static IReadOnlyList<Workload> All { get; } =
    [
        new("W1", "digits (128,64) b200", [128, 64], 200, 200, 1e-4, () => DataSets.Digits()),
        new("W2", "breast cancer (64,32) b200", [64, 32], 200, 500, 1e-4, () => DataSets.BreastCancer()),
        new("W3", "synthetic 200k x 100, 10 classes (256,128) b256", [256, 128], 256, 5, 1e-4, () => DataSets.SyntheticClassification()),
        new("W4", "synthetic regression 100k x 20 (100,50) b32", [100, 50], 32, 5, 1e-3, () => DataSets.SyntheticRegression()),
        new("W5", "adult one-hot (64,32) b200", [64, 32], 200, 20, 1e-4, () => DataSets.Adult()),
        new("W6", "adult one-hot, tabular recipe: encoding + (128,128) b256", [128, 128], 256, 12, 0, () => DataSets.Adult("W6"), tabular: true),
    ];

    public static Workload Get(string name) =>
        All.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown workload {name}; expected one of {string.Join(", ", All.Select(w => w.Name))}.");

    /// <summary>relu, Adam, fixed epochs: tolerance 0 and a patience above the epoch count, so nothing stops early.</summary>
    public MlpOptions Options(int epochs, int threads, int seed = 42) => new()
    {
        HiddenLayerSizes = Hidden,
        Activation = Activation.Relu,
        Solver = new AdamSolver { LearningRate = LearningRate },
        L2Regularization = Alpha,
        BatchSize = BatchSize,
        MaxEpochs = epochs,
        OptimizationTolerance = 0,
        EpochsWithoutImprovement = epochs + 1,
        Shuffle = true,
        Seed = seed,
        NumberOfThreads = threads,
        PiecewiseLinearBins = TabularRecipe ? Tabular.PiecewiseLinearBins : 0,
        PiecewiseLinearDistinctValues = TabularRecipe ? Tabular.PiecewiseLinearDistinctValues : 0,
        LearningRateDecay = TabularRecipe ? Tabular.LearningRateDecay : LearningRateDecay.None,
    };

    /// <summary>The trained parameter count of this workload's network, whose first trained layer has <paramref name="inputs"/> inputs (the features, or the tabular recipe's encoding).</summary>
    public long ParameterCount(int inputs)
    {
        int outputs = Data.IsRegression ? 1 : (Data.ClassCount == 2 ? 1 : Data.ClassCount);
        int[] sizes = [inputs, .. Hidden, outputs];
        long total = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            total += ((long)sizes[l] * sizes[l + 1]) + sizes[l + 1];
        }

        return total;
    }
}

/// <summary>Loading, splitting, encoding and standardizing the workloads' data, deterministically.</summary>
internal static class DataSets
{
    private const int Seed = 20240601;

    public static string SamplesFolder { get; set; } = FindSamples();

    public static PreparedData Digits()
    {
        (float[] x, int d, string[] labels) = ReadNumericCsv(Path.Combine(SamplesFolder, "digits.csv"), "Digit", ',');
        int[] y = labels.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return SplitClassification("W1", x, d, y, 10, testFraction: 0.25, standardize: true);
    }

    public static PreparedData BreastCancer()
    {
        (float[] x, int d, string[] labels) = ReadNumericCsv(Path.Combine(SamplesFolder, "breast_cancer.csv"), "Benign", ',');
        int[] y = labels.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return SplitClassification("W2", x, d, y, 2, testFraction: 0.2, standardize: true);
    }

    /// <summary>
    /// scikit-learn's <c>make_classification</c> recipe: 10 classes x 2 Gaussian clusters at random vertices of a
    /// 60-dimensional hypercube (side 2), each cluster with a random linear covariance <c>N(0, I) A</c>, A uniform
    /// in [-1, 1]; 2 redundant features (random combinations of the informative ones), 38 noise features,
    /// 1% of labels flipped, columns permuted. 200,000 rows, 90/10 split, standardized.
    /// </summary>
    public static PreparedData SyntheticClassification(int rows = 200_000)
    {
        const int features = 100, informative = 60, redundant = 2, classes = 10, clustersPerClass = 2;
        var random = new Rng(Seed + 3);
        int clusters = classes * clustersPerClass;
        var centroids = new float[clusters * informative];
        for (int i = 0; i < centroids.Length; i++)
        {
            centroids[i] = random.NextDouble() < 0.5 ? -1f : 1f;
        }

        var x = new float[(long)rows * features];
        var y = new int[rows];
        var z = new float[informative];
        var a = new float[informative * informative];
        var b = new float[informative * redundant];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)((2 * random.NextDouble()) - 1);
        }

        int row = 0;
        for (int c = 0; c < clusters; c++)
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)((2 * random.NextDouble()) - 1);
            }

            int count = (rows / clusters) + (c < rows % clusters ? 1 : 0);
            for (int r = 0; r < count; r++, row++)
            {
                for (int j = 0; j < informative; j++)
                {
                    z[j] = (float)random.NextGaussian();
                }

                Span<float> target = x.AsSpan(row * features, features);
                for (int j = 0; j < informative; j++)
                {
                    double sum = centroids[(c * informative) + j];
                    for (int p = 0; p < informative; p++)
                    {
                        sum += z[p] * a[(p * informative) + j];
                    }

                    target[j] = (float)sum;
                }

                for (int j = 0; j < redundant; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < informative; p++)
                    {
                        sum += target[p] * b[(p * redundant) + j];
                    }

                    target[informative + j] = (float)sum;
                }

                for (int j = informative + redundant; j < features; j++)
                {
                    target[j] = (float)random.NextGaussian();
                }

                y[row] = c % classes;
                if (random.NextDouble() < 0.01)
                {
                    y[row] = random.NextInt(classes);
                }
            }
        }

        int[] columns = Permutation(features, random);
        PermuteColumns(x, features, columns);
        (x, y) = ShuffleRows(x, features, y, random);
        return SplitClassification("W3", x, features, y, classes, testFraction: 0.1, standardize: true, stratify: false);
    }

    /// <summary>
    /// scikit-learn's <c>make_regression</c> recipe: 100,000 rows of 20 standard normal features, 10 of them
    /// informative with coefficients 100 U(0, 1), plus Gaussian noise of standard deviation 10.
    /// 90/10 split; features and target standardized with the training rows' statistics.
    /// </summary>
    public static PreparedData SyntheticRegression(int rows = 100_000)
    {
        const int features = 20, informative = 10;
        var random = new Rng(Seed + 4);
        var coefficients = new double[features];
        for (int j = 0; j < informative; j++)
        {
            coefficients[j] = 100 * random.NextDouble();
        }

        var x = new float[rows * features];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            double sum = 0;
            for (int j = 0; j < features; j++)
            {
                float v = (float)random.NextGaussian();
                x[(i * features) + j] = v;
                sum += coefficients[j] * v;
            }

            y[i] = (float)(sum + (10 * random.NextGaussian()));
        }

        PermuteColumns(x, features, Permutation(features, random));
        int test = rows / 10;
        int train = rows - test;
        var data = new PreparedData
        {
            Name = "W4",
            FeatureCount = features,
            ClassCount = 0,
            TrainFeatures = x.AsSpan(0, train * features).ToArray(),
            TestFeatures = x.AsSpan(train * features).ToArray(),
            TrainTargets = y.AsSpan(0, train).ToArray(),
            TestTargets = y.AsSpan(train).ToArray(),
        };
        Standardize(data.TrainFeatures, data.TestFeatures, features);
        Standardize(data.TrainTargets, data.TestTargets, 1);
        return data;
    }

    /// <summary>
    /// UCI adult: text columns one-hot encoded (categories in order of first appearance), numeric columns
    /// standardized with the training rows' statistics; 80/20 stratified split.
    /// </summary>
    public static PreparedData Adult(string name = "W5")
    {
        string[] lines = File.ReadAllLines(Path.Combine(SamplesFolder, "adult.txt"));
        string[] header = lines[0].Split(", ");
        string[][] cells = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(", ")).ToArray();
        int label = header.Length - 1;
        var numeric = new bool[label];
        var categories = new Dictionary<string, int>[label];
        int width = 0;
        var offsets = new int[label];
        for (int c = 0; c < label; c++)
        {
            numeric[c] = cells.All(r => double.TryParse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            offsets[c] = width;
            if (numeric[c])
            {
                width++;
                continue;
            }

            categories[c] = [];
            foreach (string[] r in cells)
            {
                categories[c].TryAdd(r[c], categories[c].Count);
            }

            width += categories[c].Count;
        }

        var x = new float[cells.Length * width];
        var y = new int[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            for (int c = 0; c < label; c++)
            {
                int at = (i * width) + offsets[c];
                if (numeric[c])
                {
                    x[at] = float.Parse(cells[i][c], CultureInfo.InvariantCulture);
                }
                else
                {
                    x[at + categories[c][cells[i][c]]] = 1f;
                }
            }

            y[i] = int.Parse(cells[i][label], CultureInfo.InvariantCulture);
        }

        PreparedData data = SplitClassification(name, x, width, y, 2, testFraction: 0.2, standardize: false);
        var numericColumns = Enumerable.Range(0, label).Where(c => numeric[c]).Select(c => offsets[c]).ToArray();
        StandardizeColumns(data.TrainFeatures, data.TestFeatures, width, numericColumns);
        return data;
    }

    private static PreparedData SplitClassification(string name, float[] x, int d, int[] y, int classes, double testFraction, bool standardize, bool stratify = true)
    {
        int n = y.Length;
        var isTest = new bool[n];
        var random = new Rng(Seed + name[^1]);
        if (stratify)
        {
            for (int c = 0; c < classes; c++)
            {
                int[] members = Enumerable.Range(0, n).Where(i => y[i] == c).ToArray();
                Shuffle(members, random);
                int take = (int)Math.Round(members.Length * testFraction);
                for (int i = 0; i < take; i++)
                {
                    isTest[members[i]] = true;
                }
            }
        }
        else
        {
            int take = (int)Math.Round(n * testFraction);
            for (int i = n - take; i < n; i++)
            {
                isTest[i] = true;
            }
        }

        int testRows = isTest.Count(t => t);
        var trainX = new float[(long)(n - testRows) * d];
        var testX = new float[(long)testRows * d];
        var trainY = new int[n - testRows];
        var testY = new int[testRows];
        int tr = 0, te = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> source = x.AsSpan(i * d, d);
            if (isTest[i])
            {
                source.CopyTo(testX.AsSpan(te * d, d));
                testY[te++] = y[i];
            }
            else
            {
                source.CopyTo(trainX.AsSpan(tr * d, d));
                trainY[tr++] = y[i];
            }
        }

        if (standardize)
        {
            Standardize(trainX, testX, d);
        }

        return new PreparedData
        {
            Name = name,
            FeatureCount = d,
            ClassCount = classes,
            TrainFeatures = trainX,
            TestFeatures = testX,
            TrainLabels = trainY,
            TestLabels = testY,
        };
    }

    /// <summary>Zero mean, unit population variance per column, with the training rows' statistics (constant columns are centred only).</summary>
    private static void Standardize(float[] train, float[] test, int d) =>
        StandardizeColumns(train, test, d, Enumerable.Range(0, d).ToArray());

    private static void StandardizeColumns(float[] train, float[] test, int d, int[] columns)
    {
        int n = train.Length / d;
        foreach (int j in columns)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++)
            {
                double v = train[(i * d) + j];
                sum += v;
                squares += v * v;
            }

            double mean = sum / n;
            double std = Math.Sqrt(Math.Max(0, (squares / n) - (mean * mean)));
            double scale = std > 1e-12 ? 1 / std : 1;
            Apply(train);
            Apply(test);

            void Apply(float[] values)
            {
                for (int i = j; i < values.Length; i += d)
                {
                    values[i] = (float)((values[i] - mean) * scale);
                }
            }
        }
    }

    private static (float[] X, int D, string[] Labels) ReadNumericCsv(string path, string labelColumn, char separator)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(separator);
        int label = Array.IndexOf(header, labelColumn);
        if (label < 0)
        {
            throw new InvalidDataException($"{path} has no column {labelColumn}.");
        }

        int d = header.Length - 1;
        string[] rows = lines.Skip(1).Where(l => l.Length > 0).ToArray();
        var x = new float[rows.Length * d];
        var labels = new string[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            string[] cells = rows[i].Split(separator);
            int j = 0;
            for (int c = 0; c < cells.Length; c++)
            {
                if (c == label)
                {
                    labels[i] = cells[c];
                }
                else
                {
                    x[(i * d) + j++] = float.Parse(cells[c], CultureInfo.InvariantCulture);
                }
            }
        }

        return (x, d, labels);
    }

    private static int[] Permutation(int n, Rng random)
    {
        int[] p = Enumerable.Range(0, n).ToArray();
        Shuffle(p, random);
        return p;
    }

    private static void PermuteColumns(float[] x, int d, int[] columns)
    {
        var row = new float[d];
        for (int i = 0; i < x.Length; i += d)
        {
            for (int j = 0; j < d; j++)
            {
                row[j] = x[i + columns[j]];
            }

            row.CopyTo(x, i);
        }
    }

    private static (float[] X, int[] Y) ShuffleRows(float[] x, int d, int[] y, Rng random)
    {
        int[] order = Permutation(y.Length, random);
        var newX = new float[x.Length];
        var newY = new int[y.Length];
        for (int i = 0; i < order.Length; i++)
        {
            x.AsSpan(order[i] * d, d).CopyTo(newX.AsSpan(i * d, d));
            newY[i] = y[order[i]];
        }

        return (newX, newY);
    }

    private static void Shuffle(int[] values, Rng random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static string FindSamples()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "digits.csv")))
            {
                return candidate;
            }
        }

        for (string? dir = Environment.CurrentDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "digits.csv")))
            {
                return candidate;
            }
        }

        return Path.Combine("samples", "data");
    }

    /// <summary>SplitMix64: a tiny generator whose sequence is fixed by the seed on every platform.</summary>
    private sealed class Rng(long seed)
    {
        private ulong _state = unchecked((ulong)seed);
        private double? _spare;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        public int NextInt(int bound) => (int)((Next() >> 33) * (ulong)bound >> 31);

        /// <summary>Standard normal by the Box-Muller transform (deterministic: no fused or library-specific math).</summary>
        public double NextGaussian()
        {
            if (_spare is double spare)
            {
                _spare = null;
                return spare;
            }

            double u1 = 1.0 - NextDouble();
            double u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = r * Math.Sin(2 * Math.PI * u2);
            return r * Math.Cos(2 * Math.PI * u2);
        }
    }
}
