// The leaderboard of issue 13: on each shared data set, ML.NET's CrossValidationSplit(data, 5, seed: 42) gives the
// folds, the same for every trainer; each in-box trainer runs at its defaults (LightGbm, FastTree, the linear
// trainers), our catalog entry point runs with nothing but the context (the tabular recipe), and our scikit-learn
// recipe runs as scikit-learn users would (standardized features; for regression, the raw label, as the issue asks).
// Prints the mean and sample standard deviation over the folds of AUC (binary), micro accuracy (multiclass) or R²
// (regression, raw labels) and the fit time per fold (featurization included), and ranks the trainers.
//
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --data adult,housing --trainers LightGbm,MLP
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --ablation        (the recipe with each part removed)
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --ablation --seeds 1,2,3 --trainers "recipe,- label smoothing"   (paired: the same seeds for each variant)
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --external DIR    (data sets this repository does not hold: external/export.R)
//   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --mlp "MaximumNumberOfIterations=32;HiddenLayerSizes=128x128" --folds 2
//
// Trainers that need normalized features (the linear ones, the scikit-learn recipe) get NormalizeMeanVariance
// (fixZero: false) after the shared featurization; the trees and the tabular recipe get the raw features.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;
using MlNetMlp.SampleSupport;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const int Seed = 42;
const int Folds = 5;

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

string[]? onlyData = Arg("--data")?.Split(',');
string[]? onlyTrainers = Arg("--trainers")?.Split(',');
bool ablation = args.Contains("--ablation");
string? mlpSettings = Arg("--mlp");
string? external = Arg("--external");
int foldsRun = int.Parse(Arg("--folds") ?? Folds.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
// With --seeds, every MLP variant of --ablation or --mlp runs once per seed (its Seed option set), so variants are
// compared on the same seeds; the score is then over seeds × folds.
int[]? seeds = Arg("--seeds")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

DataSet[] dataSets =
[
    new("adult", Task.Binary, SampleData.Adult, ml => SampleData.AdultFeaturizer(ml, standardize: false)),
    new("breast cancer", Task.Binary, SampleData.BreastCancer, _ => new EstimatorChain<ITransformer>()),
    new("titanic", Task.Binary, SampleData.Titanic, SampleData.TitanicFeaturizer),
    new("digits", Task.Multiclass, SampleData.Digits, ml => ml.Transforms.Conversion.MapValueToKey("Label", "Digit")),
    new("wine", Task.Multiclass, SampleData.Wine, ml => ml.Transforms.Conversion.MapValueToKey("Label", "Cultivar")),
    new("iris", Task.Multiclass, SampleData.Iris, ml => ml.Transforms.Conversion.MapValueToKey("Label", "Species")),
    new("housing", Task.Regression, SampleData.Housing, _ => new EstimatorChain<ITransformer>()),
    new("diabetes", Task.Regression, SampleData.Diabetes, _ => new EstimatorChain<ITransformer>()),
];
if (external is not null)
{
    dataSets = ExternalData.Read(external);
}

var results = new List<(string Data, Task Task, Entry Entry)>();
var clock = Stopwatch.StartNew();
foreach (DataSet set in dataSets.Where(d => onlyData is null || onlyData.Contains(d.Name)))
{
    var ml = new MLContext(Seed);
    IDataView data = set.Load(ml);
    IReadOnlyList<DataOperationsCatalog.TrainTestData> folds = ml.Data.CrossValidationSplit(data, numberOfFolds: Folds, seed: Seed);
    string metric = set.Task switch { Task.Binary => "AUC", Task.Multiclass => "micro accuracy", _ => "R²" };
    Console.WriteLine($"{set.Name}: {Folds}-fold cross-validation (seed {Seed}), {metric}");
    foreach (Contender contender in Contenders(ml, set.Task).Where(c => onlyTrainers is null || onlyTrainers.Contains(c.Name)))
    {
        var scores = new List<double>();
        var times = new List<double>();
        foreach (int? seed in contender.Seeded is null || seeds is null ? [null] : seeds.Select(s => (int?)s))
        foreach (DataOperationsCatalog.TrainTestData fold in folds.Take(foldsRun))
        {
            IEstimator<ITransformer> pipeline = set.Featurize(ml);
            if (contender.Normalize)
            {
                pipeline = pipeline.Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false));
            }

            pipeline = pipeline.Append(seed is int s ? contender.Seeded!(s) : contender.Trainer());
            var fitClock = Stopwatch.StartNew();
            ITransformer model = pipeline.Fit(fold.TrainSet);
            times.Add(fitClock.Elapsed.TotalSeconds);
            IDataView scored = model.Transform(fold.TestSet);
            scores.Add(set.Task switch
            {
                Task.Binary => ml.BinaryClassification.EvaluateNonCalibrated(scored).AreaUnderRocCurve,
                Task.Multiclass => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
                _ => ml.Regression.Evaluate(scored).RSquared,
            });
        }

        var entry = new Entry(contender.Name, Summary.Of(scores), times.Average());
        results.Add((set.Name, set.Task, entry));
        Console.WriteLine($"  {entry.Name,-28} {entry.Score}   fit {entry.SecondsPerFold,7:F3} s/fold");
    }

    Console.WriteLine();
}

Console.WriteLine($"Leaderboard (mean ± sample standard deviation over the {(seeds is null ? "5 folds" : $"5 folds × {seeds.Length} seeds of the MLP variants")}; fit time per fold, featurization included):");
Console.WriteLine();
Console.WriteLine("| data | metric | trainer | score | fit s/fold | rank |");
Console.WriteLine("|---|---|---|---:|---:|---:|");
foreach (var group in results.GroupBy(r => r.Data))
{
    int rank = 0;
    foreach (var r in group.OrderByDescending(r => r.Entry.Score.Mean))
    {
        string metric = r.Task switch { Task.Binary => "AUC", Task.Multiclass => "accuracy", _ => "R²" };
        Console.WriteLine($"| {r.Data} | {metric} | {r.Entry.Name} | {r.Entry.Score} | {r.Entry.SecondsPerFold:F3} | {++rank} |");
    }
}

// Issue 13's target: the tabular recipe at least as good as the best of LightGbm and FastTree, or within 0.005
// (AUC, accuracy) or 0.01 (R²) of it.
var targets = results.GroupBy(r => r.Data).Select(g =>
{
    Entry? tabular = g.FirstOrDefault(r => r.Entry.Name == "MLP (tabular recipe)").Entry;
    Entry? tree = g.Where(r => r.Entry.Name.StartsWith("LightGbm", StringComparison.Ordinal) || r.Entry.Name.StartsWith("FastTree", StringComparison.Ordinal))
        .Select(r => r.Entry).OrderByDescending(e => e.Score.Mean).FirstOrDefault();
    return (Data: g.Key, g.First().Task, Tabular: tabular, Tree: tree);
}).Where(t => t.Tabular is not null && t.Tree is not null).ToList();
if (targets.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("| data | tabular recipe | best tree | difference | fit time, tabular / LightGbm |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    int atLeast = 0, within = 0;
    foreach (var t in targets)
    {
        double difference = t.Tabular!.Score.Mean - t.Tree!.Score.Mean;
        double margin = t.Task == Task.Regression ? 0.01 : 0.005;
        atLeast += difference >= 0 ? 1 : 0;
        within += difference < 0 && difference >= -margin ? 1 : 0;
        Entry? lightGbm = results.FirstOrDefault(r => r.Data == t.Data && r.Entry.Name == "LightGbm").Entry;
        string ratio = lightGbm is null ? "" : $"{t.Tabular.SecondsPerFold / lightGbm.SecondsPerFold:F1}x";
        Console.WriteLine($"| {t.Data} | {t.Tabular.Score.Mean:F4} | {t.Tree.Score.Mean:F4} ({t.Tree.Name}) | {difference:+0.0000;-0.0000} | {ratio} |");
    }

    Console.WriteLine();
    Console.WriteLine($"Tabular recipe at least as good as the best tree on {atLeast} of {targets.Count}, within 0.005 (AUC, accuracy) or 0.01 (R²) on {within}, further behind on {targets.Count - atLeast - within}.");
}

Console.WriteLine();
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F0} s.");

IEnumerable<Contender> Contenders(MLContext ml, Task task)
{
    if (ablation || mlpSettings is not null)
    {
        foreach ((string name, string settings) in ablation ? Ablations() : [("MLP " + mlpSettings, mlpSettings!)])
        {
            yield return new(name, false, () => Mlp(ml, task, settings), s => Mlp(ml, task, $"Seed={s};{settings}"));
        }

        yield break;
    }

    switch (task)
    {
        case Task.Binary:
            yield return new("LightGbm", false, () => ml.BinaryClassification.Trainers.LightGbm());
            yield return new("FastTree", false, () => ml.BinaryClassification.Trainers.FastTree());
            yield return new("LbfgsLogisticRegression", true, () => ml.BinaryClassification.Trainers.LbfgsLogisticRegression());
            yield return new("MLP (tabular recipe)", false, () => ml.BinaryClassification.Trainers.Mlp(ml));
            yield return new("MLP (scikit-learn recipe)", true, () => ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn }));
            break;
        case Task.Multiclass:
            yield return new("LightGbm", false, () => ml.MulticlassClassification.Trainers.LightGbm());
            yield return new("FastTree (one-vs-all)", false, () => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree()));
            yield return new("LbfgsMaximumEntropy", true, () => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
            yield return new("MLP (tabular recipe)", false, () => ml.MulticlassClassification.Trainers.Mlp(ml));
            yield return new("MLP (scikit-learn recipe)", true, () => ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn }));
            break;
        default:
            yield return new("LightGbm", false, () => ml.Regression.Trainers.LightGbm());
            yield return new("FastTree", false, () => ml.Regression.Trainers.FastTree());
            yield return new("Sdca", true, () => ml.Regression.Trainers.Sdca());
            yield return new("MLP (tabular recipe)", false, () => ml.Regression.Trainers.Mlp(ml));
            yield return new("MLP (scikit-learn recipe)", true, () => ml.Regression.Trainers.Mlp(ml, new MlpRegressionTrainer.Options { Recipe = MlpRecipe.ScikitLearn }));
            break;
    }
}

// The tabular recipe with one part taken out (or changed) at a time.
static (string, string)[] Ablations() =>
[
    ("recipe", string.Empty),
    ("- distinct-value edges", "PiecewiseLinearDistinctValues=0"),
    ("- encoding (robust scaling)", "PiecewiseLinearBins=0"),
    ("- encoding and scaling", "PiecewiseLinearBins=0;InputScaling=None"),
    ("- target standardization", "StandardizeTargets=false"),
    ("- cosine decay", "LearningRateDecay=None"),
    ("- early stopping", "EarlyStopping=false"),
    ("stop on score, not loss", "EarlyStoppingMetric=Score"),
    ("batch 200, not automatic", "BatchSize=200"),
    ("64 epochs, not automatic", "MaximumNumberOfIterations=64"),
    ("one layer of 100", "HiddenLayerSizes=100"),
    ("learning rate 0.001", "LearningRate=0.001"),
    ("+ weight decay 0.01", "WeightDecay=0.01"),
    ("+ warm-up 5%", "WarmupFraction=0.05"),
    ("- label smoothing", "LabelSmoothing=0"),
    ("label smoothing 0.1", "LabelSmoothing=0.1"),
    ("+ dropout 0.15", "Dropout=0.15"),
];

// The catalog's options with "Name=value;..." overrides, set by reflection (LearningRate sets Adam's).
static IEstimator<ITransformer> Mlp(MLContext ml, Task task, string settings)
{
    MlpTrainerOptions options = task switch
    {
        Task.Binary => new MlpBinaryTrainer.Options(),
        Task.Multiclass => new MlpMulticlassTrainer.Options(),
        _ => new MlpRegressionTrainer.Options(),
    };
    foreach (string setting in settings.Split(';', StringSplitOptions.RemoveEmptyEntries))
    {
        string[] pair = setting.Split('=', 2);
        if (pair[0] == "LearningRate")
        {
            options.Solver = new AdamSolver { LearningRate = double.Parse(pair[1], CultureInfo.InvariantCulture) };
            continue;
        }

        PropertyInfo property = options.GetType().GetProperty(pair[0]) ?? throw new ArgumentException($"No option '{pair[0]}'.");
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        object value = type == typeof(int[]) ? pair[1].Split('x', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()
            : type.IsEnum ? Enum.Parse(type, pair[1])
            : Convert.ChangeType(pair[1], type, CultureInfo.InvariantCulture);
        property.SetValue(options, value);
    }

    return options switch
    {
        MlpBinaryTrainer.Options b => ml.BinaryClassification.Trainers.Mlp(ml, b),
        MlpMulticlassTrainer.Options m => ml.MulticlassClassification.Trainers.Mlp(ml, m),
        MlpRegressionTrainer.Options r => ml.Regression.Trainers.Mlp(ml, r),
        _ => throw new InvalidOperationException(),
    };
}

internal enum Task
{
    Binary,
    Multiclass,
    Regression,
}

/// <summary>A data set: its loader and the featurization every trainer shares ("Features" and "Label" out).</summary>
internal sealed record DataSet(string Name, Task Task, Func<MLContext, IDataView> Load, Func<MLContext, IEstimator<ITransformer>> Featurize);

/// <summary>A trainer on the board, and whether it gets standardized features.</summary>
internal sealed record Contender(string Name, bool Normalize, Func<IEstimator<ITransformer>> Trainer, Func<int, IEstimator<ITransformer>>? Seeded = null);

internal sealed record Entry(string Name, Summary Score, double SecondsPerFold);

/// <summary>The mean and sample standard deviation of a metric over the folds.</summary>
internal sealed record Summary(double Mean, double StandardDeviation)
{
    public static Summary Of(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        return new Summary(mean, v.Length < 2 ? 0 : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F4} ± {StandardDeviation:F4}");
}
