using System;
using MlNetMlp.Engine;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MlNetMlp.Onnx;

/// <summary>
/// An MLP as ONNX nodes: one Gemm per layer (<c>Z = X W + b</c>, W stored as <c>(inputs, outputs)</c> as
/// <see cref="MlpModel.GetWeights"/> gives it), each hidden activation as its ONNX operator, and the output heads.
/// Every operator used exists from opset 7 on (Clip changes form at 11 and <see cref="OnnxGraph.Clip"/> writes
/// either); <see cref="MinimumOpset"/> is that floor.
/// </summary>
internal static class MlpOnnxNodes
{
    /// <summary>
    /// The lowest default-domain opset these nodes need: Gemm-7 (bias broadcast without the <c>broadcast</c>
    /// attribute) and Greater/Add/Sub-7 (numpy broadcasting); Sigmoid, Tanh, Relu, LeakyRelu, Elu (6), Softmax,
    /// ArgMax (1), Concat (4) and Cast (6) are older.
    /// </summary>
    public const int MinimumOpset = 7;

    /// <summary>Appends the forward pass reading <paramref name="input"/> <c>[N, InputCount]</c>; returns the raw output layer <c>[N, OutputCount]</c>.</summary>
    public static string Forward(OnnxGraph graph, MlpModel network, string input, string prefix)
    {
        string x = input;
        for (int l = 0; l < network.LayerCount; l++)
        {
            float[,] w = network.GetWeights(l);
            int k = w.GetLength(0);
            int n = w.GetLength(1);
            var flat = new float[k * n];
            Buffer.BlockCopy(w, 0, flat, 0, flat.Length * sizeof(float));
            string weights = graph.AddFloats($"{prefix}W{l}", flat, k, n);
            string biases = graph.AddFloats($"{prefix}B{l}", network.GetBiases(l), n);
            x = graph.Add("Gemm", $"{prefix}Z{l}", [x, weights, biases]);
            if (l + 1 < network.LayerCount)
            {
                x = Activate(graph, network, x, $"{prefix}H{l}");
            }
        }

        return x;
    }

    /// <summary>
    /// Class probabilities <c>[N, classes]</c> from the raw output layer: softmax over several outputs, or
    /// <c>[1 - p, p]</c> with <c>p = sigmoid(z)</c> for a network with one logistic output.
    /// </summary>
    public static string Probabilities(OnnxGraph graph, MlpModel network, string raw, string prefix)
    {
        if (network.OutputCount > 1)
        {
            return graph.Add("Softmax", $"{prefix}Probabilities", [raw], OnnxGraph.Int("axis", 1));
        }

        string p = graph.Add("Sigmoid", $"{prefix}P", [raw]);
        string q = graph.Add("Sub", $"{prefix}Q", [graph.AddFloats($"{prefix}One", [1f]), p]);
        return graph.Add("Concat", $"{prefix}Probabilities", [q, p], OnnxGraph.Int("axis", 1));
    }

    /// <summary>The 0-based index of the largest value of each row <c>[N, 1]</c>, int64; ties go to the first, as the engine's predictor decides.</summary>
    public static string ArgMax(OnnxGraph graph, string values, string prefix) =>
        graph.Add("ArgMax", $"{prefix}ArgMax", [values], OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 1));

    /// <summary><c>z &gt; 0</c> of each row <c>[N, 1]</c>, Boolean: the binary decision rule.</summary>
    public static string Positive(OnnxGraph graph, string raw, string prefix) =>
        graph.Add("Greater", $"{prefix}Positive", [raw, graph.AddFloats($"{prefix}Zero", [0f])]);

    public static string Cast(OnnxGraph graph, string value, DataType to, string outputStem) =>
        graph.Add("Cast", outputStem, [value], OnnxGraph.Int("to", (long)to));

    /// <summary>The hidden activation as the activation table names its ONNX operator (none for identity).</summary>
    private static string Activate(OnnxGraph graph, MlpModel network, string z, string name)
    {
        (string? op, float? alpha) = network.HiddenActivation.Function.Onnx;
        return op is null ? z
            : alpha is float a ? graph.Add(op, name, [z], OnnxGraph.Float("alpha", a))
            : graph.Add(op, name, [z]);
    }
}
