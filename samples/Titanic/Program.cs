// Titanic: who survived? The workflow of the classic notebooks on 1,309 passengers: look at the data, start from
// a baseline, add one feature at a time (one-hot sex and class, age with its 263 missing values filled in, a title
// taken from the name) and print the cross-validated accuracy of each step; then evaluate the final model on a
// held-out test set (confusion matrix, precision/recall/F1, ROC curve) and ask it about two passengers.
//
//   dotnet run -c Release --project samples/Titanic
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
const int Folds = 5;
string outputDirectory = SamplePaths.OutputDirectory("titanic");
var mlContext = new MLContext(Seed);

// 1. Load. Quoted fields (names contain commas); "yes"/"no" reads as a Boolean, and "NA" (unknown age) as NaN.
IDataView data = mlContext.Data.LoadFromTextFile<Passenger>(SamplePaths.DataFile("titanic.csv"), separatorChar: ',', hasHeader: true, allowQuoting: true);
Passenger[] passengers = mlContext.Data.CreateEnumerable<Passenger>(data, reuseRowObject: false).ToArray();

// 2. Look at the data: survival by sex and class, and how many ages are missing.
Console.WriteLine($"{passengers.Length} passengers, {passengers.Count(p => p.Label)} survived ({passengers.Average(p => p.Label ? 1.0 : 0):P1}); age unknown for {passengers.Count(p => float.IsNaN(p.Age))}.");
var look = new Table().AddColumns("survival rate", "1st", "2nd", "3rd", "all classes");
foreach (string sex in new[] { "female", "male" })
{
    string Rate(Func<Passenger, bool> where) => $"{passengers.Where(p => p.Sex == sex && where(p)).Average(p => p.Label ? 1.0 : 0):P0}";
    look.AddRow(sex, Rate(p => p.Class == "1st"), Rate(p => p.Class == "2nd"), Rate(p => p.Class == "3rd"), Rate(_ => true));
}

AnsiConsole.Write(look);
Console.WriteLine($"Median age {Median(passengers.Select(p => p.Age)):F0}; children under 10 survived at {passengers.Where(p => p.Age < 10).Average(p => p.Label ? 1.0 : 0):P0}.");
Console.WriteLine();

// 3. Features, one step at a time. Each step's pipeline ends in the same small MLP; ReplaceMissingValues fills a
//    missing age with the training rows' mean and IndicateMissingValues keeps the fact that it was missing.
var toTitle = mlContext.Transforms.CustomMapping<NameRow, TitleRow>((input, output) => output.Title = Title(input.Name), contractName: null);
(string Name, IEstimator<ITransformer> Featurize)[] steps =
[
    ("sex (one-hot)", mlContext.Transforms.Categorical.OneHotEncoding("Features", "Sex")),
    ("+ passenger class (one-hot)", mlContext.Transforms.Categorical.OneHotEncoding([new("SexVector", "Sex"), new("ClassVector", "Class")])
        .Append(mlContext.Transforms.Concatenate("Features", "SexVector", "ClassVector"))),
    ("+ age (missing: mean, and a was-missing flag)", AgeFeatures().Append(mlContext.Transforms.Concatenate("Features", "SexVector", "ClassVector", "AgeFilled", "AgeMissing"))),
    ("+ title from the name (Mr, Mrs, Miss, Master, rare)", AgeFeatures().Append(toTitle).Append(mlContext.Transforms.Categorical.OneHotEncoding("TitleVector", "Title"))
        .Append(mlContext.Transforms.Concatenate("Features", "SexVector", "ClassVector", "AgeFilled", "AgeMissing", "TitleVector"))),
];

IEstimator<ITransformer> AgeFeatures() =>
    mlContext.Transforms.Categorical.OneHotEncoding([new("SexVector", "Sex"), new("ClassVector", "Class")])
        .Append(mlContext.Transforms.IndicateMissingValues("AgeMissingFlag", "Age"))
        .Append(mlContext.Transforms.Conversion.ConvertType("AgeMissing", "AgeMissingFlag", DataKind.Single))
        .Append(mlContext.Transforms.ReplaceMissingValues("AgeFilled", "Age", MissingValueReplacingEstimator.ReplacementMode.Mean))
        .Append(mlContext.Transforms.NormalizeMeanVariance("AgeFilled", fixZero: false));

MlpBinaryTrainer Mlp() => mlContext.BinaryClassification.Trainers.Mlp(mlContext, new MlpBinaryTrainer.Options
{
    HiddenLayerSizes = [16],
    L2Regularization = 1e-2,
    MaximumNumberOfIterations = 300,
    Seed = Seed,
});

double majority = passengers.Average(p => p.Label ? 0.0 : 1);
var stepsTable = new Table().AddColumns("step", $"{Folds}-fold CV accuracy", "± std");
stepsTable.AddRow("baseline: everyone dies (the majority class)", $"{majority:F4}", "");
var accuracies = new List<(string Step, double Mean, double Std)> { ("baseline", majority, 0) };
foreach ((string name, IEstimator<ITransformer> featurize) in steps)
{
    // The same seed gives every step the same five folds.
    double[] scores = mlContext.BinaryClassification.CrossValidate(data, featurize.Append(Mlp()), Folds, seed: Seed).Select(f => f.Metrics.Accuracy).ToArray();
    double mean = scores.Average();
    double std = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / (scores.Length - 1));
    stepsTable.AddRow(Markup.Escape(name), $"{mean:F4}", $"{std:F4}");
    accuracies.Add((name, mean, std));
}

AnsiConsole.Write(stepsTable);

// Dropping the passengers without an age instead of filling it in: fewer rows, and a model that cannot score them.
IDataView withAge = mlContext.Data.FilterRowsByMissingValues(data, "Age");
var dropped = mlContext.BinaryClassification.CrossValidate(withAge, steps[2].Featurize.Append(Mlp()), Folds, seed: Seed).Average(f => f.Metrics.Accuracy);
Console.WriteLine($"For comparison, dropping the {passengers.Count(p => float.IsNaN(p.Age))} rows without an age: CV accuracy {dropped:F4} on the other {passengers.Count(p => !float.IsNaN(p.Age))}.");

// 4. The final pipeline on an 80/20 split: test metrics, confusion matrix, ROC curve.
var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: Seed);
var model = steps[^1].Featurize.Append(Mlp()).Fit(split.TrainSet);
IDataView scored = model.Transform(split.TestSet);
CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
Console.WriteLine();
Console.WriteLine($"Held-out test set: accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}");
Console.WriteLine($"  survived: precision {metrics.PositivePrecision:F4}, recall {metrics.PositiveRecall:F4}, F1 {metrics.F1Score:F4}; died: precision {metrics.NegativePrecision:F4}, recall {metrics.NegativeRecall:F4}");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

(bool Label, float Probability)[] test = mlContext.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => (p.Label, p.Probability)).ToArray();
(Plot roc, double auc) = Charts.RocCurve("Titanic: ROC curve of the final MLP on the test set", test, [0.1, 0.3, 0.5, 0.7, 0.9]);
var pictures = new List<string>(Charts.Save(roc, Path.Combine(outputDirectory, "roc-curve"), 640, 600));
Console.WriteLine($"ROC curve: trapezoidal AUC {auc:F4} (ML.NET: {metrics.AreaUnderRocCurve:F4}).");

MlpModelParameters network = model.LastTransformer.Model;
pictures.AddRange(Charts.Save(Charts.TrainingCurves("Titanic: final MLP (16) training loss", "log-loss + L2 penalty, nats per row", [("Adam, learning rate 0.001, L2 0.01", network.LossCurve)]), Path.Combine(outputDirectory, "loss-curve")));

// The accuracy of each step as a bar chart, with one standard deviation over the folds.
var bars = new Plot();
Charts.Label(bars, "Titanic: accuracy as features are added", "feature set", $"{Folds}-fold cross-validated accuracy (fraction correct)");
for (int i = 0; i < accuracies.Count; i++)
{
    var bar = bars.Add.Bar(new Bar { Position = i, Value = accuracies[i].Mean, Error = accuracies[i].Std, FillColor = Charts.Palette(i), Label = $"{accuracies[i].Mean:F3}" });
}

bars.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, accuracies.Count).Select(i => (double)i).ToArray(), ["baseline", "sex", "+ class", "+ age", "+ title"]);
bars.Axes.SetLimitsY(0.5, 0.85);
pictures.AddRange(Charts.Save(bars, Path.Combine(outputDirectory, "accuracy-by-step"), 720, 480));

// 5. Two passengers the model has never seen.
using var engine = mlContext.Model.CreatePredictionEngine<Passenger, Prediction>(model);
foreach (Passenger p in new[]
{
    new Passenger { Name = "Dawson, Mr. Jack", Sex = "male", Age = 20, Class = "3rd" },
    new Passenger { Name = "DeWitt Bukater, Miss. Rose", Sex = "female", Age = 17, Class = "1st" },
})
{
    Console.WriteLine($"{p.Name} ({p.Sex}, {p.Age}, {p.Class} class): P(survives) = {engine.Predict(p).Probability:F3}");
}

Console.WriteLine();
foreach (string path in pictures)
{
    Console.WriteLine($"Wrote {SamplePaths.Display(path)}");
}

Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

static double Median(IEnumerable<float> values)
{
    float[] known = values.Where(v => !float.IsNaN(v)).Order().ToArray();
    return (known[(known.Length - 1) / 2] + known[known.Length / 2]) / 2.0;
}

// "Allen, Miss. Elisabeth Walton" -> "Miss": the word between the comma and the full stop, with the rare ones pooled.
static string Title(string name)
{
    int comma = name.IndexOf(',', StringComparison.Ordinal);
    int stop = comma < 0 ? -1 : name.IndexOf('.', comma);
    string title = stop < 0 ? string.Empty : name[(comma + 1)..stop].Trim();
    return title switch
    {
        "Mr" or "Mrs" or "Miss" or "Master" => title,
        "Mlle" or "Ms" => "Miss",
        "Mme" => "Mrs",
        _ => "rare",
    };
}

/// <summary>One row of titanic.csv.</summary>
internal sealed class Passenger
{
    /// <summary>True when the passenger survived ("yes").</summary>
    [LoadColumn(0)]
    public bool Label { get; set; }

    [LoadColumn(1)]
    public string Sex { get; set; } = string.Empty;

    /// <summary>Age in years; NaN where unknown ("NA").</summary>
    [LoadColumn(2)]
    public float Age { get; set; }

    /// <summary>"1st", "2nd" or "3rd".</summary>
    [LoadColumn(3)]
    public string Class { get; set; } = string.Empty;

    [LoadColumn(4)]
    public string Name { get; set; } = string.Empty;
}

/// <summary>The input of the title mapping.</summary>
internal sealed class NameRow
{
    public string Name { get; set; } = string.Empty;
}

/// <summary>The output of the title mapping.</summary>
internal sealed class TitleRow
{
    public string Title { get; set; } = string.Empty;
}

/// <summary>The label and the predicted probability of survival.</summary>
internal sealed class Prediction
{
    public bool Label { get; set; }

    public float Probability { get; set; }
}
