// The engine on its own, without ML.NET: breast cancer, 80/20 split, standardized, (64, 32) relu Adam.
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using MlNetMlp;
using MlNetMlp.Engine;

string path = Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");
float[][] rows = File.ReadLines(path).Skip(1)
    .Select(line => line.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
    .ToArray();
const int featureCount = 30;

// A seeded 80/20 split.
var random = new Random(42);
int[] order = Enumerable.Range(0, rows.Length).OrderBy(_ => random.Next()).ToArray();
int testCount = rows.Length / 5;
int[] test = order[..testCount];
int[] train = order[testCount..];

// Standardize with the training rows' mean and standard deviation.
var mean = new double[featureCount];
var scale = new double[featureCount];
for (int j = 0; j < featureCount; j++)
{
    mean[j] = train.Average(i => rows[i][j]);
    scale[j] = Math.Sqrt(train.Average(i => Math.Pow(rows[i][j] - mean[j], 2)));
}

float[] Features(int[] indices) =>
    indices.SelectMany(i => Enumerable.Range(0, featureCount).Select(j => (float)((rows[i][j] - mean[j]) / scale[j]))).ToArray();
int[] Labels(int[] indices) => indices.Select(i => (int)rows[i][featureCount]).ToArray();

var trainer = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [64, 32], Activation = Activation.Relu, Solver = new AdamSolver(), Seed = 42 });
MlpModel model = trainer.Fit(
    MlpDataset.ForClassification(Features(train), featureCount, Labels(train), classCount: 2),
    progress: r => { if (r.Epoch % 50 == 0) Console.WriteLine($"epoch {r.Epoch,4}  loss {r.Loss:F6}"); });

MlpPredictor predictor = model.CreatePredictor();
float[] testFeatures = Features(test);
int[] testLabels = Labels(test);
var confusion = new int[2, 2];
for (int r = 0; r < test.Length; r++)
{
    confusion[testLabels[r], predictor.PredictClass(testFeatures.AsSpan(r * featureCount, featureCount))]++;
}

double accuracy = (confusion[0, 0] + confusion[1, 1]) / (double)test.Length;
Console.WriteLine($"Trained {model.EpochsRun} epochs ({model.History.StopMessage}); final loss {model.History.FinalLoss:F6}.");
Console.WriteLine($"Test accuracy: {accuracy:F4} on {test.Length} rows");
Console.WriteLine($"Confusion matrix (rows: actual malignant/benign, columns: predicted): [{confusion[0, 0]}, {confusion[0, 1]}] [{confusion[1, 0]}, {confusion[1, 1]}]");
