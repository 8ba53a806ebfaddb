// Census income (UCI Adult): does a person earn over $50K a year? Mixed numeric and categorical columns with
// missing values: imputation, one-hot encoding and standardization in one ML.NET pipeline, an MLP with early
// stopping, a ROC curve computed from the scores, and a table of decision thresholds trading precision against recall.
//
//   dotnet run -c Release --project samples/Census
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetMlp;
using MlNetMlp.SampleSupport;
using ScottPlot;
using Spectre.Console;

SampleConsole.Configure();
var clock = Stopwatch.StartNew();
const int Seed = 1;
const int MaxEpochs = 200;
string outputDirectory = SamplePaths.OutputDirectory("census");
var mlContext = new MLContext(Seed);

string[] categorical = ["workclass", "education", "marital-status", "occupation", "relationship", "ethnicity", "sex", "native-country"];
string[] numeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"];

// 1. Load. Fields are separated by ", ": split on ',' and trim the spaces. The last column, label(IsOver50K), is 0/1.
IDataView data = mlContext.Data.LoadFromTextFile<Person>(SamplePaths.DataFile("adult.txt"), separatorChar: ',', hasHeader: true, trimWhitespace: true);
DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: Seed);
Person[] people = mlContext.Data.CreateEnumerable<Person>(data, reuseRowObject: false).ToArray();
Console.WriteLine($"Adult census: {people.Length} people, {people.Count(p => p.Label):N0} ({people.Average(p => p.Label ? 1.0 : 0.0):P1}) earn over $50K; {DataViews.CountRows(split.TrainSet)} training and {DataViews.CountRows(split.TestSet)} test rows.");

// 2. Missing values. The numeric columns have none in this file, but new data might: ReplaceMissingValues puts the
//    training mean in place of a NaN (an empty or unparsable field). The census marks unknown categories with '?'
//    (counted below); they are kept as a category of their own: "occupation unknown" is itself informative (most of
//    those people are not in work), and one-hot encoding gives it its own slot. To treat '?' as missing instead, map
//    it to an empty string first: an empty value becomes an all-zero one-hot vector.
Console.WriteLine($"Missing numeric values (NaN): {people.Sum(p => p.NumericValues().Count(float.IsNaN))}. '?' categories: " +
    string.Join(", ", new[] { ("workclass", people.Count(p => p.Workclass == "?")), ("occupation", people.Count(p => p.Occupation == "?")), ("native-country", people.Count(p => p.NativeCountry == "?")) }.Select(c => $"{c.Item1} {c.Item2}")) + ".");

// 3. Features: impute and standardize the numerics (fixZero: false centers them too), one-hot the categoricals,
//    and concatenate everything into one vector.
var featurize = mlContext.Transforms.ReplaceMissingValues(numeric.Select(c => new InputOutputColumnPair(c, c)).ToArray(), MissingValueReplacingEstimator.ReplacementMode.Mean)
    .Append(mlContext.Transforms.Concatenate("Numeric", numeric))
    .Append(mlContext.Transforms.NormalizeMeanVariance("Numeric", fixZero: false))
    .Append(mlContext.Transforms.Categorical.OneHotEncoding(categorical.Select(c => new InputOutputColumnPair(c, c)).ToArray()))
    .Append(mlContext.Transforms.Concatenate("Features", ["Numeric", .. categorical]));

// 4. An MLP with early stopping: 10% of the training rows are held out and training stops when their accuracy
//    has not improved for 10 epochs; the best weights are kept.
var trainer = mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
{
    HiddenLayerSizes = [64, 32],
    Activation = Activation.Relu,
    Solver = new AdamSolver { LearningRate = 1e-3 },
    L2Regularization = 1e-4,
    MaximumNumberOfIterations = MaxEpochs,
    EarlyStopping = true,
    ValidationFraction = 0.1,
    EpochsWithoutImprovement = 10,
    EarlyStoppingMetric = EarlyStoppingMetric.Score, // stop on the held-out accuracy (the tabular recipe's default is the held-out loss)
    Seed = Seed,
});
var trainClock = Stopwatch.StartNew();
var model = featurize.Append(trainer).Fit(split.TrainSet);
MlpModelParameters network = model.LastTransformer.Model;
Console.WriteLine($"Trained on {network.FeatureCount} features in {trainClock.Elapsed.TotalSeconds:F1} s: {network.EpochsRun} epochs, best validation accuracy {network.ValidationScores.Max():F4} (epoch {IndexOfMax(network.ValidationScores) + 1}).");

// 5. Test metrics from ML.NET's evaluator.
IDataView scored = model.Transform(split.TestSet);
CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
Console.WriteLine();
Console.WriteLine("Test metrics at the default threshold 0.5 (positive = earns over $50K):");
AnsiConsole.Write(new Table().AddColumns("accuracy", "AUC", "precision", "recall", "F1", "log-loss (bits)")
    .AddRow(F(metrics.Accuracy), F(metrics.AreaUnderRocCurve), F(metrics.PositivePrecision), F(metrics.PositiveRecall), F(metrics.F1Score), F(metrics.LogLoss)));

// 6. The ROC curve, from the scores: sort by probability, lower the threshold one distinct score at a time; the
//    thresholds of the table below are marked on it.
(bool Label, float Probability)[] test = mlContext.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => (p.Label, p.Probability)).ToArray();
(Plot rocPlot, double auc) = Charts.RocCurve("Census income: MLP ROC curve on the test set", test, [0.1, 0.3, 0.5, 0.7, 0.9]);
Console.WriteLine($"ROC curve: trapezoidal AUC {auc:F4} (ML.NET's evaluator: {metrics.AreaUnderRocCurve:F4}).");

// 7. Thresholds: a lower threshold flags more people (higher recall) at the cost of more false alarms (lower precision).
Console.WriteLine();
Console.WriteLine("Decision thresholds on the test set:");
var table = new Table().AddColumns("threshold", "flagged", "precision", "recall", "F1", "accuracy", "false positive rate");
double bestF1 = 0;
double bestThreshold = 0.5;
foreach (double threshold in new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 })
{
    Counts c = CountAt(test, threshold);
    table.AddRow($"{threshold:F1}", $"{c.Flagged / (double)test.Length:P1}", F(c.Precision), F(c.Recall), F(c.F1), F(c.Accuracy), F(c.FalsePositiveRate));
    if (c.F1 > bestF1)
    {
        (bestF1, bestThreshold) = (c.F1, threshold);
    }
}

AnsiConsole.Write(table);
Console.WriteLine($"Highest F1 among these: {bestF1:F4} at threshold {bestThreshold:F1}. (Choose the threshold on validation data, not on the test set, for a real decision.)");

// 8. Pictures: the ROC curve, precision/recall/F1 against the threshold, and the training curves.
double[] sweep = Enumerable.Range(1, 99).Select(i => i / 100.0).ToArray();
Counts[] curve = sweep.Select(t => CountAt(test, t)).ToArray();
var thresholdPlot = new Plot();
Charts.Label(thresholdPlot, "Census income: precision and recall against the decision threshold", "threshold on P(earns over $50K)", "test-set precision, recall, F1 (fraction)");
foreach ((string name, Func<Counts, double> value, int colour) in new (string, Func<Counts, double>, int)[] { ("precision", c => c.Precision, 0), ("recall", c => c.Recall, 1), ("F1", c => c.F1, 2) })
{
    var line = thresholdPlot.Add.ScatterLine(sweep, curve.Select(value).ToArray(), Charts.Palette(colour));
    line.LineWidth = 2;
    line.LegendText = name;
}

var chosen = thresholdPlot.Add.VerticalLine(bestThreshold, 1.5f, Colors.Black, LinePattern.Dotted);
chosen.LegendText = $"highest F1 of the table, threshold {bestThreshold:F1}";
thresholdPlot.Axes.SetLimits(0, 1, 0, 1.02);
thresholdPlot.ShowLegend(Alignment.LowerLeft);
var trainingPlot = Charts.TrainingCurves("Census income: training loss and validation accuracy per epoch", "log-loss + L2 penalty, nats per row", [("training loss", network.LossCurve)], ("validation accuracy (fraction correct)", network.ValidationScores));

Console.WriteLine();
foreach (string path in Charts.Save(rocPlot, Path.Combine(outputDirectory, "roc-curve"), 640, 600)
    .Concat(Charts.Save(thresholdPlot, Path.Combine(outputDirectory, "precision-recall-vs-threshold")))
    .Concat(Charts.Save(trainingPlot, Path.Combine(outputDirectory, "training-curves"))))
{
    Console.WriteLine($"Wrote {SamplePaths.Display(path)}");
}
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

static int IndexOfMax(IReadOnlyList<double> values) => values.Count == 0 ? -1 : values.Select((v, i) => (v, i)).MaxBy(t => t.v).i;

// The confusion counts when everyone with a probability of at least the threshold is flagged.
static Counts CountAt((bool Label, float Probability)[] rows, double threshold)
{
    int tp = 0, fp = 0, tn = 0, fn = 0;
    foreach ((bool label, float probability) in rows)
    {
        bool flagged = probability >= threshold;
        (tp, fp, tn, fn) = (label, flagged) switch
        {
            (true, true) => (tp + 1, fp, tn, fn),
            (false, true) => (tp, fp + 1, tn, fn),
            (false, false) => (tp, fp, tn + 1, fn),
            (true, false) => (tp, fp, tn, fn + 1),
        };
    }

    return new Counts(tp, fp, tn, fn);
}

/// <summary>Confusion counts at one threshold and the rates derived from them.</summary>
internal sealed record Counts(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public int Flagged => TruePositives + FalsePositives;

    public double Precision => Flagged == 0 ? 1 : TruePositives / (double)Flagged;

    public double Recall => TruePositives / (double)(TruePositives + FalseNegatives);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    public double Accuracy => (TruePositives + TrueNegatives) / (double)(TruePositives + FalsePositives + TrueNegatives + FalseNegatives);

    public double FalsePositiveRate => FalsePositives / (double)(FalsePositives + TrueNegatives);
}

/// <summary>One row of adult.txt.</summary>
internal sealed class Person
{
    [LoadColumn(0)]
    [ColumnName("age")]
    public float Age { get; set; }

    [LoadColumn(1)]
    [ColumnName("workclass")]
    public string Workclass { get; set; } = string.Empty;

    [LoadColumn(2)]
    [ColumnName("fnlwgt")]
    public float FinalWeight { get; set; }

    [LoadColumn(3)]
    [ColumnName("education")]
    public string Education { get; set; } = string.Empty;

    [LoadColumn(4)]
    [ColumnName("education-num")]
    public float EducationYears { get; set; }

    [LoadColumn(5)]
    [ColumnName("marital-status")]
    public string MaritalStatus { get; set; } = string.Empty;

    [LoadColumn(6)]
    [ColumnName("occupation")]
    public string Occupation { get; set; } = string.Empty;

    [LoadColumn(7)]
    [ColumnName("relationship")]
    public string Relationship { get; set; } = string.Empty;

    [LoadColumn(8)]
    [ColumnName("ethnicity")]
    public string Ethnicity { get; set; } = string.Empty;

    [LoadColumn(9)]
    [ColumnName("sex")]
    public string Sex { get; set; } = string.Empty;

    [LoadColumn(10)]
    [ColumnName("capital-gain")]
    public float CapitalGain { get; set; }

    [LoadColumn(11)]
    [ColumnName("capital-loss")]
    public float CapitalLoss { get; set; }

    [LoadColumn(12)]
    [ColumnName("hours-per-week")]
    public float HoursPerWeek { get; set; }

    [LoadColumn(13)]
    [ColumnName("native-country")]
    public string NativeCountry { get; set; } = string.Empty;

    /// <summary>True when the person earns over $50K a year.</summary>
    [LoadColumn(14)]
    public bool Label { get; set; }

    /// <summary>The numeric fields, for counting missing values.</summary>
    public float[] NumericValues() => [Age, FinalWeight, EducationYears, CapitalGain, CapitalLoss, HoursPerWeek];
}

/// <summary>The label and the predicted probability.</summary>
internal sealed class Prediction
{
    public bool Label { get; set; }

    public float Probability { get; set; }
}
