using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The columns a fitted MLP adds to one input schema: those its task's <see cref="TaskColumns"/> names, annotated
/// as ML.NET's own trainers do, so that evaluators, <c>MapKeyToValue</c> and <c>PredictionEngine</c> find them.
/// The input columns are kept; an input column with the same name as an output is hidden, not replaced.
/// </summary>
internal sealed class ScoreColumns
{
    private readonly MlpPredictionTransformer _transformer;

    public ScoreColumns(MlpPredictionTransformer transformer, DataViewSchema inputSchema)
    {
        _transformer = transformer;
        InputSchema = inputSchema;
        FeatureColumn = CheckFeatureColumn(inputSchema, transformer.FeatureColumnName, transformer.Model.FeatureCount);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var (name, type, annotations) in Describe(transformer.Model, NextScoreSetId(inputSchema)))
        {
            builder.AddColumn(name, type, annotations);
        }

        OutputSchema = builder.ToSchema();
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public DataViewSchema.Column FeatureColumn { get; }

    /// <summary>Number of columns added after the input columns.</summary>
    public int AddedCount => OutputSchema.Count - InputSchema.Count;

    /// <summary>The added columns, annotated, for a model; used for both the data schema and the estimator's shape.</summary>
    public static List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(MlpModelParameters model, uint scoreSetId) =>
        model.Columns.Describe(model.ClassCount, model.ClassNames, scoreSetId);

    /// <summary>Checks the features column against what the model was trained on and returns it.</summary>
    public static DataViewSchema.Column CheckFeatureColumn(DataViewSchema schema, string name, int featureCount)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Features column '{name}' not found in the input data.");
        DataViewType type = column.Type;
        bool ok = type is VectorDataViewType vector
            ? vector.ItemType == NumberDataViewType.Single && vector.Size == featureCount
            : type == NumberDataViewType.Single && featureCount == 1;
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(
                nameof(schema),
                $"Features column '{name}' has type {type}; the model was trained on Vector<Single, {featureCount}>. The data must go through the same transforms as the training data.");
        }

        return column;
    }

    /// <summary>One more than the largest <c>ScoreColumnSetId</c> already in the schema, as ML.NET's scorers number score sets.</summary>
    public static uint NextScoreSetId(DataViewSchema schema)
    {
        uint max = 0;
        foreach (DataViewSchema.Column column in schema)
        {
            DataViewSchema.Column? id = column.Annotations.Schema.GetColumnOrNull("ScoreColumnSetId");
            if (id is DataViewSchema.Column c && c.Type is KeyDataViewType key && key.RawType == typeof(uint))
            {
                uint value = 0;
                column.Annotations.GetValue("ScoreColumnSetId", ref value);
                max = Math.Max(max, value);
            }
        }

        return max + 1;
    }

    /// <summary>Creates the getter of added column <paramref name="added"/> (0-based after the inputs) reading from <paramref name="scorer"/>.</summary>
    public Delegate MakeGetter(int added, IScoreSource scorer) => _transformer.Model.Columns.MakeGetter(added, scorer);

    /// <summary>Which output columns are requested, by output index.</summary>
    public bool[] ActiveFlags(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var active = new bool[OutputSchema.Count];
        foreach (DataViewSchema.Column column in outputColumns)
        {
            active[column.Index] = true;
        }

        return active;
    }

    /// <summary>The input columns the given output columns read: themselves when passed through, the features column for a score.</summary>
    public IEnumerable<DataViewSchema.Column> InputColumnsFor(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var needed = new HashSet<int>();
        foreach (DataViewSchema.Column column in outputColumns)
        {
            needed.Add(column.Index < InputSchema.Count ? column.Index : FeatureColumn.Index);
        }

        return needed.Select(i => InputSchema[i]);
    }

    /// <summary>Whether any added column is active, so the features column must be read.</summary>
    public bool NeedsFeatures(Func<int, bool> isActive)
    {
        for (int i = InputSchema.Count; i < OutputSchema.Count; i++)
        {
            if (isActive(i))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A scorer of the current row of <paramref name="input"/>, for single rows (<c>PredictionEngine</c>).</summary>
    public RowScorer CreateRowScorer(DataViewRow input) => new(_transformer.Model, input, FeatureColumn);

    /// <summary>A scorer of blocks of rows read ahead from <paramref name="input"/>, for cursors.</summary>
    public BlockScorer CreateBlockScorer(DataViewRowCursor input) => new(_transformer.Model, input, FeatureColumn);
}
