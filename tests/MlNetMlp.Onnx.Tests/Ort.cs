using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetMlp.Onnx.Tests;

/// <summary>Runs an ONNX model in ONNX Runtime on every row of a data view at once, feeding each graph input from the column of its name.</summary>
internal static class Ort
{
    public static Dictionary<string, Tensor<T>> Run<T>(byte[] model, IDataView data, params string[] outputs) =>
        RunAll(model, data, outputs).ToDictionary(p => p.Key, p => p.Value.AsTensor<T>());

    public static Dictionary<string, NamedOnnxValue> RunAll(byte[] model, IDataView data, params string[] outputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var feeds = new List<NamedOnnxValue>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            feeds.Add(Feed(name, meta, data));
        }

        using var results = session.Run(feeds, outputs.Length > 0 ? outputs : session.OutputMetadata.Keys.ToArray());
        var copy = new Dictionary<string, NamedOnnxValue>();
        foreach (DisposableNamedOnnxValue r in results)
        {
            copy[r.Name] = r.ElementType switch
            {
                TensorElementType.Float => NamedOnnxValue.CreateFromTensor(r.Name, Clone(r.AsTensor<float>())),
                TensorElementType.Bool => NamedOnnxValue.CreateFromTensor(r.Name, Clone(r.AsTensor<bool>())),
                TensorElementType.UInt32 => NamedOnnxValue.CreateFromTensor(r.Name, Clone(r.AsTensor<uint>())),
                TensorElementType.Int64 => NamedOnnxValue.CreateFromTensor(r.Name, Clone(r.AsTensor<long>())),
                TensorElementType.String => NamedOnnxValue.CreateFromTensor(r.Name, Clone(r.AsTensor<string>())),
                _ => throw new NotSupportedException($"Output {r.Name} has element type {r.ElementType}."),
            };
        }

        return copy;
    }

    private static DenseTensor<T> Clone<T>(Tensor<T> t) => new(t.ToArray(), t.Dimensions.ToArray());

    private static NamedOnnxValue Feed(string name, NodeMetadata meta, IDataView data)
    {
        DataViewSchema.Column column = data.Schema[name];
        int width = column.Type is VectorDataViewType v ? v.Size : 1;
        int rows = (int)(data.GetRowCount() ?? data.GetColumn<bool>(data.Schema[0]).Count());
        return meta.ElementType switch
        {
            var t when t == typeof(float) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(Values<float>(data, column, width), [rows, width])),
            var t when t == typeof(bool) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(Values<bool>(data, column, width), [rows, width])),
            var t when t == typeof(uint) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<uint>(Values<uint>(data, column, width), [rows, width])),
            var t when t == typeof(string) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(Values<ReadOnlyMemory<char>>(data, column, width).Select(s => s.ToString()).ToArray(), [rows, width])),
            _ => throw new NotSupportedException($"Input {name} has element type {meta.ElementType}."),
        };
    }

    /// <summary>Every row's values of <paramref name="column"/>, dense (sparse vectors filled in), row after row.</summary>
    public static T[] Values<T>(IDataView data, DataViewSchema.Column column, int width)
    {
        var values = new List<T>();
        using DataViewRowCursor cursor = data.GetRowCursor([column]);
        if (column.Type is VectorDataViewType)
        {
            ValueGetter<VBuffer<T>> getter = cursor.GetGetter<VBuffer<T>>(column);
            var buffer = default(VBuffer<T>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                values.AddRange(buffer.DenseValues());
            }
        }
        else
        {
            ValueGetter<T> getter = cursor.GetGetter<T>(column);
            T value = default!;
            while (cursor.MoveNext())
            {
                getter(ref value);
                values.Add(value);
            }
        }

        return values.ToArray();
    }

    /// <summary>Every row's values of a float column (scalar or vector), dense.</summary>
    public static float[] Floats(IDataView data, string name)
    {
        DataViewSchema.Column column = data.Schema[name];
        return Values<float>(data, column, column.Type is VectorDataViewType v ? v.Size : 1);
    }

    /// <summary>The largest difference of <paramref name="actual"/> from <paramref name="expected"/>, absolute, or relative where |expected| &gt; 1.</summary>
    public static double LargestError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException($"{expected.Length} expected values, {actual.Length} actual.");
        }

        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            double error = Math.Abs(actual[i] - e) / Math.Max(1, Math.Abs(e));
            worst = Math.Max(worst, double.IsNaN(error) ? double.PositiveInfinity : error);
        }

        return worst;
    }
}
