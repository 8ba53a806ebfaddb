// An AutoML-style leaderboard: the MLP against the in-box binary trainers a user would try (logistic regression by
// L-BFGS, SDCA and SGD; averaged perceptron; linear SVM; FastTree, FastForest and LightGBM trees) on the same 5
// cross-validation folds of two data sets, a small numeric one (breast cancer) and a larger mixed one (census
// income). Prints each trainer's mean and standard deviation of AUC, accuracy and F1 over the folds, with its fit
// time per fold next to the AUC.
//
//   dotnet run -c Release --project samples/Leaderboard
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;
using MlNetMlp.SampleSupport;
using Spectre.Console;

SampleConsole.Configure();
var clock = Stopwatch.StartNew();
const int Seed = 1;      // the MLContext and the MLPs
const int FoldSeed = 42; // the one split into folds that every trainer shares
const int Folds = 5;

Board[] boards =
[
    new(
        "Breast cancer (569 rows, 30 numeric features)",
        SampleData.BreastCancer,
        ml => ml.Transforms.NormalizeMeanVariance("Features", fixZero: false),
        EarlyStopping: false),
    new(
        "Census income (32,561 rows, 6 numeric + 8 categorical columns)",
        SampleData.Adult,
        SampleData.AdultFeaturizer,
        EarlyStopping: true),
];

foreach (Board board in boards)
{
    var mlContext = new MLContext(Seed);
    IDataView data = board.Load(mlContext);

    // One split into folds, shared by every trainer: each trainer sees exactly the same training and test rows.
    IReadOnlyList<DataOperationsCatalog.TrainTestData> folds = mlContext.Data.CrossValidationSplit(data, numberOfFolds: Folds, seed: FoldSeed);
    Console.WriteLine($"{board.Title}: {Folds}-fold cross-validation, fold seed {FoldSeed}");

    // Every trainer gets the same featurization (fitted per fold, on that fold's training rows). Trees do not need
    // standardized inputs, but it does not hurt them, and it keeps the comparison about the trainers alone.
    (string Name, Func<IEstimator<ITransformer>> Trainer)[] trainers =
    [
        ("MLP (64, 32), Adam" + (board.EarlyStopping ? ", early stopping" : string.Empty), () => mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [64, 32],
            Solver = new AdamSolver { LearningRate = 1e-3 },
            MaximumNumberOfIterations = 200,
            EarlyStopping = board.EarlyStopping,
            Seed = Seed,
        })),
        ("MLP (64, 32), L-BFGS", () => mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [64, 32],
            Solver = new LbfgsSolver(),
            L2Regularization = 1,
            MaximumNumberOfIterations = 200,
            Seed = Seed,
        })),
        ("LbfgsLogisticRegression", () => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()),
        ("SdcaLogisticRegression", () => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression()),
        ("SgdCalibrated", () => mlContext.BinaryClassification.Trainers.SgdCalibrated()),
        ("AveragedPerceptron", () => mlContext.BinaryClassification.Trainers.AveragedPerceptron()),
        ("LinearSvm", () => mlContext.BinaryClassification.Trainers.LinearSvm()),
        ("FastTree", () => mlContext.BinaryClassification.Trainers.FastTree()),
        ("FastForest", () => mlContext.BinaryClassification.Trainers.FastForest()),
        ("LightGbm", () => mlContext.BinaryClassification.Trainers.LightGbm()),
    ];

    var entries = new List<Entry>();
    foreach ((string name, Func<IEstimator<ITransformer>> trainer) in trainers)
    {
        var scores = new List<BinaryClassificationMetrics>();
        var times = new List<double>();
        for (int f = 0; f < folds.Count; f++)
        {
            var pipeline = board.Featurize(mlContext).Append(trainer());
            var fitClock = Stopwatch.StartNew();
            ITransformer model = pipeline.Fit(folds[f].TrainSet);
            times.Add(fitClock.Elapsed.TotalSeconds);
            // The non-calibrated evaluator, because the perceptron and the SVM give scores but no probabilities.
            scores.Add(mlContext.BinaryClassification.EvaluateNonCalibrated(model.Transform(folds[f].TestSet)));
        }

        var entry = new Entry(name, Summary.Of(scores.Select(s => s.AreaUnderRocCurve)), Summary.Of(scores.Select(s => s.Accuracy)), Summary.Of(scores.Select(s => s.F1Score)), times.Average(), times.Sum());
        entries.Add(entry);
        Console.WriteLine($"  {name}: AUC {entry.Auc}, accuracy {entry.Accuracy} ({entry.TotalSeconds:F1} s for {Folds} folds)");
    }

    Console.WriteLine();
    Console.WriteLine("Leaderboard, ranked by mean AUC (mean ± standard deviation over the folds; fit time per fold, featurization included):");
    var table = new Table().AddColumns("rank", "trainer", "AUC", "fit time per fold", "accuracy", "F1");
    int rank = 0;
    foreach (Entry e in entries.OrderByDescending(e => e.Auc.Mean))
    {
        table.AddRow($"{++rank}", e.Name, $"{e.Auc}", $"{e.SecondsPerFold:F2} s", $"{e.Accuracy}", $"{e.F1}");
    }

    AnsiConsole.Write(table);
    Console.WriteLine();
}

Console.WriteLine("Differences smaller than about one standard deviation are within the noise of the folds. L-BFGS takes full-batch");
Console.WriteLine("steps and suits small data sets (as scikit-learn advises); on census its 200 iterations overfit, since the L2");
Console.WriteLine("penalty is divided by the batch size, here all ~26,000 training rows.");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

/// <summary>A data set on the leaderboard: its loader, its featurization, and whether the MLP uses early stopping.</summary>
internal sealed record Board(string Title, Func<MLContext, IDataView> Load, Func<MLContext, IEstimator<ITransformer>> Featurize, bool EarlyStopping);

/// <summary>One trainer's cross-validated scores and training time.</summary>
internal sealed record Entry(string Name, Summary Auc, Summary Accuracy, Summary F1, double SecondsPerFold, double TotalSeconds);

/// <summary>The mean and sample standard deviation of a metric over the folds.</summary>
internal sealed record Summary(double Mean, double StandardDeviation)
{
    public static Summary Of(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        return new Summary(mean, Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F4} ± {StandardDeviation:F4}");
}
