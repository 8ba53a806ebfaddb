using System;
using System.Collections.Generic;
using MlNetMlp.Engine;
using Xunit;
using Xunit.Abstractions;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// The up-front memory check's estimate (<see cref="MlpTrainer.FitBytes"/>, from what each solver states per
/// parameter) covers what a fit really allocates, for every solver, without overstating it by much (issue 11, item 10).
/// </summary>
public class MemoryEstimateTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Solvers()
    {
        yield return ["adam", new MlpOptions { Solver = new AdamSolver() }];
        yield return ["adam, early stopping", new MlpOptions { Solver = new AdamSolver(), EarlyStopping = true }];
        yield return ["sgd", new MlpOptions { Solver = new SgdSolver() }];
        yield return ["lbfgs", new MlpOptions { Solver = new LbfgsSolver() }];
        yield return ["lbfgs, history 30", new MlpOptions { Solver = new LbfgsSolver { HistorySize = 30 } }];
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void TheEstimateCoversWhatAFitAllocates(string name, MlpOptions options)
    {
        // Blobs, 2000 x 64, into [256, 128] (50k parameters): parameters and solver state dominate, as they do where the check matters.
        MlpDataset data = Synthetic.Blobs(seed: 1, rows: 2000, features: 64, classes: 5, separation: 2);
        options.HiddenLayerSizes = [256, 128];
        options.MaxEpochs = 2;
        options.Seed = 1;
        options.NumberOfThreads = 1;
        var trainer = new MlpTrainer(options);
        trainer.Fit(data);

        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpModel model = trainer.Fit(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long estimate = MlpTrainer.FitBytes(trainer.Options, data, model.Layout, incremental: false);
        double ratio = (double)estimate / allocated;
        output.WriteLine($"{name}: estimate {estimate:N0} bytes, allocated {allocated:N0} bytes, ratio {ratio:F3}");
        Assert.True(allocated <= estimate, $"{name}: allocated {allocated:N0} bytes, estimated {estimate:N0}");
        Assert.True(ratio <= 1.25, $"{name}: estimated {estimate:N0} bytes, {ratio:F3}x the {allocated:N0} allocated");
    }
}
