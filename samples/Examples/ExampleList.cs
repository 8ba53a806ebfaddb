using System;
using System.Collections.Generic;

namespace Examples;

/// <summary>Every short example by name, for the command line and for the test that checks their expected output.</summary>
public static class ExampleList
{
    /// <summary>Name (the class and file name) and the example's <c>Run</c> method.</summary>
    public static IReadOnlyDictionary<string, Action> All { get; } = new Dictionary<string, Action>
    {
        [nameof(BinaryClassification)] = BinaryClassification.Run,
        [nameof(BinaryClassificationWithOptions)] = BinaryClassificationWithOptions.Run,
        [nameof(MulticlassClassification)] = MulticlassClassification.Run,
        [nameof(MulticlassClassificationWithOptions)] = MulticlassClassificationWithOptions.Run,
        [nameof(Regression)] = Regression.Run,
        [nameof(RegressionWithStandardizedLabel)] = RegressionWithStandardizedLabel.Run,
        [nameof(Solvers)] = Solvers.Run,
        [nameof(EarlyStopping)] = EarlyStopping.Run,
        [nameof(WarmStart)] = WarmStart.Run,
        [nameof(Persistence)] = Persistence.Run,
        [nameof(PermutationFeatureImportance)] = PermutationFeatureImportance.Run,
        [nameof(MlpFromAnyChain)] = MlpFromAnyChain.Run,
    };
}
