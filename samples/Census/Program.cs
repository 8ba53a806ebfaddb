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
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
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
var progress = new EpochProgress("MLP (64, 32)", MaxEpochs, printEvery: 5);
var trainer = mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
{
    HiddenLayerSizes = [64, 32],
    Activation = Activation.Relu,
    Solver = new AdamSolver { LearningRate = 1e-3 },
    L2Regularization = 1e-4,
    NumberOfIterations = MaxEpochs,
    EarlyStopping = true,
    ValidationFraction = 0.1,
    EpochsWithoutImprovement = 10,
    Seed = Seed,
    Progress = progress.Report,
});
var trainClock = Stopwatch.StartNew();
var model = featurize.Append(trainer).Fit(split.TrainSet);
progress.Complete();
MlpModelParameters network = model.LastTransformer.Model;
Console.WriteLine($"Trained on {network.FeatureCount} features in {trainClock.Elapsed.TotalSeconds:F1} s: {network.EpochsRun} epochs, best validation accuracy {network.ValidationScores.Max():F4} (epoch {IndexOfMax(network.ValidationScores) + 1}).");

// 5. Test metrics from ML.NET's evaluator.
IDataView scored = model.Transform(split.TestSet);
CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
Console.WriteLine();
Console.WriteLine("Test metrics at the default threshold 0.5 (positive = earns over $50K):");
new ConsoleTable("accuracy", "AUC", "precision", "recall", "F1", "log-loss (bits)")
    .AddRow(F(metrics.Accuracy), F(metrics.AreaUnderRocCurve), F(metrics.PositivePrecision), F(metrics.PositiveRecall), F(metrics.F1Score), F(metrics.LogLoss))
    .Write();

// 6. The ROC curve, from the scores: sort by probability, lower the threshold one distinct score at a time.
(bool Label, float Probability)[] test = mlContext.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => (p.Label, p.Probability)).ToArray();
List<(double Threshold, double FalsePositiveRate, double TruePositiveRate)> roc = RocCurve(test);
double auc = 0;
for (int i = 1; i < roc.Count; i++)
{
    auc += (roc[i].FalsePositiveRate - roc[i - 1].FalsePositiveRate) * (roc[i].TruePositiveRate + roc[i - 1].TruePositiveRate) / 2;
}

Console.WriteLine($"ROC curve: {roc.Count} points; trapezoidal AUC {auc:F4} (ML.NET's evaluator: {metrics.AreaUnderRocCurve:F4}).");

// 7. Thresholds: a lower threshold flags more people (higher recall) at the cost of more false alarms (lower precision).
Console.WriteLine();
Console.WriteLine("Decision thresholds on the test set:");
var table = new ConsoleTable("threshold", "flagged", "precision", "recall", "F1", "accuracy", "false positive rate");
double bestF1 = 0;
double bestThreshold = 0.5;
foreach (double threshold in new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 })
{
    Counts c = CountAt(test, threshold);
    table.AddRow(threshold.ToString("F1", CultureInfo.InvariantCulture), $"{c.Flagged / (double)test.Length:P1}", F(c.Precision), F(c.Recall), F(c.F1), F(c.Accuracy), F(c.FalsePositiveRate));
    if (c.F1 > bestF1)
    {
        (bestF1, bestThreshold) = (c.F1, threshold);
    }
}

table.Write();
Console.WriteLine($"Highest F1 among these: {bestF1:F4} at threshold {bestThreshold:F1}. (Choose the threshold on validation data, not on the test set, for a real decision.)");

// 8. Pictures: the ROC curve with the thresholds of the table marked, and precision/recall against the threshold.
double[] markedThresholds = [0.1, 0.3, 0.5, 0.7, 0.9];
Counts[] marked = markedThresholds.Select(t => CountAt(test, t)).ToArray();
string rocPath = Path.Combine(outputDirectory, "roc-curve.svg");
new SvgPlot("Census income: MLP ROC curve on the test set", "false positive rate (1 - specificity)", "true positive rate (recall)")
{
    XRange = (0, 1),
    YRange = (0, 1),
    Width = 640,
    Height = 600,
    Legend = LegendPosition.BottomRight,
}
    .Line("chance (AUC 0.5)", [0, 1], [0, 1], color: "#7f7f7f", dashed: true, width: 1.5)
    .Line($"MLP (64, 32), AUC {auc:F3}", roc.Select(p => p.FalsePositiveRate).ToArray(), roc.Select(p => p.TruePositiveRate).ToArray(), color: SvgPlot.Palette[0])
    .Scatter("thresholds 0.1, 0.3, 0.5, 0.7, 0.9", marked.Select(c => c.FalsePositiveRate).ToArray(), marked.Select(c => c.Recall).ToArray(), color: SvgPlot.Palette[3], radius: 5, opacity: 1)
    .Save(rocPath);

double[] sweep = Enumerable.Range(1, 99).Select(i => i / 100.0).ToArray();
Counts[] curve = sweep.Select(t => CountAt(test, t)).ToArray();
string thresholdPath = Path.Combine(outputDirectory, "precision-recall-vs-threshold.svg");
new SvgPlot("Census income: precision and recall against the decision threshold", "threshold on P(earns over $50K)", "test-set value")
{
    XRange = (0, 1),
    YRange = (0, 1),
}
    .Line("precision", sweep, curve.Select(c => c.Precision).ToArray())
    .Line("recall", sweep, curve.Select(c => c.Recall).ToArray())
    .Line("F1", sweep, curve.Select(c => c.F1).ToArray())
    .Save(thresholdPath);

string lossPath = Path.Combine(outputDirectory, "training-curves.svg");
double[] epochs = Enumerable.Range(1, network.LossCurve.Count).Select(e => (double)e).ToArray();
new SvgPlot("Census income: training loss and validation error per epoch", "epoch", "value")
    .Line("training log-loss (+ L2 penalty)", epochs, network.LossCurve.ToArray())
    .Line("validation error (1 - accuracy)", epochs, network.ValidationScores.Select(v => 1 - v).ToArray())
    .Save(lossPath);

Console.WriteLine();
Console.WriteLine($"Wrote {SamplePaths.Display(rocPath)}");
Console.WriteLine($"Wrote {SamplePaths.Display(thresholdPath)}");
Console.WriteLine($"Wrote {SamplePaths.Display(lossPath)}");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

static int IndexOfMax(IReadOnlyList<double> values) => values.Count == 0 ? -1 : values.Select((v, i) => (v, i)).MaxBy(t => t.v).i;

// ROC points from (0, 0) to (1, 1): one per distinct probability, ties taken together.
static List<(double Threshold, double FalsePositiveRate, double TruePositiveRate)> RocCurve((bool Label, float Probability)[] rows)
{
    var sorted = rows.OrderByDescending(r => r.Probability).ToArray();
    double positives = sorted.Count(r => r.Label);
    double negatives = sorted.Length - positives;
    var points = new List<(double, double, double)> { (double.PositiveInfinity, 0, 0) };
    int truePositives = 0;
    int falsePositives = 0;
    for (int i = 0; i < sorted.Length; i++)
    {
        if (sorted[i].Label)
        {
            truePositives++;
        }
        else
        {
            falsePositives++;
        }

        if (i == sorted.Length - 1 || sorted[i + 1].Probability != sorted[i].Probability)
        {
            points.Add((sorted[i].Probability, falsePositives / negatives, truePositives / positives));
        }
    }

    return points;
}

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
