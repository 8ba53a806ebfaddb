using System;
using System.IO;
using Google.Protobuf;
using MlNetMlp.Engine;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MlNetMlp.Onnx;

/// <summary>
/// Exports an engine <see cref="MlpModel"/> on its own (no ML.NET pipeline) as an ONNX model of opset
/// <see cref="Opset"/>. The graph reads <c>Features</c> (float, <c>[N, InputCount]</c>) and writes
/// <list type="bullet">
/// <item><c>Score</c> (float, <c>[N, OutputCount]</c>): the raw output layer, as <see cref="MlpPredictor.ComputeScores(ReadOnlySpan{float}, Span{float})"/>;</item>
/// <item>classifiers also <c>Probabilities</c> (float, <c>[N, ClassCount]</c>, as <see cref="MlpPredictor.PredictProbabilities"/>)
/// and <c>PredictedClass</c> (int64, <c>[N, 1]</c>, 0-based, as <see cref="MlpPredictor.PredictClass"/>).</item>
/// </list>
/// </summary>
public static class MlpOnnx
{
    /// <summary>The ONNX opset of the exported graph: the lowest in which every operator it uses has its current meaning.</summary>
    public const int Opset = MlpOnnxNodes.MinimumOpset;

    /// <summary>The ONNX IR version written (IR 3 is the first with opset imports; ONNX Runtime reads IR 7 from release 1.6 on).</summary>
    public const long IrVersion = 7;

    /// <summary>Name of the graph's input.</summary>
    public const string FeaturesName = "Features";

    /// <summary>Name of the raw-output graph output.</summary>
    public const string ScoreName = "Score";

    /// <summary>Name of the class-probability graph output (classifiers).</summary>
    public const string ProbabilitiesName = "Probabilities";

    /// <summary>Name of the predicted-class graph output (classifiers).</summary>
    public const string PredictedClassName = "PredictedClass";

    /// <summary>Writes <paramref name="model"/> as an ONNX model to <paramref name="stream"/>; nothing is written if the export fails.</summary>
    public static void ConvertToOnnx(MlpModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes = ToModelProto(model).ToByteArray();
        stream.Write(bytes, 0, bytes.Length);
    }

    /// <summary>The ONNX model of <paramref name="model"/> as bytes.</summary>
    public static byte[] ConvertToOnnx(MlpModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ToModelProto(model).ToByteArray();
    }

    internal static ModelProto ToModelProto(MlpModel model)
    {
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MlNetMlp",
            ProducerVersion = typeof(MlpOnnx).Assembly.GetName().Version?.ToString() ?? string.Empty,
            Graph = new GraphProto { Name = "MlpModel" },
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        var graph = new OnnxGraph(proto.Graph, Opset);
        proto.Graph.Input.Add(OnnxGraph.ValueInfo(graph.Unique(FeaturesName), DataType.Float, null, model.InputCount));
        graph.Unique(ScoreName);
        graph.Unique(ProbabilitiesName);
        graph.Unique(PredictedClassName);

        string raw = MlpOnnxNodes.Forward(graph, model, FeaturesName, "mlp_");
        graph.AddNamed("Identity", ScoreName, [raw]);
        graph.AddOutput(ScoreName, DataType.Float, null, model.OutputCount);
        if (!OutputHead.For(model.Task).IsClassifier)
        {
            return proto;
        }

        string probabilities = MlpOnnxNodes.Probabilities(graph, model, raw, "mlp_");
        graph.AddNamed("Identity", ProbabilitiesName, [probabilities]);
        graph.AddOutput(ProbabilitiesName, DataType.Float, null, model.ClassCount);

        // PredictClass decides on the raw outputs (the sign of the logit; the largest logit).
        string predicted = model.OutputCount == 1
            ? MlpOnnxNodes.Cast(graph, MlpOnnxNodes.Positive(graph, raw, "mlp_"), DataType.Int64, "mlp_Class")
            : MlpOnnxNodes.ArgMax(graph, raw, "mlp_");
        graph.AddNamed("Identity", PredictedClassName, [predicted]);
        graph.AddOutput(PredictedClassName, DataType.Int64, null, 1);
        return proto;
    }
}
