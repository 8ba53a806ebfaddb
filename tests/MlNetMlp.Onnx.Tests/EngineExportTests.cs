using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Onnx.Tests;

/// <summary>An engine <see cref="MlpModel"/> exported alone: ONNX Runtime's outputs equal the predictor's on every row.</summary>
public class EngineExportTests
{
    public static TheoryData<MlpTask, int, Activation> Cases()
    {
        var data = new TheoryData<MlpTask, int, Activation>();
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            data.Add(MlpTask.BinaryClassification, 1, activation);
            data.Add(MlpTask.MulticlassClassification, 4, activation);
            data.Add(MlpTask.Regression, 2, activation);
        }

        data.Add(MlpTask.MulticlassClassification, 2, Activation.Relu);
        data.Add(MlpTask.Regression, 1, Activation.Tanh);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeGivesThePredictorsOutputs(MlpTask task, int outputs, Activation activation)
    {
        const int inputs = 6;
        const int rows = 200;
        int[] hidden = [11, 7];
        var random = new Random(17);
        int count = (inputs * 11) + (11 * 7) + (7 * outputs) + 11 + 7 + outputs;
        float[] parameters = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        MlpModel model = MlpModel.FromParameters(task, inputs, hidden, outputs, activation, parameters, leakyReluSlope: 0.07f, eluAlpha: 0.6f);
        float[] x = Enumerable.Range(0, rows * inputs).Select(_ => (float)((random.NextDouble() * 6) - 3)).ToArray();

        using var session = new InferenceSession(MlpOnnx.ConvertToOnnx(model));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(MlpOnnx.FeaturesName, new DenseTensor<float>(x, [rows, inputs]))]);
        MlpPredictor predictor = model.CreatePredictor();
        var expected = new float[rows * outputs];
        predictor.ComputeScores(x, rows, expected);
        Tensor<float> score = results.Single(r => r.Name == MlpOnnx.ScoreName).AsTensor<float>();
        Assert.Equal([rows, outputs], score.Dimensions.ToArray());
        Assert.True(Ort.LargestError(expected, score.ToArray()) <= ExportParityTests.Tolerance);
        if (task == MlpTask.Regression)
        {
            Assert.Single(results);
            return;
        }

        float[] probabilities = results.Single(r => r.Name == MlpOnnx.ProbabilitiesName).AsTensor<float>().ToArray();
        long[] classes = results.Single(r => r.Name == MlpOnnx.PredictedClassName).AsTensor<long>().ToArray();
        var row = new float[model.ClassCount];
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> features = x.AsSpan(i * inputs, inputs);
            predictor.PredictProbabilities(features, row);
            Assert.True(Ort.LargestError(row, probabilities.AsSpan(i * model.ClassCount, model.ClassCount)) <= ExportParityTests.Tolerance, $"row {i} probabilities");
            Assert.Equal(predictor.PredictClass(features), classes[i]);
        }
    }

    [Fact]
    public void TheGraphDeclaresOpset7AndTheEngineShapes()
    {
        MlpModel model = MlpModel.FromParameters(MlpTask.MulticlassClassification, 3, [4], 3, Activation.Elu, new float[(3 * 4) + (4 * 3) + 4 + 3]);
        using var session = new InferenceSession(MlpOnnx.ConvertToOnnx(model));
        Assert.Equal(7, MlpOnnx.Opset);
        Assert.Equal(new[] { -1, 3 }, session.InputMetadata[MlpOnnx.FeaturesName].Dimensions);
        Assert.Equal(new[] { MlpOnnx.ScoreName, MlpOnnx.ProbabilitiesName, MlpOnnx.PredictedClassName }, session.OutputMetadata.Keys.ToArray());
        Assert.Equal(typeof(long), session.OutputMetadata[MlpOnnx.PredictedClassName].ElementType);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(MlpOnnx.ConvertToOnnx(model));
        Assert.Equal(7, proto.OpsetImport.Single().Version);
    }
}
