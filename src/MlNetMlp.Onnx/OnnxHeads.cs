using MlNetMlp.Engine;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MlNetMlp.Onnx;

/// <summary>Makes <c>value</c> the graph output of ML.NET column <c>column</c> (<c>type</c>, <c>width</c> values per row).</summary>
internal delegate void PublishColumn(OnnxGraph graph, string column, string value, DataType type, long width);

/// <summary>
/// The ONNX face of an output head (the engine's <c>OutputHead</c>; the adapter's is <c>TaskColumns</c>), one per
/// <see cref="MlpTask"/>: the nodes that turn the network's raw outputs into the columns the task's transformer adds,
/// typed as ML.NET's converter types them. Everything in the ONNX export that depends on the task asks this.
/// </summary>
internal abstract class OnnxHead
{
    /// <summary>The registration: one per <see cref="MlpTask"/>, indexed by its value.</summary>
    private static readonly OnnxHead[] All = [new BinaryOnnxHead(), new MulticlassOnnxHead(), new RegressionOnnxHead()];

    public static OnnxHead For(MlpTask task) => All[(int)OutputHead.For(task).Task];

    /// <summary>
    /// Whether PredictedLabel is an ML.NET key: the standard-zip route then has the graph give the class name and
    /// rebuilds the key with <c>MapValueToKey</c> (ONNX has no keys).
    /// </summary>
    public virtual bool PredictsKey => false;

    /// <summary>Adds the nodes from <paramref name="raw"/> (the output layer, <c>[N, outputs]</c>) and publishes each column.</summary>
    public abstract void Publish(OnnxGraph graph, MlpModel network, string raw, string prefix, PublishColumn publish);
}

/// <summary>Score (the logit), Probability (sigmoid, clipped as the transformer clips it), PredictedLabel (Score &gt; 0).</summary>
internal sealed class BinaryOnnxHead : OnnxHead
{
    public override void Publish(OnnxGraph graph, MlpModel network, string raw, string prefix, PublishColumn publish)
    {
        publish(graph, TaskColumns.Score, raw, DataType.Float, 1);
        string p = graph.Add("Sigmoid", $"{prefix}Sigmoid", [raw]);

        // The transformer's probability bounds, asked of the transformer's own function at the extremes.
        p = graph.Clip(p, BinaryColumns.ProbabilityOf(float.NegativeInfinity), BinaryColumns.ProbabilityOf(float.PositiveInfinity), $"{prefix}Probability");
        publish(graph, TaskColumns.Probability, p, DataType.Float, 1);
        publish(graph, TaskColumns.PredictedLabel, MlpOnnxNodes.Positive(graph, raw, prefix), DataType.Bool, 1);
    }
}

/// <summary>Score (the class probabilities), PredictedLabel (the key of the most probable class: ArgMax + 1).</summary>
internal sealed class MulticlassOnnxHead : OnnxHead
{
    public override bool PredictsKey => true;

    public override void Publish(OnnxGraph graph, MlpModel network, string raw, string prefix, PublishColumn publish)
    {
        string probabilities = MlpOnnxNodes.Probabilities(graph, network, raw, prefix);
        publish(graph, TaskColumns.Score, probabilities, DataType.Float, network.ClassCount);
        string index = MlpOnnxNodes.ArgMax(graph, probabilities, prefix);
        string key = graph.Add("Add", $"{prefix}Key", [index, graph.AddInt64s($"{prefix}OneKey", [1L], 1)]);
        publish(graph, TaskColumns.PredictedLabel, MlpOnnxNodes.Cast(graph, key, DataType.Uint32, $"{prefix}PredictedLabel"), DataType.Uint32, 1);
    }
}

/// <summary>Score (the predictions).</summary>
internal sealed class RegressionOnnxHead : OnnxHead
{
    public override void Publish(OnnxGraph graph, MlpModel network, string raw, string prefix, PublishColumn publish) =>
        publish(graph, TaskColumns.Score, raw, DataType.Float, network.OutputCount);
}
