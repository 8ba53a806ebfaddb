using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Onnx;
using Onnx;

namespace MlNetMlp;

/// <summary>
/// The standard-zip route: a fitted pipeline with MLP models as a pipeline of ML.NET's own transformers, which
/// <c>mlContext.Model.Save</c> writes and <c>mlContext.Model.Load</c> reads with no reference to MlNetMlp (what loading
/// needs is Microsoft.ML.OnnxTransformer and an ONNX Runtime package). The pipeline's ML.NET transformers are kept as
/// they are; each MLP becomes its exported ONNX graph under ML.NET's <c>ApplyOnnxModel</c>, reading the features column.
/// </summary>
/// <remarks>
/// <para>
/// Why the ML.NET transformers are kept rather than converted: ML.NET saves them itself, and they keep their exact
/// column types (keys with their key values, slot names) that a round trip through ONNX would lose.
/// </para>
/// <para>
/// ML.NET's ONNX transformer types each output column from the graph output's declared shape and cannot produce a
/// scalar column (a rank-0 output fails in its getter), so the MLP's scalar columns come back as vectors of one
/// element: binary <c>Score</c> and <c>Probability</c> as <c>Vector&lt;Single, 1&gt;</c>, <c>PredictedLabel</c> as
/// <c>Vector&lt;Boolean, 1&gt;</c>; regression <c>Score</c> as <c>Vector&lt;Single, 1&gt;</c>. The multiclass
/// <c>Score</c> is <c>Vector&lt;Single, C&gt;</c> as in the original; ONNX has no key type, so this graph's
/// <c>PredictedLabel</c> is the class name (an ai.onnx.ml LabelEncoder after the key), which ML.NET's
/// <c>MapValueToKey</c>, given the class names in order as its terms, turns back into the key: a
/// <c>Vector&lt;Key&lt;UInt32, C&gt;, 1&gt;</c> with the class names as key values. The graph under <c>ApplyOnnxModel</c> serves one row per run, as that
/// transformer runs it (each output is reshaped to its one-row shape); for batches use the graph from
/// <see cref="MlpOnnxExport.ConvertToOnnxWithMlp(ModelOperationsCatalog, ITransformer, IDataView, Stream)"/>.
/// </para>
/// <para>
/// Evaluators: the multiclass evaluator reads the label (an ML.NET key, unchanged) and the Score vector, and runs on
/// the loaded pipeline's output directly. The binary and regression evaluators want a scalar Score: take element 0
/// of the one-element columns first, for example with <c>mlContext.Transforms.CustomMapping</c> in the evaluating code
/// (see samples/OnnxExport).
/// </para>
/// </remarks>
public static class MlpOnnxPipeline
{
    /// <summary>
    /// Returns <paramref name="model"/> (any chain of ML.NET transformers and MLP models) as a chain of ML.NET
    /// transformers only: each MLP replaced by its ONNX graph under ML.NET's ONNX transformer (and, for multiclass, the
    /// key mapping of PredictedLabel), fitted on <paramref name="data"/>'s schema. Save it with
    /// <c>mlContext.Model.Save(result, data.Schema, path)</c>.
    /// </summary>
    public static ITransformer ApplyOnnxModelWithMlp(this TransformsCatalog catalog, ITransformer model, IDataView data)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var leaves = new List<ITransformer>();
        MlpModelOperations.Flatten(model, leaves);
        var result = new List<ITransformer>();
        IDataView view = data;
        foreach (ITransformer leaf in leaves)
        {
            if (leaf is not MlpPredictionTransformer mlp)
            {
                result.Add(leaf);
                view = leaf.Transform(view);
                continue;
            }

            ModelProto proto = MlpGraph(mlp, view.Schema);
            ITransformer onnx = catalog.ApplyOnnxModel(new MemoryStream(proto.ToByteArray(), writable: false)).Fit(view);
            result.Add(onnx);
            view = onnx.Transform(view);
            if (OnnxHead.For(mlp.Model.Task).PredictsKey)
            {
                // The graph gives the class name; ML.NET's MapValueToKey, with the names in class order as its terms, makes it the key.
                var terms = new MLContext().Data.LoadFromEnumerable(ClassNames(mlp).Select(name => new Term { Value = name }));
                ITransformer key = catalog.Conversion.MapValueToKey(TaskColumns.PredictedLabel, keyData: terms).Fit(view);
                result.Add(key);
                view = key.Transform(view);
            }
        }

        return new TransformerChain<ITransformer>(result.ToArray());
    }

    /// <summary>The exported graph of one MLP alone: input the features column, outputs the MLP's columns, each reshaped to one row.</summary>
    private static ModelProto MlpGraph(MlpPredictionTransformer mlp, DataViewSchema schema)
    {
        var features = new DataViewSchema.Builder();
        DataViewSchema.Column column = ScoreColumns.CheckFeatureColumn(schema, mlp.FeatureColumnName, mlp.Model.FeatureCount);
        features.AddColumn(column.Name, column.Type, column.Annotations);
        var input = new SchemaOnlyView(features.ToSchema());
        ModelProto proto = MlpOnnxExport.Export(new MLContext().Model, mlp, input);

        // Only the MLP's columns leave this graph: the features column stays ML.NET's own.
        DataViewSchema output = mlp.GetOutputSchema(input.Schema);
        var added = new HashSet<string>(output.Where(c => input.Schema.GetColumnOrNull(c.Name) is not { } i || i.Index != c.Index).Select(c => c.Name + ".output"), StringComparer.Ordinal);
        foreach (ValueInfoProto passed in proto.Graph.Output.Where(o => !added.Contains(o.Name)).ToList())
        {
            proto.Graph.Output.Remove(passed);
        }

        if (OnnxHead.For(mlp.Model.Task).PredictsKey)
        {
            NameTheClass(proto, ClassNames(mlp));
        }

        PerRow(proto, output);
        return proto;
    }

    /// <summary>The class names in key order; the key numbers as text when the label had no text key values.</summary>
    private static string[] ClassNames(MlpPredictionTransformer mlp)
    {
        IReadOnlyList<string> names = mlp.Model.Classes;
        return Enumerable.Range(0, mlp.Model.ClassCount).Select(i => names.Count == mlp.Model.ClassCount ? names[i] : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Replaces the uint32 key of PredictedLabel.output with the class name (ai.onnx.ml LabelEncoder, version 2 as ML.NET's converter imports it).</summary>
    private static void NameTheClass(ModelProto proto, string[] names)
    {
        const string output = "PredictedLabel.output";
        var graph = new OnnxGraph(proto.Graph, 0);
        string key = graph.Unique(output + ".key");
        graph.Rename(output, key);
        proto.Graph.Output.Single(o => o.Name == key).Name = output;
        string wide = MlpOnnxNodes.Cast(graph, key, TensorProto.Types.DataType.Int64, "PredictedLabel_int64");
        var encoder = new NodeProto { OpType = "LabelEncoder", Domain = "ai.onnx.ml", Name = graph.Unique("PredictedLabel_names") };
        encoder.Input.Add(wide);
        encoder.Output.Add(output);
        encoder.Attribute.Add(OnnxGraph.Ints("keys_int64s", Enumerable.Range(1, names.Length).Select(i => (long)i).ToArray()));
        var values = new AttributeProto { Name = "values_strings", Type = AttributeProto.Types.AttributeType.Strings };
        values.Strings.AddRange(names.Select(ByteString.CopyFromUtf8));
        encoder.Attribute.Add(values);
        encoder.Attribute.Add(OnnxGraph.Text("default_string", string.Empty));
        proto.Graph.Node.Add(encoder);
        proto.Graph.Output.Single(o => o.Name == output).Type.TensorType.ElemType = (int)TensorProto.Types.DataType.String;
        if (!proto.OpsetImport.Any(o => o.Domain == "ai.onnx.ml"))
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 2 });
        }
    }

    private sealed class Term
    {
        public string Value { get; set; } = string.Empty;
    }

    /// <summary>Reshapes every graph output to one row: [K] for a vector of size K, [1] for a scalar.</summary>
    private static void PerRow(ModelProto proto, DataViewSchema output)
    {
        var graph = new OnnxGraph(proto.Graph, 0);
        foreach (ValueInfoProto value in proto.Graph.Output)
        {
            const string suffix = ".output";
            if (!value.Name.EndsWith(suffix, StringComparison.Ordinal) || value.Type.TensorType is null)
            {
                continue;
            }

            DataViewSchema.Column? column = output.GetColumnOrNull(value.Name[..^suffix.Length]);
            if (column is null)
            {
                continue;
            }

            // A scalar becomes [1]: ML.NET's ONNX transformer cannot output a rank-0 tensor.
            long[] shape = [column.Value.Type is VectorDataViewType vector ? vector.Size : 1];

            string name = value.Name;
            string batch = graph.Unique(name + ".batch");
            graph.Rename(name, batch);
            value.Name = name;
            graph.AddNamed("Reshape", name, [batch, graph.AddInt64s("mlnet_row_shape", shape, shape.Length)]);
            value.Type.TensorType.Shape = new TensorShapeProto();
            foreach (long d in shape)
            {
                value.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
        }
    }
}
