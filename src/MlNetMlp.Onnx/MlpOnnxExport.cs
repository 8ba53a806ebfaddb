using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MlNetMlp;

/// <summary>
/// Exports fitted pipelines that contain MLP models to ONNX. The chain is split at each
/// <see cref="MlpPredictionTransformer"/> (as <see cref="MlpModelOperations.SaveWithMlp(ModelOperationsCatalog, ITransformer, DataViewSchema, Stream)"/>
/// splits it): each run of ML.NET transformers goes through ML.NET's own converter (<c>mlContext.Model.ConvertToOnnx</c>),
/// each MLP becomes ONNX nodes reading the graph value of its features column, and the pieces are joined into one
/// graph. Like ML.NET's converter, the graph has one input per input column (named as the column) and one output per
/// column of the pipeline's output, named <c>&lt;column&gt;.output</c> (ML.NET's <c>ApplyOnnxModel</c> strips the suffix).
/// </summary>
/// <remarks>
/// The MLP's columns in the graph: binary <c>Score.output</c> (float <c>[N,1]</c>, the logit), <c>Probability.output</c>
/// (float <c>[N,1]</c>, sigmoid of the logit kept inside (0, 1) as the ML.NET transformer keeps it),
/// <c>PredictedLabel.output</c> (bool <c>[N,1]</c>, logit &gt; 0); multiclass <c>Score.output</c> (float <c>[N,C]</c>, the
/// softmax probabilities), <c>PredictedLabel.output</c> (uint32 <c>[N,1]</c>, the key: 1 + the index of the largest
/// probability); regression <c>Score.output</c> (float <c>[N,1]</c>). The opset is ML.NET's converter's (12 by default);
/// the MLP nodes need opset 7 or later.
/// </remarks>
public static class MlpOnnxExport
{
    private const string OutputSuffix = ".output";

    /// <summary>
    /// Writes <paramref name="model"/> (any chain of ML.NET transformers and MLP models) as one ONNX graph to
    /// <paramref name="stream"/>. <paramref name="data"/> gives the input schema (its rows are not read). The graph is
    /// built in memory and written only when complete.
    /// </summary>
    /// <exception cref="NotSupportedException">A transformer in the chain has no ONNX conversion; the message names it.</exception>
    public static void ConvertToOnnxWithMlp(this ModelOperationsCatalog catalog, ITransformer model, IDataView data, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes = Export(catalog, model, data).ToByteArray();
        stream.Write(bytes, 0, bytes.Length);
    }

    /// <summary>The ONNX graph of <paramref name="model"/> as bytes; see <see cref="ConvertToOnnxWithMlp(ModelOperationsCatalog, ITransformer, IDataView, Stream)"/>.</summary>
    public static byte[] ConvertToOnnxWithMlp(this ModelOperationsCatalog catalog, ITransformer model, IDataView data) =>
        Export(catalog, model, data).ToByteArray();

    internal static ModelProto Export(ModelOperationsCatalog catalog, ITransformer model, IDataView data)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var leaves = new List<ITransformer>();
        MlpModelOperations.Flatten(model, leaves);

        // Each ML.NET run is converted on a rowless view of the visible columns in front of it (see SchemaOnlyView).
        IDataView view = new SchemaOnlyView(data.Schema);
        ModelProto? proto = null;
        OnnxGraph? graph = null;
        var run = new List<ITransformer>();
        int mlpIndex = 0;
        int runIndex = 0;
        for (int i = 0; i <= leaves.Count; i++)
        {
            ITransformer? leaf = i < leaves.Count ? leaves[i] : null;
            if (leaf is not null and not MlpPredictionTransformer)
            {
                run.Add(leaf);
                continue;
            }

            // The ML.NET run before this MLP (or before the end): always converted first, even when empty, since
            // ML.NET's converter writes the graph inputs of the pipeline's input columns.
            if (run.Count > 0 || proto is null)
            {
                ModelProto part = ConvertRun(catalog, run, view, i - run.Count);
                if (proto is null)
                {
                    proto = part;
                    graph = new OnnxGraph(proto.Graph, DefaultOpset(proto));
                }
                else
                {
                    Merge(proto, graph!, part, $"mlnet{runIndex}_");
                }

                runIndex++;
                foreach (ITransformer t in run)
                {
                    view = t.Transform(view);
                }

                view = new SchemaOnlyView(view.Schema);
                run.Clear();
            }

            if (leaf is MlpPredictionTransformer mlp)
            {
                AppendMlp(graph!, mlp, view.Schema, $"mlp{mlpIndex++}_");
                view = new SchemaOnlyView(mlp.GetOutputSchema(view.Schema));
            }
        }

        proto!.ProducerName = "ML.NET + MlNetMlp";
        return proto;
    }

    /// <summary>The default-domain opset of <paramref name="proto"/>, checked against what the MLP nodes need.</summary>
    private static long DefaultOpset(ModelProto proto)
    {
        long opset = proto.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < MlpOnnxNodes.MinimumOpset)
        {
            throw new NotSupportedException($"ML.NET's converter wrote opset {opset}; the MLP nodes need opset {MlpOnnxNodes.MinimumOpset} or later.");
        }

        return opset;
    }

    /// <summary>Converts a run of ML.NET transformers with ML.NET's converter; on failure finds and names the transformer it refused.</summary>
    private static ModelProto ConvertRun(ModelOperationsCatalog catalog, List<ITransformer> run, IDataView input, int firstLeaf)
    {
        var chain = new TransformerChain<ITransformer>(run.ToArray());
        try
        {
            using var buffer = new MemoryStream();
            catalog.ConvertToOnnx(chain, input, buffer);
            return ModelProto.Parser.ParseFrom(buffer.ToArray());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            IDataView view = input;
            for (int i = 0; i < run.Count; i++)
            {
                try
                {
                    using var probe = new MemoryStream();
                    catalog.ConvertToOnnx(run[i], view, probe);
                }
                catch (Exception inner) when (inner is not OutOfMemoryException)
                {
                    throw new NotSupportedException(
                        $"Transformer {firstLeaf + i} of the pipeline ({run[i].GetType().FullName}) cannot be exported to ONNX: ML.NET's converter refused it ({inner.Message}). " +
                        "Only transformers that ML.NET's ONNX converter supports, and MLP models, can be exported; nothing was written.",
                        inner);
                }

                view = run[i].Transform(view);
            }

            throw new NotSupportedException($"ML.NET's ONNX converter refused transformers {firstLeaf} to {firstLeaf + run.Count - 1} of the pipeline: {e.Message}. Nothing was written.", e);
        }
    }

    /// <summary>Appends one MLP's nodes reading its features column's graph value, and publishes its output columns.</summary>
    private static void AppendMlp(OnnxGraph graph, MlpPredictionTransformer mlp, DataViewSchema schema, string prefix)
    {
        MlpModelParameters model = mlp.Model;
        MlpModel network = model.Network;
        ScoreColumns.CheckFeatureColumn(schema, mlp.FeatureColumnName, model.FeatureCount);
        string features = mlp.FeatureColumnName + OutputSuffix;
        if (!graph.Graph.Output.Any(o => o.Name == features))
        {
            throw new NotSupportedException($"The ONNX graph has no value for the MLP's features column '{mlp.FeatureColumnName}' (expected graph output '{features}').");
        }

        string raw = MlpOnnxNodes.Forward(graph, network, features, prefix);
        OnnxHead.For(model.Task).Publish(graph, network, raw, prefix, Publish);
    }

    /// <summary>Makes <paramref name="value"/> the graph output of <paramref name="column"/>, hiding an earlier output of that column.</summary>
    private static void Publish(OnnxGraph graph, string column, string value, DataType type, long width)
    {
        string name = column + OutputSuffix;
        Hide(graph, name);
        graph.AddNamed("Identity", name, [value]);
        graph.AddOutput(name, type, null, width);
    }

    /// <summary>Removes graph output <paramref name="name"/>, if any, renaming its value so a later part can publish the name again.</summary>
    private static void Hide(OnnxGraph graph, string name)
    {
        ValueInfoProto? old = graph.Graph.Output.FirstOrDefault(o => o.Name == name);
        if (old is not null)
        {
            graph.Graph.Output.Remove(old);
            graph.Rename(name, graph.Unique(name + ".hidden"));
        }
    }

    /// <summary>
    /// Joins <paramref name="part"/>, the conversion of a run of ML.NET transformers that follows an MLP, onto the graph:
    /// its inputs read the graph's values of those columns, its own values get <paramref name="prefix"/>, and its
    /// outputs replace the graph's outputs of the same columns; columns it only passes through keep their value.
    /// </summary>
    private static void Merge(ModelProto proto, OnnxGraph graph, ModelProto part, string prefix)
    {
        GraphProto p = part.Graph;
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ValueInfoProto input in p.Input)
        {
            string value = input.Name + OutputSuffix;
            if (!graph.Graph.Output.Any(o => o.Name == value))
            {
                throw new NotSupportedException($"The ONNX graph has no value for column '{input.Name}', which the transformers after an MLP read.");
            }

            inputs[input.Name] = value;
        }

        // Identity nodes that only pass an input column through under its own name are dropped: the graph has it already.
        var passThrough = new HashSet<NodeProto>(p.Node.Where(n => n.OpType == "Identity" && n.Input.Count == 1 && inputs.ContainsKey(n.Input[0]) && n.Output[0] == n.Input[0] + OutputSuffix));
        var kept = new HashSet<string>(p.Output.Select(o => o.Name).Except(passThrough.Select(n => n.Output[0])), StringComparer.Ordinal);
        foreach (string name in kept)
        {
            Hide(graph, name);
            foreach (NodeProto clash in graph.Graph.Node.Where(n => n.Name.StartsWith("mlnet.", StringComparison.Ordinal) && p.Node.Any(m => m.Name == n.Name)))
            {
                clash.Name = graph.Unique(prefix + clash.Name);
            }
        }

        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        string Map(string name)
        {
            if (name.Length == 0 || kept.Contains(name))
            {
                return name;
            }

            if (inputs.TryGetValue(name, out string? value))
            {
                return value;
            }

            if (!renamed.TryGetValue(name, out string? mapped))
            {
                mapped = graph.Unique(prefix + name);
                renamed[name] = mapped;
            }

            return mapped;
        }

        foreach (TensorProto initializer in p.Initializer)
        {
            initializer.Name = Map(initializer.Name);
            graph.Graph.Initializer.Add(initializer);
        }

        foreach (NodeProto node in p.Node.Where(n => !passThrough.Contains(n)))
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = Map(node.Input[i]);
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = Map(node.Output[i]);
            }

            // ML.NET's ONNX transformer finds slot names by the node name mlnet.<column>.SlotNames: those keep their name.
            node.Name = node.Name.StartsWith("mlnet.", StringComparison.Ordinal) ? node.Name : graph.Unique(prefix + node.Name);
            graph.Graph.Node.Add(node);
        }

        foreach (ValueInfoProto output in p.Output.Where(o => kept.Contains(o.Name)))
        {
            graph.Graph.Output.Add(output);
        }

        foreach (OperatorSetIdProto opset in part.OpsetImport)
        {
            OperatorSetIdProto? have = proto.OpsetImport.FirstOrDefault(o => o.Domain == opset.Domain);
            if (have is null)
            {
                proto.OpsetImport.Add(opset);
            }
            else if (have.Version != opset.Version)
            {
                throw new NotSupportedException($"ML.NET's converter wrote opset {opset.Version} of domain '{opset.Domain}' for one part and {have.Version} for another.");
            }
        }
    }
}
