using System;
using System.Collections.Generic;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The ML.NET face of an output head (the engine's <c>OutputHead</c>), one per <see cref="MlpTask"/>: the label
/// types it trains on, the columns it adds (named, typed and annotated as ML.NET's own trainers of that task do,
/// so its evaluator finds them), what the score source serves, and how its classes are named. Everything in the
/// adapter that depends on the task asks this; nothing else decides by the task.
/// </summary>
internal abstract class TaskColumns
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>The registration: one per <see cref="MlpTask"/>, indexed by its value.</summary>
    private static readonly TaskColumns[] All = [new BinaryColumns(), new MulticlassColumns(), new RegressionColumns()];

    public abstract MlpTask Task { get; }

    /// <summary>The engine's head of <see cref="Task"/>.</summary>
    public OutputHead Head => OutputHead.For(Task);

    public static TaskColumns For(MlpTask task) => All[(int)OutputHead.For(task).Task];

    /// <summary>
    /// The label the task trains on, for both the estimator's <c>GetOutputSchema</c> and <c>Fit</c>: the same column
    /// gets the same message on both paths, naming the column, its type and the types allowed.
    /// </summary>
    public abstract void CheckLabel(TrainingColumns.Shape label);

    /// <summary>Checks the label column (<see cref="CheckLabel"/>) and returns the class count (0 for regression).</summary>
    public virtual int CheckLabelType(DataViewSchema.Column label)
    {
        CheckLabel(TrainingColumns.Of(label));
        return Head.IsClassifier ? 2 : 0;
    }

    /// <summary>The class names to promise in the output shape for <paramref name="label"/> (placeholders), or null.</summary>
    public virtual ClassNames? PlaceholderNames(SchemaShape.Column label) => null;

    /// <summary>The class names the label's annotations carry, kept with the model, or null.</summary>
    public virtual ClassNames? NamesFromLabel(DataViewSchema.Column label, int classCount) => null;

    /// <summary>Whether a model of this task keeps class names (<see cref="NamesFromLabel"/> gives some), as a saved part may.</summary>
    public virtual bool KeepsClassNames => false;

    /// <summary>Class <paramref name="index"/> as a user names it in the label column, for messages.</summary>
    public virtual string DescribeClass(int index, ClassNames? names) => $"class {index}";

    /// <summary>The class values in score-slot order, as text (scikit-learn's <c>classes_</c>).</summary>
    public virtual IReadOnlyList<string> Classes(ClassNames? names) => [];

    /// <summary>The added columns for a class count and class names.</summary>
    public abstract List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(int classes, ClassNames? names, uint scoreSetId);

    /// <summary>The getter of added column <paramref name="added"/> (0-based after the inputs) reading from <paramref name="scorer"/>.</summary>
    public abstract Delegate MakeGetter(int added, IScoreSource scorer);

    /// <summary>
    /// Turns <paramref name="rows"/> rows of raw outputs, <paramref name="outputs"/> each, into what the score source
    /// serves, in place: the raw outputs by default (a logit, predictions), class probabilities for multiclass.
    /// </summary>
    public virtual void Serve(Span<float> scores, int rows, int outputs)
    {
    }

    protected static DataViewSchema.Annotations Annotate(uint scoreSetId, string kind, string valueKind, Action<DataViewSchema.Annotations.Builder>? more)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add("ScoreColumnSetId", new KeyDataViewType(typeof(uint), int.MaxValue), (ref uint value) => value = scoreSetId);
        builder.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = kind.AsMemory());
        builder.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        more?.Invoke(builder);
        return builder.ToAnnotations();
    }

    protected static bool IsScalarNumber(TrainingColumns.Shape label) =>
        label.Kind == SchemaShape.Column.VectorKind.Scalar && !label.IsKey && (label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double);

    protected static string Start(TrainingColumns.Shape label) => $"Label column '{label.Name}' has type {label.Description}";

    protected static ArgumentOutOfRangeException BadAdded(int added) => new(nameof(added), added, "No such added column.");
}

/// <summary>
/// Binary classification: <c>Score</c> (float, the logit; the decision rule is Score &gt; 0), <c>Probability</c>
/// (float, sigmoid(Score), kept inside [2^-24, 1 - 2^-24]), <c>PredictedLabel</c> (Boolean). The label is Boolean,
/// or Single/Double holding 0 and 1.
/// </summary>
internal sealed class BinaryColumns : TaskColumns
{
    /// <summary>
    /// The bounds of the Probability column, symmetric about 1/2: 2^-24 and 1 - 2^-24, the float32 value nearest 1
    /// below it that is exactly one minus a representable number. A confident mistake thus costs the same at most,
    /// 24 bits of ML.NET's log-loss, whichever class it is in.
    /// </summary>
    internal const float ProbabilityFloor = 1f / (1 << 24);

    /// <summary>The upper bound of the Probability column, <c>1 - <see cref="ProbabilityFloor"/></c>.</summary>
    internal const float ProbabilityCeiling = 1f - ProbabilityFloor;

    public override MlpTask Task => MlpTask.BinaryClassification;

    public override void CheckLabel(TrainingColumns.Shape label)
    {
        bool boolean = label.Kind == SchemaShape.Column.VectorKind.Scalar && !label.IsKey && label.ItemType == BooleanDataViewType.Instance;
        if (!boolean && !IsScalarNumber(label))
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{Start(label)}; binary classification needs a scalar Boolean label, or Single or Double holding 0 and 1.");
        }
    }

    public override string DescribeClass(int index, ClassNames? names) => index == 1 ? "true" : "false";

    public override IReadOnlyList<string> Classes(ClassNames? names) => ["False", "True"];

    public override List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(int classes, ClassNames? names, uint scoreSetId) =>
    [
        (Score, NumberDataViewType.Single, Annotate(scoreSetId, "BinaryClassification", Score, null)),
        (Probability, NumberDataViewType.Single, Annotate(scoreSetId, "BinaryClassification", Probability, b =>
            b.Add("IsNormalized", BooleanDataViewType.Instance, (ref bool value) => value = true))),
        (PredictedLabel, BooleanDataViewType.Instance, Annotate(scoreSetId, "BinaryClassification", PredictedLabel, null)),
    ];

    public override Delegate MakeGetter(int added, IScoreSource scorer) => added switch
    {
        0 => (ValueGetter<float>)((ref float value) => value = scorer.Scores()[0]),
        1 => (ValueGetter<float>)((ref float value) => value = ProbabilityOf(scorer.Scores()[0])),
        2 => (ValueGetter<bool>)((ref bool value) => value = scorer.Scores()[0] > 0),
        _ => throw BadAdded(added),
    };

    /// <summary>
    /// sigmoid(score), kept inside [<see cref="ProbabilityFloor"/>, <see cref="ProbabilityCeiling"/>]: in float32 it
    /// rounds to exactly 1 beyond a score of about 17, and ML.NET's evaluators take the log of the probability
    /// unclipped, so one confident mistake would make log-loss infinite. The bounds are symmetric, so a confident
    /// wrong positive and a confident wrong negative cost the same (24 bits).
    /// </summary>
    internal static float ProbabilityOf(float score) => Math.Clamp(LogisticHead.Sigmoid(score), ProbabilityFloor, ProbabilityCeiling);
}

/// <summary>
/// Multiclass classification: <c>Score</c> (vector of float class probabilities, label key k in slot k-1, summing
/// to 1), <c>PredictedLabel</c> (key with the label's KeyValues). The label is a key; two classes get two softmax
/// outputs, like any other class count.
/// </summary>
internal sealed class MulticlassColumns : TaskColumns
{
    public override MlpTask Task => MlpTask.MulticlassClassification;

    /// <summary>The raw types a key label may have.</summary>
    private static readonly Type[] KeyRawTypes = [typeof(byte), typeof(ushort), typeof(uint), typeof(ulong)];

    public override void CheckLabel(TrainingColumns.Shape label)
    {
        if (label.Kind == SchemaShape.Column.VectorKind.Scalar && label.IsKey && Array.IndexOf(KeyRawTypes, label.ItemType.RawType) >= 0)
        {
            return;
        }

        string advice = label.IsKey && label.Kind == SchemaShape.Column.VectorKind.Scalar
            ? "Map it with mlContext.Transforms.Conversion.MapValueToKey, which makes UInt32 keys."
            : $"Add mlContext.Transforms.Conversion.MapValueToKey(\"{label.Name}\") before the trainer.";
        throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{Start(label)}; multiclass classification needs a scalar key label (a key of Byte, UInt16, UInt32 or UInt64). {advice}");
    }

    public override int CheckLabelType(DataViewSchema.Column label)
    {
        CheckLabel(TrainingColumns.Of(label));
        var key = (KeyDataViewType)label.Type;
        if (key.Count < 2 || key.Count > MlpOptions.MaxLayerWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"Label column '{label.Name}' is a key with {key.Count} values; multiclass classification needs between 2 and {MlpOptions.MaxLayerWidth} classes.");
        }

        return (int)key.Count;
    }

    public override ClassNames? PlaceholderNames(SchemaShape.Column label) =>
        SchemaShapes.Find(label.Annotations, "KeyValues") is SchemaShape.Column values && values.ItemType is PrimitiveDataViewType itemType
            ? ClassNames.Placeholder(itemType, 2)
            : null;

    public override ClassNames? NamesFromLabel(DataViewSchema.Column label, int classCount) => ClassNames.FromLabel(label, classCount);

    public override bool KeepsClassNames => true;

    public override string DescribeClass(int index, ClassNames? names) =>
        names is null ? $"key {index + 1}" : $"key {index + 1} ('{names.AsText()[index]}')";

    public override IReadOnlyList<string> Classes(ClassNames? names) => names?.AsText() ?? [];

    public override List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(int classes, ClassNames? names, uint scoreSetId) =>
    [
        (Score, new VectorDataViewType(NumberDataViewType.Single, classes), Annotate(scoreSetId, "MulticlassClassification", Score, b =>
        {
            names?.AddSlotNames(b);
            names?.AddTrainingLabelValues(b);
        })),
        (PredictedLabel, new KeyDataViewType(typeof(uint), classes), Annotate(scoreSetId, "MulticlassClassification", PredictedLabel, b => names?.AddKeyValues(b))),
    ];

    public override Delegate MakeGetter(int added, IScoreSource scorer) => added switch
    {
        0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
        {
            ReadOnlySpan<float> probabilities = scorer.Scores();
            var editor = VBufferEditor.Create(ref value, probabilities.Length);
            probabilities.CopyTo(editor.Values);
            value = editor.Commit();
        }),
        1 => (ValueGetter<uint>)((ref uint value) => value = (uint)Head.PredictClass(scorer.Scores()) + 1),
        _ => throw BadAdded(added),
    };

    /// <summary>Softmax probabilities in place, as <see cref="MlpPredictor.PredictProbabilities"/> gives them for one row.</summary>
    public override void Serve(Span<float> scores, int rows, int outputs) => Head.Probabilities(scores, rows, outputs, scores, outputs);
}

/// <summary>Regression: <c>Score</c> (float, the prediction). The label is Single or Double.</summary>
internal sealed class RegressionColumns : TaskColumns
{
    public override MlpTask Task => MlpTask.Regression;

    public override void CheckLabel(TrainingColumns.Shape label)
    {
        if (!IsScalarNumber(label))
        {
            throw new ArgumentOutOfRangeException(nameof(MlpTrainerOptions.LabelColumnName), $"{Start(label)}; regression needs a scalar Single or Double label.");
        }
    }

    public override List<(string Name, DataViewType Type, DataViewSchema.Annotations Annotations)> Describe(int classes, ClassNames? names, uint scoreSetId) =>
        [(Score, NumberDataViewType.Single, Annotate(scoreSetId, "Regression", Score, null))];

    public override Delegate MakeGetter(int added, IScoreSource scorer) => added == 0
        ? (ValueGetter<float>)((ref float value) => value = scorer.Scores()[0])
        : throw BadAdded(added);
}
