using System;
using System.Linq;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>Dropout and label smoothing: their gradients, their values, determinism, and what they must not change.</summary>
public class DropoutAndLabelSmoothingTests
{
    private const ulong Key = 0x1234_5678_9ABC_DEF0UL;
    private const long Step = 41;

    /// <summary>
    /// The backward pass with dropout 0.3 and label smoothing 0.2 against central differences of the double-precision
    /// reference with the same mask (<see cref="Dropout.Keeps"/> times <see cref="Dropout.Scale"/>) and the smoothed
    /// cross-entropy written from its definition. 23 rows in chunks of 10, so rows 10-22 keep their batch positions.
    /// </summary>
    [Theory]
    [InlineData("binary")]
    [InlineData("multiclass")]
    [InlineData("regression")]
    public void GradientWithDropoutAndSmoothingMatchesCentralDifferences(string task)
    {
        const double rate = 0.3, smoothing = 0.2;
        var dropout = new Dropout(rate, Key, Step);
        var random = new Random(5);
        int rows = 23, features = 5;
        MlpDataset data = GradientCheckTests.RandomData(random, task, rows, features, weighted: true);
        int[] sizes = [features, 9, 6, data.OutputCount];
        var layout = new ParameterLayout(sizes);
        float[] parameters = Enumerable.Range(0, layout.Count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var backprop = new Backprop(layout, new HiddenActivation(Activation.Relu, 0.01f, 1f), capacity: 10, threads: 1)
        {
            DropoutRate = rate,
            DropoutKey = Key,
            DropoutStep = Step,
            LabelSmoothing = smoothing,
        };
        var gradient = new float[layout.Count];
        int[] all = Enumerable.Range(0, rows).ToArray();
        const double l2 = 0.1;
        double loss = backprop.LossAndGradient(parameters, data, all, l2, gradient);

        double Reference(double[] p) => ReferenceMlp.Loss(
            p, sizes, x => Math.Max(0, x), data, l2, SmoothedLoss(smoothing), (row, layer, unit) => dropout.Keeps(row, layer, unit) ? dropout.Scale : 0);
        double[] p = parameters.Select(v => (double)v).ToArray();
        Assert.Equal(Reference(p), loss, 1e-5);

        double relativeError = GradientCheckTests.RelativeError(Reference, p, gradient);
        Assert.True(relativeError < 1e-4, $"relative gradient error {relativeError:E3} for {task}");

        // The mask did something: without dropout the loss is another number.
        backprop.DropoutRate = 0;
        Assert.NotEqual(loss, backprop.LossAndGradient(parameters, data, all, l2, gradient), 6);
    }

    /// <summary>The smoothed cross-entropy of one row from its definition: <c>-Σ t_j log p_j</c>, <c>t = (1 - ε) onehot(y) + ε / K</c>.</summary>
    private static Func<double[], MlpDataset, int, double> SmoothedLoss(double smoothing) => (outputs, data, row) =>
    {
        if (data.Task == MlpTask.Regression)
        {
            return 0.5 * outputs.Select((o, j) => Math.Pow(o - data.Targets![(row * outputs.Length) + j], 2)).Sum();
        }

        double[] probabilities = data.Task == MlpTask.BinaryClassification
            ? [1 - ReferenceMlp.Sigmoid(outputs[0]), ReferenceMlp.Sigmoid(outputs[0])]
            : ReferenceMlp.Softmax(outputs);
        int label = data.Labels![row];
        double total = 0;
        for (int j = 0; j < probabilities.Length; j++)
        {
            double target = ((j == label ? 1 : 0) * (1 - smoothing)) + (smoothing / probabilities.Length);
            total -= target * Math.Log(probabilities[j]);
        }

        return total;
    };

    /// <summary>Label smoothing worked by hand for one row of each classifier head, and the unsmoothed loss unchanged at ε = 0.</summary>
    [Fact]
    public void SmoothedLossAndDeltaAreTheHandComputedValues()
    {
        // Softmax, logits (2, -1, 0.5), label 0, ε = 0.1: t = (0.9333.., 0.0333.., 0.0333..).
        MlpDataset three = MlpDataset.ForClassification([0f], 1, [0], 3);
        float[] z = [2f, -1f, 0.5f];
        var loss = new double[1];
        three.Head.ToDelta(three, [0], z, loss, 0.1f);
        double lse = Math.Log(Math.Exp(2) + Math.Exp(-1) + Math.Exp(0.5));
        double[] t = [0.9 + (0.1 / 3), 0.1 / 3, 0.1 / 3];
        Assert.Equal(lse - ((t[0] * 2) + (t[1] * -1) + (t[2] * 0.5)), loss[0], 1e-6);
        Assert.Equal(Math.Exp(2 - lse) - t[0], z[0], 1e-6);
        Assert.Equal(Math.Exp(-1 - lse) - t[1], z[1], 1e-6);
        Assert.Equal(Math.Exp(0.5 - lse) - t[2], z[2], 1e-6);

        // Logistic, logit 1.5, label 1, ε = 0.2: t = 0.9.
        MlpDataset two = MlpDataset.ForClassification([0f], 1, [1], 2);
        float[] logit = [1.5f];
        two.Head.ToDelta(two, [0], logit, loss, 0.2f);
        Assert.Equal(Math.Log(1 + Math.Exp(1.5)) - (0.9 * 1.5), loss[0], 1e-6);
        Assert.Equal((1 / (1 + Math.Exp(-1.5))) - 0.9, logit[0], 1e-6);

        // ε = 0 is the plain cross-entropy.
        float[] plain = [2f, -1f, 0.5f];
        three.Head.ToDelta(three, [0], plain, loss);
        Assert.Equal(lse - 2, loss[0], 1e-6);
    }

    [Fact]
    public void DropoutDropsItsRateAndScalesTheRest()
    {
        var dropout = new Dropout(0.25, Key, Step);
        Assert.Equal(1f / 0.75f, dropout.Scale);
        int dropped = 0, units = 0;
        var row = new float[257];
        for (int position = 0; position < 400; position++)
        {
            Array.Fill(row, 2f);
            dropout.Apply(row, position, 1);
            for (int u = 0; u < row.Length; u++, units++)
            {
                Assert.Equal(dropout.Keeps(position, 1, u) ? 2f * dropout.Scale : 0f, row[u]);
                dropped += row[u] == 0 ? 1 : 0;
            }
        }

        Assert.InRange((double)dropped / units, 0.24, 0.26);

        // Another step, layer or position drops other units; the same ones drop again for the same key.
        bool[] Mask(Dropout d, int position, int layer) => Enumerable.Range(0, 257).Select(u => d.Keeps(position, layer, u)).ToArray();
        Assert.Equal(Mask(dropout, 3, 1), Mask(new Dropout(0.25, Key, Step), 3, 1));
        Assert.NotEqual(Mask(dropout, 3, 1), Mask(new Dropout(0.25, Key, Step + 1), 3, 1));
        Assert.NotEqual(Mask(dropout, 3, 1), Mask(dropout, 3, 2));
        Assert.NotEqual(Mask(dropout, 3, 1), Mask(dropout, 4, 1));
        Assert.False(new Dropout(0, Key, Step).IsActive);
    }

    /// <summary>
    /// With dropout and label smoothing, any chunk size and thread count give the same loss and gradient bits (the mask
    /// follows each row's position in the batch, not in its chunk), through the parallel phases and layer by layer.
    /// </summary>
    [Fact]
    public void AnyChunkSizeAndThreadCountGiveTheSameBits()
    {
        var random = new Random(8);
        const int rows = 96;
        MlpDataset data = GradientCheckTests.RandomData(random, "multiclass", rows, 20, weighted: true);
        var layout = new ParameterLayout([20, 64, 300, data.OutputCount]);
        float[] parameters = Enumerable.Range(0, layout.Count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.4)).ToArray();
        int[] batch = Enumerable.Range(0, rows).Reverse().ToArray();
        Backprop Make(int capacity, int threads) => new(layout, new HiddenActivation(Activation.Relu, 0.01f, 1f), capacity, threads)
        {
            DropoutRate = 0.2,
            DropoutKey = Key,
            DropoutStep = Step,
            LabelSmoothing = 0.1,
        };
        var expected = new float[layout.Count];
        double expectedLoss = Make(rows, 1).LossAndGradient(parameters, data, batch, 0.3, expected);
        ChunkingTests.AssertSameBits(expectedLoss, expected, [(rows, 2), (40, 1), (40, 2), (24, 1), (8, 2), (5, 1)], Make, parameters, data, batch);
    }

    /// <summary>Sparse rows (their first layer multiplied over stored values) are dropped as the same rows dense are, for every chunk size and thread count.</summary>
    [Fact]
    public void SparseRowsGetTheDenseRowsMask()
    {
        (MlpDataset dense, MlpDataset sparse) = SparseRowsTests.Both(6, 96, 40, 3);
        var layout = new ParameterLayout([40, 64, 300, 3]);
        var random = new Random(8);
        float[] parameters = Enumerable.Range(0, layout.Count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.4)).ToArray();
        int[] batch = Enumerable.Range(0, 96).Reverse().ToArray();
        Backprop Make(int capacity, int threads, bool sparseInput) => new(layout, new HiddenActivation(Activation.Relu, 0.01f, 1f), capacity, threads, sparseInput)
        {
            DropoutRate = 0.25,
            DropoutKey = Key,
            DropoutStep = Step,
            LabelSmoothing = 0.1,
        };
        var expected = new float[layout.Count];
        double expectedLoss = Make(96, 1, sparseInput: false).LossAndGradient(parameters, dense, batch, 0.3, expected);
        ChunkingTests.AssertSameBits(expectedLoss, expected, SparseRowsTests.SparseCases, (capacity, threads) => Make(capacity, threads, sparseInput: true), parameters, sparse, batch);
    }

    /// <summary>A fit with dropout and label smoothing gives the same bits on one and two threads (batches split between them), and differs from the fit without either.</summary>
    [Fact]
    public void FitsWithDropoutAreBitIdenticalAcrossThreads()
    {
        MlpDataset data = DeterminismTests.SplitAcrossThreads();
        var one = new MlpOptions
        {
            HiddenLayerSizes = [DeterminismTests.SplitHidden, 32],
            BatchSize = DeterminismTests.SplitBatch,
            MaxEpochs = 2,
            Seed = 9,
            NumberOfThreads = 1,
            Dropout = 0.2,
            LabelSmoothing = 0.1,
        };
        MlpModel single = DeterminismTests.FitOnOneAndTwoThreads(one, data);

        MlpOptions without = one.Clone();
        without.Dropout = 0;
        Assert.NotEqual(Synthetic.Bits(single.GetParameters()), Synthetic.Bits(new MlpTrainer(without).Fit(data).GetParameters()));
        MlpOptions unsmoothed = one.Clone();
        unsmoothed.LabelSmoothing = 0;
        Assert.NotEqual(Synthetic.Bits(single.GetParameters()), Synthetic.Bits(new MlpTrainer(unsmoothed).Fit(data).GetParameters()));
    }

    /// <summary>
    /// Dropout is off at prediction: the forward pass that scores held-out rows ignores a dropout rate set for training,
    /// the trained model's scores are the same for every call, and it reloads from the model file with the same scores.
    /// </summary>
    [Fact]
    public void AModelTrainedWithDropoutPredictsDeterministicallyAndReloads()
    {
        MlpDataset data = Synthetic.Blobs(3, 400, 6, 3, 4);
        MlpModel model = new MlpTrainer(new MlpOptions { HiddenLayerSizes = [32, 16], Seed = 4, MaxEpochs = 40, BatchSize = 32, Dropout = 0.3, LabelSmoothing = 0.1 }).Fit(data);
        int[] rows = Enumerable.Range(0, 64).ToArray();
        var plain = new Backprop(model.Layout, model.HiddenActivation, 64, threads: 1);
        var dropping = new Backprop(model.Layout, model.HiddenActivation, 64, threads: 1) { DropoutRate = 0.3, DropoutKey = Key, DropoutStep = Step };
        float[] withoutDropout = plain.Forward(model.Parameters, data, rows).ToArray();
        Assert.Equal(withoutDropout, dropping.Forward(model.Parameters, data, rows).ToArray());

        float[] scores = Synthetic.Scores(model, data);
        Assert.Equal(scores, Synthetic.Scores(model, data));
        Assert.True(Synthetic.Accuracy(model, data) > 0.9, $"accuracy {Synthetic.Accuracy(model, data)}");

        using var stream = new System.IO.MemoryStream();
        MlpModelSerializer.Save(model, stream);
        stream.Position = 0;
        MlpModel loaded = MlpModelSerializer.Load(stream);
        Assert.Equal(scores, Synthetic.Scores(loaded, data));
    }

    [Fact]
    public void BadSettingsAreNamed()
    {
        ArgumentException Error(MlpOptions options) => Assert.ThrowsAny<ArgumentException>(() => new MlpTrainer(options));
        Assert.Equal("Dropout", Error(new MlpOptions { Dropout = 1 }).ParamName);
        Assert.Contains("[0, 1)", Error(new MlpOptions { Dropout = -0.5 }).Message);
        ArgumentException tanh = Error(new MlpOptions { Dropout = 0.1, Activation = Activation.Tanh });
        Assert.Equal("Dropout", tanh.ParamName);
        Assert.Contains("Relu", tanh.Message);
        ArgumentException lbfgs = Error(new MlpOptions { Dropout = 0.1, Solver = new LbfgsSolver() });
        Assert.Equal("Dropout", lbfgs.ParamName);
        Assert.Contains("mini-batch", lbfgs.Message);
        Assert.Equal("LabelSmoothing", Error(new MlpOptions { LabelSmoothing = 1 }).ParamName);
        Assert.Contains("NaN", Error(new MlpOptions { LabelSmoothing = double.NaN }).Message);
    }
}
