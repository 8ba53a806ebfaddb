// Digits: ten classes of 8x8 handwritten digits. A stratified 75/25 split, a (128, 64) MLP with its loss curve,
// and a comparison of network depths from none (multinomial logistic regression) to three hidden layers.
//
//   dotnet run -c Release --project samples/Digits [-- <seed>]
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
using Spectre.Console;

SampleConsole.Configure();
var clock = Stopwatch.StartNew();
// Seed of the split, the initialization and the shuffling. Over seeds 1-5 the (128, 64) network scores 0.964 to
// 0.978 (mean 0.972); the default, 5, is the one closest to that mean. The end of the run repeats the sweep.
int seed = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
const int MaxEpochs = 200;
string outputDirectory = SamplePaths.OutputDirectory("digits");
var mlContext = new MLContext(seed);

// 1. Load digits.csv: 64 pixel intensities (0-16) and the digit.
IDataView all = mlContext.Data.LoadFromTextFile<DigitImage>(SamplePaths.DataFile("digits.csv"), separatorChar: ',', hasHeader: true);

// 2. Stratified 75/25 split: ML.NET's TrainTestSplit samples rows at random (its samplingKeyColumnName keeps groups
//    together rather than balancing classes), so split each class on its own and load the two parts back.
(IDataView train, IDataView test) = StratifiedSplit(mlContext, all, testFraction: 0.25, seed);
Console.WriteLine($"Digits: {DataViews.CountRows(train)} training and {DataViews.CountRows(test)} test images, 10 classes, stratified 75/25 split (seed {seed}).");

// 3. Features: standardize each pixel (fixZero: false centers as well as scales). The label becomes a key with
//    the digits in numeric order, so score slot k is digit k.
var featurize = mlContext.Transforms.NormalizeMeanVariance("Features", "Pixels", fixZero: false)
    .Append(mlContext.Transforms.Conversion.MapValueToKey("Label", "Digit", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue));

// 4. Train and evaluate one network per architecture.
int[][] architectures = [[], [64], [128, 64], [256, 128, 64]];
var results = new List<Result>();
foreach (int[] hidden in architectures)
{
    Result result = TrainAndEvaluate(mlContext, featurize, train, test, hidden, seed);
    Console.WriteLine($"  {Describe(hidden)}: test accuracy {result.Metrics.MicroAccuracy:F4} after {result.Model.EpochsRun} epochs ({result.Time.TotalSeconds:F1} s).");
    results.Add(result);

    if (hidden.SequenceEqual([128, 64]))
    {
        // A few test images with the predicted digit and its probability.
        var sampleRows = mlContext.Data.CreateEnumerable<DigitPrediction>(result.Scored, reuseRowObject: false).Take(8).ToArray();
        Console.WriteLine("    first test images, actual->predicted (probability): " + string.Join(", ", sampleRows.Select(r => $"{r.Digit:0}->{r.PredictedDigit:0} ({r.Score.Max():F2})")));
    }
}

// 5. The comparison table.
Console.WriteLine();
Console.WriteLine("Architecture comparison (ReLU, Adam, learning rate 0.001, L2 0.0001, at most 200 epochs):");
var table = new Table().AddColumns("hidden layers", "parameters", "test accuracy", "macro accuracy", "log-loss", "epochs", "train time");
foreach (var r in results)
{
    table.AddRow(Describe(r.Hidden), $"{r.Model.Network.ParameterCount:N0}", $"{r.Metrics.MicroAccuracy:F4}", $"{r.Metrics.MacroAccuracy:F4}", $"{r.Metrics.LogLoss:F4}", $"{r.Model.EpochsRun}", $"{r.Time.TotalSeconds:F1} s");
}

AnsiConsole.Write(table);

var main = results.Single(r => r.Hidden.SequenceEqual([128, 64]));
Console.WriteLine();
Console.WriteLine("Confusion matrix of (128, 64) on the test set (rows: actual digit, columns: predicted):");
Console.WriteLine(main.Metrics.ConfusionMatrix.GetFormattedConfusionTable());

// 6. Pictures: the (128, 64) loss curve, and every architecture's curve on one log-scale plot.
const string LossLabel = "cross-entropy + L2 penalty, nats per row";
var pictures = Charts.Save(Charts.TrainingCurves($"Digits: MLP (128, 64) training loss (test accuracy {main.Metrics.MicroAccuracy:F3})", LossLabel, [("(128, 64), Adam 0.001", main.Model.LossCurve)]), Path.Combine(outputDirectory, "loss-curve-128-64"))
    .Concat(Charts.Save(Charts.TrainingCurves("Digits: training loss by architecture", LossLabel, results.Select(r => ($"{Describe(r.Hidden)}: test accuracy {r.Metrics.MicroAccuracy:F3}", r.Model.LossCurve)).ToArray()), Path.Combine(outputDirectory, "loss-curves-by-architecture"), 800, 600));
foreach (string path in pictures)
{
    Console.WriteLine($"Wrote {SamplePaths.Display(path)}");
}

// 7. How much do the split and the initialization matter? (128, 64) on seeds 1-5.
double[] sweep = Enumerable.Range(1, 5).Select(s =>
{
    var context = new MLContext(s);
    (IDataView sweepTrain, IDataView sweepTest) = StratifiedSplit(context, all, testFraction: 0.25, s);
    return TrainAndEvaluate(context, featurize, sweepTrain, sweepTest, [128, 64], s).Metrics.MicroAccuracy;
}).ToArray();
Console.WriteLine($"(128, 64) on seeds 1-5: test accuracy {string.Join(" ", sweep.Select(a => a.ToString("F4", CultureInfo.InvariantCulture)))}");
Console.WriteLine($"  mean {sweep.Average():F4}, min {sweep.Min():F4}, max {sweep.Max():F4} (this run: seed {seed}, accuracy {main.Metrics.MicroAccuracy:F4}).");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");
return main.Metrics.MicroAccuracy >= 0.965 ? 0 : 1;

// Trains featurize + MLP on the training set and scores the test set.
static Result TrainAndEvaluate(MLContext mlContext, IEstimator<ITransformer> featurize, IDataView train, IDataView test, int[] hidden, int seed)
{
    var trainer = mlContext.MulticlassClassification.Trainers.Mlp(mlContext, new MlpMulticlassTrainer.Options
    {
        HiddenLayerSizes = hidden,
        Activation = Activation.Relu,
        Solver = new AdamSolver { LearningRate = 1e-3 },
        L2Regularization = 1e-4,
        MaximumNumberOfIterations = MaxEpochs,
        Seed = seed,
    });
    var pipeline = featurize.Append(trainer).Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));
    var trainClock = Stopwatch.StartNew();
    var model = pipeline.Fit(train);
    trainClock.Stop();
    IDataView scored = model.Transform(test);
    MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(scored);
    MlpModelParameters network = model.OfType<MlpPredictionTransformer>().Single().Model;
    return new Result(hidden, metrics, network, trainClock.Elapsed, scored);
}

static string Describe(int[] hidden) => hidden.Length == 0 ? "none" : $"({string.Join(", ", hidden)})";


// Splits every class separately: shuffles its rows with a seeded random and holds out testFraction of them.
static (IDataView Train, IDataView Test) StratifiedSplit(MLContext mlContext, IDataView data, double testFraction, int seed)
{
    var random = new Random(seed);
    var train = new List<DigitImage>();
    var test = new List<DigitImage>();
    foreach (var group in mlContext.Data.CreateEnumerable<DigitImage>(data, reuseRowObject: false).GroupBy(r => r.Digit).OrderBy(g => g.Key))
    {
        DigitImage[] rows = group.ToArray();
        random.Shuffle(rows);
        int testCount = (int)Math.Round(rows.Length * testFraction);
        test.AddRange(rows.Take(testCount));
        train.AddRange(rows.Skip(testCount));
    }

    // Shuffle across classes too, so the test rows shown above are not all zeros.
    DigitImage[] trainRows = train.ToArray();
    DigitImage[] testRows = test.ToArray();
    random.Shuffle(trainRows);
    random.Shuffle(testRows);
    return (mlContext.Data.LoadFromEnumerable(trainRows, data.Schema), mlContext.Data.LoadFromEnumerable(testRows, data.Schema));
}

/// <summary>One trained architecture: its test metrics, its network and training time, and the scored test set.</summary>
internal sealed record Result(int[] Hidden, MulticlassClassificationMetrics Metrics, MlpModelParameters Model, TimeSpan Time, IDataView Scored);

/// <summary>One row of digits.csv.</summary>
internal sealed class DigitImage
{
    /// <summary>The 8x8 image, row by row, intensities 0-16.</summary>
    [LoadColumn(0, 63)]
    [VectorType(64)]
    public float[] Pixels { get; set; } = [];

    /// <summary>The digit shown, 0-9.</summary>
    [LoadColumn(64)]
    public float Digit { get; set; }
}

/// <summary>The digit, the predicted digit and the class probabilities.</summary>
internal sealed class DigitPrediction
{
    /// <summary>The actual digit.</summary>
    public float Digit { get; set; }

    /// <summary>The predicted digit (the predicted key mapped back to its value).</summary>
    public float PredictedDigit { get; set; }

    /// <summary>The probability of each digit, 0 to 9.</summary>
    public float[] Score { get; set; } = [];
}
