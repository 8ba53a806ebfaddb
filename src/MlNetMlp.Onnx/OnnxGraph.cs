using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Onnx;

namespace MlNetMlp.Onnx;

/// <summary>
/// Builds on one ONNX <see cref="GraphProto"/>: adds initializers, nodes and outputs with names that do not collide
/// with any already in the graph, and renames values. The messages are the classes protoc generated from ONNX's
/// schema (Proto/onnx.proto3); Google.Protobuf writes them.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public OnnxGraph(GraphProto graph, long opset)
    {
        Graph = graph;
        Opset = opset;
        foreach (NodeProto node in graph.Node)
        {
            _names.UnionWith(node.Output);
            _names.UnionWith(node.Input);
            _names.Add(node.Name);
        }

        _names.UnionWith(graph.Input.Select(v => v.Name));
        _names.UnionWith(graph.Output.Select(v => v.Name));
        _names.UnionWith(graph.Initializer.Select(t => t.Name));
    }

    public GraphProto Graph { get; }

    /// <summary>The default-domain opset the graph's nodes are read against (it picks Clip's form).</summary>
    public long Opset { get; }

    /// <summary>A value or node name not yet used in the graph, <paramref name="stem"/> itself when free; reserved on return.</summary>
    public string Unique(string stem)
    {
        string name = stem;
        for (int i = 1; !_names.Add(name); i++)
        {
            name = $"{stem}_{i}";
        }

        return name;
    }

    /// <summary>Whether <paramref name="name"/> is used in the graph.</summary>
    public bool Uses(string name) => _names.Contains(name);

    /// <summary>Adds a float initializer of shape <paramref name="dims"/> and returns its name.</summary>
    public string AddFloats(string stem, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(stem), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.Capacity = values.Length;
        foreach (float v in values)
        {
            tensor.FloatData.Add(v);
        }

        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer of shape <paramref name="dims"/> and returns its name.</summary>
    public string AddInt64s(string stem, long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(stem), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node of the default domain whose output is a new value named after <paramref name="outputStem"/>; returns that name.</summary>
    public string Add(string opType, string outputStem, string[] inputs, params AttributeProto[] attributes)
    {
        string output = Unique(outputStem);
        AddNamed(opType, output, inputs, attributes);
        return output;
    }

    /// <summary>Adds a node of the default domain writing the value <paramref name="output"/>, a name the caller reserved.</summary>
    public void AddNamed(string opType, string output, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    /// <summary>Clips <paramref name="input"/> into [min, max], in the form the graph's opset reads (attributes before opset 11, inputs from 11).</summary>
    public string Clip(string input, float min, float max, string outputStem)
    {
        if (Opset < 11)
        {
            return Add("Clip", outputStem, [input], Float("min", min), Float("max", max));
        }

        return Add("Clip", outputStem, [input, AddFloats("clip_min", [min]), AddFloats("clip_max", [max])]);
    }

    /// <summary>Declares <paramref name="value"/> a graph output of <paramref name="elementType"/> and shape <paramref name="dims"/> (null: a batch dimension).</summary>
    public void AddOutput(string value, TensorProto.Types.DataType elementType, params long?[] dims) =>
        Graph.Output.Add(ValueInfo(value, elementType, dims));

    /// <summary>Renames value <paramref name="from"/> to <paramref name="to"/> everywhere it is written or read.</summary>
    public void Rename(string from, string to)
    {
        foreach (NodeProto node in Graph.Node)
        {
            Replace(node.Input, from, to);
            Replace(node.Output, from, to);
        }

        foreach (ValueInfoProto info in Graph.Output.Concat(Graph.ValueInfo))
        {
            if (info.Name == from)
            {
                info.Name = to;
            }
        }

        _names.Add(to);
    }

    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long? d in dims)
        {
            // A batch dimension is written as ML.NET's converter writes it (dim_value -1), which ML.NET's ONNX
            // transformer reads as one row; ONNX Runtime reads it as any size.
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d ?? -1 });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static void Replace(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == from)
            {
                names[i] = to;
            }
        }
    }
}
