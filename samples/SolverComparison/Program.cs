// Solvers and hyper-parameters on the breast cancer data: Adam, SGD with Nesterov momentum and L-BFGS trained on
// the same split (loss curves in one picture, test metrics in a table), then a grid search over hidden sizes, L2
// penalty and learning rate scored by ML.NET's 5-fold cross-validation on the training part, and the winner
// checked once on the held-out test part.
//
//   dotnet run -c Release --project samples/SolverComparison
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;
using MlNetMlp.SampleSupport;
using Spectre.Console;

SampleConsole.Configure();
var clock = Stopwatch.StartNew();
const int Seed = 1;
const int Folds = 5;
string outputDirectory = SamplePaths.OutputDirectory("solver-comparison");
var mlContext = new MLContext(Seed);

IDataView data = SampleData.BreastCancer(mlContext);
DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: Seed);
Console.WriteLine($"Breast cancer: {DataViews.CountRows(split.TrainSet)} training rows, {DataViews.CountRows(split.TestSet)} test rows (split seed {Seed}).");

// Part 1: three solvers, same network (64, 32), same split, same seed, at most 200 epochs (L-BFGS: iterations).
Console.WriteLine();
Console.WriteLine("Part 1: solvers on MLP (64, 32), L2 0.0001, at most 200 epochs or iterations");
(string Name, MlpSolver Solver)[] solvers =
[
    ("Adam, learning rate 0.001", new AdamSolver { LearningRate = 1e-3 }),
    ("SGD, learning rate 0.01, Nesterov momentum 0.9", new SgdSolver { LearningRate = 1e-2, Momentum = 0.9, Nesterov = true }),
    ("SGD, learning rate 0.001, Nesterov momentum 0.9", new SgdSolver { LearningRate = 1e-3, Momentum = 0.9, Nesterov = true }),
    ("L-BFGS", new LbfgsSolver()),
];
var solverTable = new Table().AddColumns("solver", "epochs", "final loss", "train time", "test accuracy", "test AUC", "stopped because");
var curves = new List<(string, IReadOnlyList<double>)>();
foreach ((string name, MlpSolver solver) in solvers)
{
    var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
        .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [64, 32],
            Solver = solver,
            L2Regularization = 1e-4,
            MaximumNumberOfIterations = 200,
            Seed = Seed,
        }));
    var trainClock = Stopwatch.StartNew();
    var model = pipeline.Fit(split.TrainSet);
    trainClock.Stop();
    MlpModelParameters network = model.LastTransformer.Model;
    CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(model.Transform(split.TestSet));
    solverTable.AddRow(name, $"{network.EpochsRun}", $"{network.LossCurve[^1]:F5}", $"{trainClock.Elapsed.TotalSeconds:F2} s", $"{metrics.Accuracy:F4}", $"{metrics.AreaUnderRocCurve:F4}", Markup.Escape(network.Network.History.StopMessage));
    curves.Add((name, network.LossCurve));
}

AnsiConsole.Write(solverTable);
var lossPlot = Charts.TrainingCurves("Breast cancer: training loss of MLP (64, 32) by solver", "log-loss + L2 penalty, nats per row", curves);
lossPlot.XLabel("epoch (L-BFGS: iteration)", size: 14);
foreach (string path in Charts.Save(lossPlot, Path.Combine(outputDirectory, "loss-curves-by-solver"), 800, 600))
{
    Console.WriteLine($"Wrote {SamplePaths.Display(path)}");
}

// Part 2: grid search with 5-fold cross-validation on the training part. The normalizer is inside the pipeline, so
// each fold fits it on its own training rows: the held-out fold never leaks into the scaling.
int[][] hiddenSizes = [[16], [64, 32]];
double[] l2Values = [1e-4, 1e-2, 1];
double[] learningRates = [1e-3, 1e-2];
int configurations = hiddenSizes.Length * l2Values.Length * learningRates.Length;
Console.WriteLine();
Console.WriteLine($"Part 2: grid search, {configurations} configurations x {Folds} folds, Adam, at most 200 epochs");
var results = new List<GridResult>();
var gridClock = Stopwatch.StartNew();
foreach (int[] hidden in hiddenSizes)
{
    foreach (double l2 in l2Values)
    {
        foreach (double learningRate in learningRates)
        {
            var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
                .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
                {
                    HiddenLayerSizes = hidden,
                    Solver = new AdamSolver { LearningRate = learningRate },
                    L2Regularization = l2,
                    MaximumNumberOfIterations = 200,
                    Seed = Seed,
                }));

            // The same seed gives every configuration the same folds.
            var folds = mlContext.BinaryClassification.CrossValidate(split.TrainSet, pipeline, numberOfFolds: Folds, seed: Seed);
            double[] accuracy = folds.Select(f => f.Metrics.Accuracy).ToArray();
            double[] auc = folds.Select(f => f.Metrics.AreaUnderRocCurve).ToArray();
            double[] logLoss = folds.Select(f => f.Metrics.LogLoss).ToArray();
            var result = new GridResult(hidden, l2, learningRate, Mean(accuracy), StandardDeviation(accuracy), Mean(auc), StandardDeviation(auc), Mean(logLoss));
            results.Add(result);
            Console.WriteLine($"  [{results.Count,2}/{configurations}] {result.Describe()}: CV accuracy {result.MeanAccuracy:F4} ± {result.StdAccuracy:F4} ({gridClock.Elapsed.TotalSeconds:F0} s)");
        }
    }
}

// Rank by mean CV accuracy; mean AUC breaks ties (accuracy on ~90 rows per fold moves in steps of 0.011).
GridResult[] ranked = results.OrderByDescending(r => r.MeanAccuracy).ThenByDescending(r => r.MeanAuc).ToArray();
Console.WriteLine();
Console.WriteLine($"Ranked by mean {Folds}-fold CV accuracy (± is the standard deviation over folds; log-loss in bits):");
var gridTable = new Table().AddColumns("rank", "hidden", "L2", "learning rate", "CV accuracy", "CV AUC", "CV log-loss");
for (int i = 0; i < ranked.Length; i++)
{
    GridResult r = ranked[i];
    gridTable.AddRow($"{i + 1}", Describe(r.Hidden), $"{r.L2:G}", $"{r.LearningRate:G}", $"{r.MeanAccuracy:F4} ± {r.StdAccuracy:F4}", $"{r.MeanAuc:F4} ± {r.StdAuc:F4}", $"{r.MeanLogLoss:F4}");
}

AnsiConsole.Write(gridTable);
if (results.Any(r => double.IsInfinity(r.MeanLogLoss)))
{
    Console.WriteLine("An infinite log-loss means some fold had a wrong prediction with probability exactly 0 or 1: the float");
    Console.WriteLine("sigmoid saturates for |score| > ~17 and ML.NET's binary evaluator does not clip probabilities.");
}

// The winner, refit on the whole training part and scored once on the untouched test part.
GridResult best = ranked[0];
var bestModel = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
    .Append(mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
    {
        HiddenLayerSizes = best.Hidden,
        Solver = new AdamSolver { LearningRate = best.LearningRate },
        L2Regularization = best.L2,
        MaximumNumberOfIterations = 200,
        Seed = Seed,
    }))
    .Fit(split.TrainSet);
CalibratedBinaryClassificationMetrics bestMetrics = mlContext.BinaryClassification.Evaluate(bestModel.Transform(split.TestSet));
Console.WriteLine();
Console.WriteLine($"Best configuration {best.Describe()}: held-out test accuracy {bestMetrics.Accuracy:F4}, AUC {bestMetrics.AreaUnderRocCurve:F4}.");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

static string Describe(int[] hidden) => hidden.Length == 0 ? "none" : $"({string.Join(", ", hidden)})";

static double Mean(double[] values) => values.Average();

// The sample standard deviation (n - 1), as over cross-validation folds.
static double StandardDeviation(double[] values)
{
    double mean = values.Average();
    return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
}

/// <summary>One grid point and its cross-validated scores.</summary>
internal sealed record GridResult(int[] Hidden, double L2, double LearningRate, double MeanAccuracy, double StdAccuracy, double MeanAuc, double StdAuc, double MeanLogLoss)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"hidden ({string.Join(", ", Hidden)}), L2 {L2:G}, learning rate {LearningRate:G}");
}
