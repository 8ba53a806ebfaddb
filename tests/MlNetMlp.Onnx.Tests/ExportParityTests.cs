using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetMlp.Onnx.Tests;

/// <summary>
/// Pipelines with MLPs exported to ONNX and run in ONNX Runtime: every row's outputs equal the ML.NET transformer's
/// within 1e-5 (absolute, or relative beyond 1), for every task and hidden activation, with and without ML.NET
/// transforms in front, dense and sparse.
/// </summary>
public class ExportParityTests
{
    internal const double Tolerance = 1e-5;

    public static TheoryData<MlpTask, Activation> TasksAndActivations()
    {
        var data = new TheoryData<MlpTask, Activation>();
        foreach (MlpTask task in Enum.GetValues<MlpTask>())
        {
            foreach (Activation activation in Enum.GetValues<Activation>())
            {
                data.Add(task, activation);
            }
        }

        return data;
    }

    /// <summary>The featurizer in front: missing-value replacement, one-hot, concatenation, a normalizer.</summary>
    internal static IEstimator<ITransformer> Featurizer(MLContext ml, MlpTask task)
    {
        IEstimator<ITransformer> front = ml.Transforms.ReplaceMissingValues("X2", replacementMode: Microsoft.ML.Transforms.MissingValueReplacingEstimator.ReplacementMode.Mean)
            .Append(ml.Transforms.Categorical.OneHotEncoding("Color"))
            .Append(ml.Transforms.Concatenate("Features", "X1", "X2", "Color"))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"));
        return task == MlpTask.MulticlassClassification ? ml.Transforms.Conversion.MapValueToKey("Label", "ClassLabel").Append(front) : front;
    }

    internal static IEstimator<ITransformer> Trainer(MLContext ml, MlpTask task, Activation activation) => task switch
    {
        MlpTask.BinaryClassification => ml.BinaryClassification.Trainers.Mlp(ml, labelColumnName: "BinaryLabel", hiddenLayerSizes: [7, 5], activation: activation, learningRate: 0.01, maximumNumberOfIterations: 15),
        MlpTask.MulticlassClassification => ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [7, 5], activation: activation, learningRate: 0.01, maximumNumberOfIterations: 15),
        _ => ml.Regression.Trainers.Mlp(ml, labelColumnName: "RegressionLabel", hiddenLayerSizes: [7, 5], activation: activation, learningRate: 0.01, maximumNumberOfIterations: 15),
    };

    [Theory]
    [MemberData(nameof(TasksAndActivations))]
    public void ChainWithTransformsInFrontMatchesInOnnxRuntime(MlpTask task, Activation activation)
    {
        var ml = new MLContext(seed: 3);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 120, seed: 2);
        ITransformer model = Featurizer(ml, task).Append(Trainer(ml, task, activation)).Fit(train);

        byte[] onnx = ml.Model.ConvertToOnnxWithMlp(model, test);
        AssertSameOutputs(task, model.Transform(test), Ort.RunAll(onnx, test), alsoCompare: "Features");
    }

    [Theory]
    [InlineData(MlpTask.BinaryClassification, true)]
    [InlineData(MlpTask.MulticlassClassification, true)]
    [InlineData(MlpTask.Regression, true)]
    [InlineData(MlpTask.BinaryClassification, false)]
    [InlineData(MlpTask.MulticlassClassification, false)]
    [InlineData(MlpTask.Regression, false)]
    public void MlpOnTheInputColumnMatchesForSparseAndDenseInput(MlpTask task, bool sparse)
    {
        var ml = new MLContext(seed: 5);
        IDataView train = Synthetic.Sparse(ml, 300, seed: 1);
        IDataView test = Synthetic.Sparse(ml, 100, seed: 2);
        if (!sparse)
        {
            // The same rows with every vector stored dense.
            train = Densify(ml, train);
            test = Densify(ml, test);
        }

        IEstimator<ITransformer> trainer = task switch
        {
            MlpTask.BinaryClassification => ml.BinaryClassification.Trainers.Mlp(ml, labelColumnName: "BinaryLabel", hiddenLayerSizes: [9], activation: Activation.Tanh, maximumNumberOfIterations: 10),
            MlpTask.MulticlassClassification => ml.Transforms.Conversion.MapValueToKey("Label", "ClassLabel")
                .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [9], activation: Activation.Tanh, maximumNumberOfIterations: 10)),
            _ => ml.Regression.Trainers.Mlp(ml, labelColumnName: "RegressionLabel", hiddenLayerSizes: [9], activation: Activation.Tanh, maximumNumberOfIterations: 10),
        };
        ITransformer model = trainer.Fit(train);

        byte[] onnx = ml.Model.ConvertToOnnxWithMlp(model, test);
        AssertSameOutputs(task, model.Transform(test), Ort.RunAll(onnx, test), alsoCompare: null);
    }

    [Fact]
    public void AMulticlassModelOfTwoClassesGivesTheEnginesClassProbabilities()
    {
        // The head is written from the network's output count (one logistic output, or two softmax outputs), and
        // checked against the engine's own class probabilities for the network, whichever form it has.
        var ml = new MLContext(seed: 6);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 100, seed: 2);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "BinaryLabel")
            .Append(ml.Transforms.Concatenate("Features", "X1"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4], maximumNumberOfIterations: 10))
            .Fit(train);
        var onnx = Ort.RunAll(ml.Model.ConvertToOnnxWithMlp(model, test), test);
        float[] features = Ort.Floats(test, "X1");
        float[] probabilities = onnx["Score.output"].AsTensor<float>().ToArray();
        uint[] keys = onnx["PredictedLabel.output"].AsTensor<uint>().ToArray();
        MlNetMlp.Engine.MlpPredictor predictor = model.LastTransformer.Model.Network.CreatePredictor();
        var expected = new float[2];
        Assert.Equal(2 * features.Length, probabilities.Length);
        for (int i = 0; i < features.Length; i++)
        {
            predictor.PredictProbabilities(features.AsSpan(i, 1), expected);
            Assert.True(Ort.LargestError(expected, probabilities.AsSpan(2 * i, 2)) <= Tolerance, $"row {i}");
            Assert.True(keys[i] == (expected[1] > expected[0] ? 2u : 1u) || expected[0] == expected[1], $"row {i} key");
        }
    }

    [Fact]
    public void TheGraphKeepsMlNetsOpsetAndNamesOutputsAfterTheColumns()
    {
        var ml = new MLContext(seed: 2);
        IDataView data = Synthetic.Table(ml, 100, seed: 1);
        ITransformer model = Featurizer(ml, MlpTask.BinaryClassification).Append(Trainer(ml, MlpTask.BinaryClassification, Activation.Elu)).Fit(data);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(ml.Model.ConvertToOnnxWithMlp(model, data));
        Assert.Equal(12, proto.OpsetImport.Single(o => o.Domain.Length == 0).Version);
        Assert.Equal(new[] { "X1", "X2", "Color", "BinaryLabel", "ClassLabel", "RegressionLabel" }, proto.Graph.Input.Select(i => i.Name));
        string[] outputs = proto.Graph.Output.Select(o => o.Name).ToArray();
        Assert.Contains("Score.output", outputs);
        Assert.Contains("Probability.output", outputs);
        Assert.Contains("PredictedLabel.output", outputs);
        Assert.Contains("Features.output", outputs);
        Assert.Equal(outputs.Length, outputs.Distinct().Count());
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Elu");
    }

    [Fact]
    public void TransformsAfterTheMlpAreJoinedOntoItsOutputs()
    {
        var ml = new MLContext(seed: 8);
        IDataView train = Synthetic.Table(ml, 300, seed: 1);
        IDataView test = Synthetic.Table(ml, 100, seed: 2);
        ITransformer model = Featurizer(ml, MlpTask.MulticlassClassification)
            .Append(Trainer(ml, MlpTask.MulticlassClassification, Activation.Relu))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"))
            .Append(ml.Transforms.NormalizeMinMax("ScaledScore", "Score"))
            .Fit(train);
        IDataView ours = model.Transform(test);

        var outputs = Ort.RunAll(ml.Model.ConvertToOnnxWithMlp(model, test), test);
        AssertSameOutputs(MlpTask.MulticlassClassification, ours, outputs, alsoCompare: "ScaledScore");
        string[] expected = ours.GetColumn<ReadOnlyMemory<char>>("PredictedClass").Select(s => s.ToString()).ToArray();
        Assert.Equal(expected, outputs["PredictedClass.output"].AsTensor<string>().ToArray());
    }

    [Fact]
    public void AChainWithATransformTheConverterRefusesNamesItAndWritesNothing()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Synthetic.Table(ml, 100, seed: 1);
        ITransformer model = ml.Transforms.Concatenate("Features", "X1")
            .Append(ml.Transforms.CustomMapping<Synthetic.Row, Doubled>((row, output) => output.X1Doubled = 2 * row.X1, contractName: null))
            .Append(ml.Regression.Trainers.Mlp(ml, labelColumnName: "RegressionLabel", hiddenLayerSizes: [3], maximumNumberOfIterations: 2))
            .Fit(data);

        using var stream = new MemoryStream();
        var e = Assert.Throws<NotSupportedException>(() => ml.Model.ConvertToOnnxWithMlp(model, data, stream));
        Assert.Contains("Transformer 1 of the pipeline", e.Message);
        Assert.Contains("CustomMappingTransformer", e.Message);
        Assert.Equal(0, stream.Length);
    }

    public sealed class Doubled
    {
        public float X1Doubled { get; set; }
    }

    /// <summary>The graph's Score/Probability/PredictedLabel (and one more float column) against the pipeline's columns, row by row.</summary>
    internal static void AssertSameOutputs(MlpTask task, IDataView ours, IReadOnlyDictionary<string, Microsoft.ML.OnnxRuntime.NamedOnnxValue> onnx, string? alsoCompare)
    {
        float[] score = Ort.Floats(ours, "Score");
        Assert.True(Ort.LargestError(score, onnx["Score.output"].AsTensor<float>().ToArray()) <= Tolerance, "Score differs");
        if (alsoCompare is not null)
        {
            Assert.True(Ort.LargestError(Ort.Floats(ours, alsoCompare), onnx[alsoCompare + ".output"].AsTensor<float>().ToArray()) <= Tolerance, $"{alsoCompare} differs");
        }

        switch (task)
        {
            case MlpTask.BinaryClassification:
                Assert.True(Ort.LargestError(Ort.Floats(ours, "Probability"), onnx["Probability.output"].AsTensor<float>().ToArray()) <= Tolerance, "Probability differs");
                bool[] predicted = ours.GetColumn<bool>("PredictedLabel").ToArray();
                bool[] theirs = onnx["PredictedLabel.output"].AsTensor<bool>().ToArray();
                Assert.Equal(predicted.Length, theirs.Length);
                for (int i = 0; i < predicted.Length; i++)
                {
                    Assert.True(predicted[i] == theirs[i] || score[i] == 0, $"row {i}: PredictedLabel {predicted[i]} vs {theirs[i]} at score {score[i]}");
                }

                break;
            case MlpTask.MulticlassClassification:
                uint[] keys = ours.GetColumn<uint>("PredictedLabel").ToArray();
                uint[] onnxKeys = onnx["PredictedLabel.output"].AsTensor<uint>().ToArray();
                Assert.Equal(keys.Length, onnxKeys.Length);
                int classes = score.Length / keys.Length;
                for (int i = 0; i < keys.Length; i++)
                {
                    var row = score.AsSpan(i * classes, classes);
                    float top = row[(int)keys[i] - 1];
                    bool tie = row.ToArray().Count(p => p == top) > 1;
                    Assert.True(keys[i] == onnxKeys[i] || tie, $"row {i}: PredictedLabel {keys[i]} vs {onnxKeys[i]}");
                }

                break;
        }
    }

    private static IDataView Densify(MLContext ml, IDataView sparse)
    {
        var rows = ml.Data.CreateEnumerable<Synthetic.SparseRow>(sparse, reuseRowObject: false).ToList();
        foreach (Synthetic.SparseRow row in rows)
        {
            row.Features = new VBuffer<float>(Synthetic.Width, row.Features.DenseValues().ToArray());
        }

        return ml.Data.LoadFromEnumerable(rows);
    }
}
