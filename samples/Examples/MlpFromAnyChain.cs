using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp;

namespace Examples;

/// <summary>
/// Getting the MLP out of any chain: in a multiclass pipeline ending in MapKeyToValue, LastTransformer is the key
/// mapper, not the MLP. A TransformerChain is a list of its transformers: search it.
/// </summary>
public static class MlpFromAnyChain
{
    public static void Run()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromTextFile(
            Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"),
            [new TextLoader.Column("Features", DataKind.Single, 0, 3), new TextLoader.Column("Species", DataKind.String, 4)],
            separatorChar: ',', hasHeader: true);
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(mlContext.MulticlassClassification.Trainers.Mlp(mlContext, hiddenLayerSizes: [8], maximumNumberOfIterations: 500))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        Console.WriteLine($"Last transformer: {model.LastTransformer.GetType().Name}");

        // Any ISingleFeaturePredictionTransformer<MlpModelParameters> in the chain (MlpPredictionTransformer is one),
        // looking inside nested chains too; this also works on the ITransformer that LoadWithMlp returns.
        MlpModelParameters mlp = Flatten(model).OfType<ISingleFeaturePredictionTransformer<MlpModelParameters>>().Single().Model;
        Console.WriteLine($"MLP: hidden layers ({string.Join(", ", mlp.HiddenLayerSizes)}), {mlp.FeatureCount} features, classes {string.Join(", ", mlp.Classes)}, {mlp.EpochsRun} epochs");
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [transformer];
}

// Expected output:
//   Last transformer: KeyToValueMappingTransformer
//   MLP: hidden layers (108, 24), 4 features, classes setosa, versicolor, virginica, 117 epochs
