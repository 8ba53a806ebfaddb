using System;
using MlNetMlp.Engine;
using MlNetMlp.Engine.Kernels;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>The same seed and options give the same bits, whatever the number of threads.</summary>
public class DeterminismTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd early stopping")]
    [InlineData("lbfgs")]
    public void SameSeedGivesBitIdenticalModels(string solver)
    {
        MlpDataset data = Synthetic.Blobs(8, 300, 6, 3, 1.5);
        MlpModel first = new MlpTrainer(Options(solver, seed: 11, threads: 1)).Fit(data);
        MlpModel second = new MlpTrainer(Options(solver, seed: 11, threads: 1)).Fit(data);
        SerializerTests.AssertSameModel(first, second);

        // The seed does matter: another one draws other weights (and batches, and validation rows).
        MlpModel other = new MlpTrainer(Options(solver, seed: 12, threads: 1)).Fit(data);
        Assert.NotEqual(Synthetic.Bits(first.GetParameters()), Synthetic.Bits(other.GetParameters()));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd early stopping")]
    [InlineData("lbfgs")]
    public void OneAndTwoThreadsGiveBitIdenticalModels(string solver)
    {
        MlpDataset data = SplitAcrossThreads();
        MlpOptions one = Options(solver, seed: 3, threads: 1);
        one.HiddenLayerSizes = [SplitHidden];
        one.BatchSize = SplitBatch;
        one.MaxEpochs = 2;
        MlpModel single = FitOnOneAndTwoThreads(one, data);
        Assert.Equal(2, single.EpochsRun);
    }

    /// <summary>Fits <paramref name="data"/> with <paramref name="one"/> on 1 thread and on 2, asserts the two models are the same bits, and returns the first.</summary>
    internal static MlpModel FitOnOneAndTwoThreads(MlpOptions one, MlpDataset data)
    {
        MlpOptions single = one.Clone();
        single.NumberOfThreads = 1;
        MlpOptions two = one.Clone();
        two.NumberOfThreads = 2;
        MlpModel model = new MlpTrainer(single).Fit(data);
        SerializerTests.AssertSameModel(model, new MlpTrainer(two).Fit(data));
        return model;
    }

    /// <summary>Hidden units of <see cref="SplitAcrossThreads"/>'s network.</summary>
    internal const int SplitHidden = 256;

    /// <summary>Batch rows of <see cref="SplitAcrossThreads"/>'s fits.</summary>
    internal const int SplitBatch = 256;

    /// <summary>
    /// 512 rows of 100 features in 4 classes: in batches of <see cref="SplitBatch"/> rows into <see cref="SplitHidden"/>
    /// hidden units, 6.5 million multiply-adds per product, far above the backward pass's parallel threshold, so with
    /// two threads every chunk is split between two workers.
    /// </summary>
    internal static MlpDataset SplitAcrossThreads()
    {
        const int rows = 512, features = 100;
        Assert.True((long)SplitBatch * features * SplitHidden >= 4 * ParallelCost.SerialMultiplyAdds);
        var random = new Random(21);
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)Synthetic.Gaussian(random);
        }

        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = (x[i * features] + x[(i * features) + 1] > 0 ? 1 : 0) + (x[(i * features) + 2] > 0.5f ? 2 : 0);
        }

        return MlpDataset.ForClassification(x, features, labels, 4);
    }

    private static MlpOptions Options(string solver, int seed, int threads) => solver switch
    {
        "adam" => new MlpOptions { HiddenLayerSizes = [16, 8], Seed = seed, MaxEpochs = 8, BatchSize = 32, NumberOfThreads = threads },
        "sgd early stopping" => new MlpOptions
        {
            HiddenLayerSizes = [12],
            Activation = Activation.Tanh,
            Solver = new SgdSolver { LearningRate = 0.05, Schedule = LearningRateSchedule.Adaptive },
            EarlyStopping = true,
            Seed = seed,
            MaxEpochs = 12,
            NumberOfThreads = threads,
        },
        _ => new MlpOptions { HiddenLayerSizes = [10], Solver = new LbfgsSolver(), Seed = seed, MaxEpochs = 15, NumberOfThreads = threads },
    };
}
