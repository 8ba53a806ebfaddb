using System;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp;

/// <summary>
/// A fitted MLP: adds ML.NET's standard prediction columns (see the trainers) computed from the features column.
/// Thread-safe: every cursor and every <c>PredictionEngine</c> gets its own scoring buffers.
/// </summary>
/// <remarks>
/// ML.NET's <c>mlContext.Model.Save</c> cannot carry the weights of a transformer from outside ML.NET (the saving
/// context's API is internal to ML.NET). Save pipelines containing this transformer with
/// <see cref="MlpModelOperations.SaveWithMlp(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/> and load
/// them with <see cref="MlpModelOperations.LoadWithMlp(ModelOperationsCatalog, string, out DataViewSchema)"/>.
/// <para>
/// Features are not checked for NaN or infinity at prediction (training refuses them): a NaN feature makes every
/// score NaN (binary: Score and Probability NaN, PredictedLabel false, since the rule is Score &gt; 0; multiclass: every
/// probability NaN, PredictedLabel key 1); an infinite one makes the scores infinite or NaN. Filter or replace such
/// values first (<c>ReplaceMissingValues</c>) where that matters.
/// </para>
/// <para>
/// ML.NET's generic <c>PermutationFeatureImportance(predictionTransformer, data)</c> overloads take this transformer;
/// the dictionary overloads (<c>PermutationFeatureImportanceNonCalibrated(model, data)</c> and the like, which look
/// for ML.NET's own predictor types inside the model) cannot, and throw ArgumentNullException.
/// </para>
/// </remarks>
/// <example>
/// Finding the MLP in any chain (for example one ending in <c>MapKeyToValue</c>): <c>samples/Examples/MlpFromAnyChain.cs</c>;
/// permutation feature importance: <c>samples/Examples/PermutationFeatureImportance.cs</c>. Run either with
/// <c>dotnet run -c Release --project samples/Examples -- &lt;name&gt;</c>.
/// </example>
public sealed class MlpPredictionTransformer : ISingleFeaturePredictionTransformer<MlpModelParameters>
{
    internal MlpPredictionTransformer(MlpModelParameters model, string featureColumnName, DataViewType featureColumnType)
    {
        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = featureColumnType;
    }

    /// <summary>The trained network and its training record.</summary>
    public MlpModelParameters Model { get; }

    /// <summary>The features column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The type of the features column at training time.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>Always true: the transformer maps row to row.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the prediction columns.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoreColumns(this, inputSchema).OutputSchema;
    }

    /// <summary>A lazily scored view of <paramref name="input"/>.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoredDataView(input, new ScoreColumns(this, input.Schema));
    }

    /// <summary>The row mapper that <c>PredictionEngine</c> uses.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoreRowMapper(new ScoreColumns(this, inputSchema));
    }

    /// <summary>Not supported: throws, naming the API that saves pipelines with MLP models.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(SaveNotSupportedMessage);

    internal const string SaveNotSupportedMessage =
        "mlContext.Model.Save cannot save a pipeline that contains an MlNetMlp model: ML.NET's saving API is internal to ML.NET. " +
        "Use mlContext.Model.SaveWithMlp(model, inputSchema, path) to save it and mlContext.Model.LoadWithMlp(path, out var schema) to load it " +
        "(namespace MlNetMlp); the ML.NET parts of the pipeline are still written by ML.NET's own saver inside the same zip.";
}
