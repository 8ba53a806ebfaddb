using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The columns a fitted MLP adds to one input schema, named and annotated as ML.NET's own trainers do, so that
/// evaluators, <c>MapKeyToValue</c> and <c>PredictionEngine</c> find them:
/// <list type="bullet">
/// <item>binary: <c>Score</c> (float, the logit; the decision rule is Score &gt; 0), <c>Probability</c> (float, sigmoid(Score)), <c>PredictedLabel</c> (Boolean);</item>
/// <item>multiclass: <c>Score</c> (vector of float class probabilities, label key k in slot k-1), <c>PredictedLabel</c> (key with the label's KeyValues);</item>
/// <item>regression: <c>Score</c> (float).</item>
/// </list>
/// The input columns are kept; an input column with the same name as an output is hidden, not replaced.
/// </summary>
internal sealed class ScoreColumns
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";

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
        Describe(model.Task, model.ClassCount, model.ClassNames, scoreSetId);

    /// <summary>The added columns for a task, class count and class names.</summary>
    public static List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(MlpTask task, int classes, ClassNames? names, uint scoreSetId)
    {
        var columns = new List<(string, DataViewType, DataViewSchema.Annotations)>();
        switch (task)
        {
            case MlpTask.BinaryClassification:
                columns.Add((Score, NumberDataViewType.Single, Annotate(scoreSetId, "BinaryClassification", Score, null)));
                columns.Add((Probability, NumberDataViewType.Single, Annotate(scoreSetId, "BinaryClassification", Probability, b =>
                    b.Add("IsNormalized", BooleanDataViewType.Instance, (ref bool value) => value = true))));
                columns.Add((PredictedLabel, BooleanDataViewType.Instance, Annotate(scoreSetId, "BinaryClassification", PredictedLabel, null)));
                break;
            case MlpTask.MulticlassClassification:
                columns.Add((Score, new VectorDataViewType(NumberDataViewType.Single, classes), Annotate(scoreSetId, "MulticlassClassification", Score, b =>
                {
                    names?.AddSlotNames(b);
                    names?.AddTrainingLabelValues(b);
                })));
                columns.Add((PredictedLabel, new KeyDataViewType(typeof(uint), classes), Annotate(scoreSetId, "MulticlassClassification", PredictedLabel, b => names?.AddKeyValues(b))));
                break;
            default:
                columns.Add((Score, NumberDataViewType.Single, Annotate(scoreSetId, "Regression", Score, null)));
                break;
        }

        return columns;
    }

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
    public Delegate MakeGetter(int added, IScoreSource scorer)
    {
        MlpTask task = _transformer.Model.Task;
        return (task, added) switch
        {
            (MlpTask.BinaryClassification, 0) or (MlpTask.Regression, 0) => (ValueGetter<float>)((ref float value) => value = scorer.Scores()[0]),
            (MlpTask.BinaryClassification, 1) => (ValueGetter<float>)((ref float value) => value = OutputSigmoid(scorer.Scores()[0])),
            (MlpTask.BinaryClassification, 2) => (ValueGetter<bool>)((ref bool value) => value = scorer.Scores()[0] > 0),
            (MlpTask.MulticlassClassification, 0) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                ReadOnlySpan<float> probabilities = scorer.Scores();
                var editor = VBufferEditor.Create(ref value, probabilities.Length);
                probabilities.CopyTo(editor.Values);
                value = editor.Commit();
            }),
            (MlpTask.MulticlassClassification, 1) => (ValueGetter<uint>)((ref uint value) => value = (uint)MlpPredictor.ArgMax(scorer.Scores()) + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(added)),
        };
    }

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

    /// <summary>The largest float below 1: probabilities stay strictly inside (0, 1).</summary>
    private static readonly float AlmostOne = MathF.BitDecrement(1f);

    /// <summary>
    /// sigmoid(score), kept strictly inside (0, 1): in float32 it rounds to exactly 1 beyond a score of about 17, and
    /// ML.NET's evaluators take the log of the probability unclipped, so one confident mistake would make log-loss infinite.
    /// </summary>
    internal static float OutputSigmoid(float score) => Math.Clamp(OutputLoss.Sigmoid(score), float.Epsilon, AlmostOne);

    private static DataViewSchema.Annotations Annotate(uint scoreSetId, string kind, string valueKind, Action<DataViewSchema.Annotations.Builder>? more)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add("ScoreColumnSetId", new KeyDataViewType(typeof(uint), int.MaxValue), (ref uint value) => value = scoreSetId);
        builder.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = kind.AsMemory());
        builder.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        more?.Invoke(builder);
        return builder.ToAnnotations();
    }
}
