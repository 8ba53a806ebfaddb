using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Test accuracy on real data sets with scikit-learn's default settings (Adam, learning rate 0.001, relu, L2 1e-4,
/// batch min(200, rows), up to 200 epochs, stopping after 10 epochs without a 1e-4 loss improvement).
/// <para>
/// Split seed 0 and weight seed 0 are the first ones tried, not picked. The thresholds sit near the mean of
/// the spread, not under its minimum: over 10 splits x 4 weight seeds the engine scored 0.930-1.000 (mean 0.972)
/// on breast cancer and 0.933-1.000 (mean 0.976) on wine, over 5 x 3 on digits 0.967-0.984 (mean 0.972);
/// scikit-learn 1.2.1 on the same splits: 0.939-1.000 (0.974), 0.911-1.000 (0.977), 0.960-0.984 (0.973).
/// A different split can fall below a threshold without anything being wrong; a fixed one that does is a regression.
/// </para>
/// </summary>
public class RealDataTests
{
    [Fact]
    public void BreastCancerWithTwoHiddenLayersReaches96Percent()
    {
        double accuracy = TestAccuracy("breast_cancer.csv", "Benign", testFraction: 0.2, stratify: false, hidden: [64, 32]);
        Assert.True(accuracy >= 0.96, $"test accuracy {accuracy:F4}");
    }

    [Fact]
    public void DigitsWithTwoHiddenLayersReaches96Point5Percent()
    {
        double accuracy = TestAccuracy("digits.csv", "Digit", testFraction: 0.25, stratify: true, hidden: [128, 64]);
        Assert.True(accuracy >= 0.965, $"test accuracy {accuracy:F4}");
    }

    [Fact]
    public void WineWithOneHiddenLayerReaches95Percent()
    {
        double accuracy = TestAccuracy("wine.csv", "Cultivar", testFraction: 0.25, stratify: true, hidden: [50]);
        Assert.True(accuracy >= 0.95, $"test accuracy {accuracy:F4}");
    }

    private static double TestAccuracy(string file, string label, double testFraction, bool stratify, int[] hidden)
    {
        Table table = Table.Read(file);
        float[] x = table.Features(label, out int d);
        int[] y = table.ClassLabels(label, out int classes);
        (int[] train, int[] test) = DataTools.Split(y.Length, testFraction, seed: 0, stratify ? y : null);
        float[] trainX = DataTools.Rows(x, d, train);
        float[] testX = DataTools.Rows(x, d, test);
        DataTools.Standardize(trainX, testX, d);
        MlpDataset data = MlpDataset.ForClassification(trainX, d, DataTools.Pick(y, train), classes);
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = hidden, Seed = 0 }).Fit(data);
        return DataTools.Accuracy(model, testX, DataTools.Pick(y, test));
    }
}
