using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// What the three MLP trainers share: reading the data once, training the engine, logging each epoch to the
/// <c>MLContext</c>, and the output-schema promise.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// | Trainer characteristic | Value |
/// | -- | -- |
/// | Machine learning task | Binary classification, multiclass classification, regression |
/// | Is normalization required? | No with the default recipe (it scales the features itself); with <c>Recipe = MlpRecipe.ScikitLearn</c> yes (NormalizeMeanVariance) |
/// | Is caching required? | No: the data is read once into memory, or streamed every epoch when it exceeds <c>MemoryBudgetBytes</c> |
/// | Required NuGet in addition to Microsoft.ML | MlNetMlp |
/// | Exportable to ONNX | No |
/// ]]></format>
/// </remarks>
public abstract class MlpTrainerBase : IEstimator<MlpPredictionTransformer>
{
    private readonly IHost _host;
    private readonly MlpTrainerOptions _options;
    private readonly MlpTask _task;

    private protected MlpTrainerBase(MLContext mlContext, MlpTrainerOptions options, MlpTask task, string name)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        options.ToEngineOptions(0);
        _host = ((IHostEnvironment)mlContext).Register(name);
        _options = options.Clone();
        _task = task;
    }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    public MlpPredictionTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>
    /// Trains on <paramref name="trainData"/>, starting from <paramref name="initialModel"/>'s weights when given
    /// (scikit-learn's <c>warm_start</c>): its loss curve and epoch count continue, the optimizer starts afresh.
    /// Classes are matched by their label values: the same classes under other key numbers (another
    /// <c>MapValueToKey</c> order) are renumbered to the new keys; a different set of classes is an error naming both.
    /// </summary>
    /// <example>
    /// Ten epochs, then ten more from the fitted weights: <c>samples/Examples/WarmStart.cs</c>, run with
    /// <c>dotnet run -c Release --project samples/Examples -- WarmStart</c>.
    /// </example>
    public MlpPredictionTransformer Fit(IDataView trainData, MlpModelParameters? initialModel)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        MlpOptions engineOptions = _options.ToEngineOptions(_host.Rand.Next());
        if (initialModel is not null && initialModel.Task != _task)
        {
            throw new ArgumentException($"The initial model is a {initialModel.Task} model; this trainer trains {_task}.", nameof(initialModel));
        }

        TrainingData.Result? data = LoadUnlessStreaming(trainData, engineOptions);
        if (data is null)
        {
            return FitStreamed(trainData, engineOptions, initialModel);
        }

        ApplyDataSizeRules(engineOptions, data.Data.RowCount, data.Data.IsSparse && data.Data.FeatureCount > MlpDataset.MaxDensifiedFeatures);
        MlpModel? start = initialModel is null ? null : ClassNames.MapClasses(initialModel, data.ClassNames, _options.LabelColumnName);
        MlpModel model = Train(engineOptions, $"{data.Data.RowCount} rows, {data.Data.FeatureCount} features", streamed: false, (trainer, report) => trainer.Fit(data.Data, start, report, _options.CancellationToken));
        ClassNames? names = data.ClassNames ?? initialModel?.ClassNames;
        return new MlpPredictionTransformer(new MlpModelParameters(model, names), _options.FeatureColumnName, data.FeatureType);
    }

    /// <summary>
    /// The rows in memory, or null when they are to be streamed: always with <see cref="MlpStreaming.Always"/>; with
    /// <see cref="MlpStreaming.Automatic"/> (Adam and SGD) when reading them passes the memory budget (the partial read
    /// is dropped and the rows streamed from the start).
    /// </summary>
    private TrainingData.Result? LoadUnlessStreaming(IDataView trainData, MlpOptions engineOptions)
    {
        if (_options.Streaming == MlpStreaming.Always)
        {
            return null;
        }

        if (_options.Streaming == MlpStreaming.Never || !engineOptions.Solver.TrainsInMiniBatches)
        {
            return TrainingData.Load(trainData, _options, _task);
        }

        // The row count a view reports is not trusted (it may be -1, or far more than it delivers): loading gives way
        // to streaming when the rows actually read pass the budget.
        return TrainingData.Load(trainData, _options, _task, engineOptions.EffectiveMemoryBudget);
    }

    /// <summary>Trains on rows streamed from the view every epoch (<see cref="MlpTrainer.Fit(IMlpRowSource, MlpModel?, Action{MlpEpochReport}?, System.Threading.CancellationToken)"/>).</summary>
    private MlpPredictionTransformer FitStreamed(IDataView trainData, MlpOptions engineOptions, MlpModelParameters? initialModel)
    {
        TrainingData.Columns columns = TrainingData.Resolve(trainData, _options, _task);
        // The size rules (batch, epochs, ensemble, early stopping) are heuristics: a reported count will do for them.
        // The engine counts the rows it trains on itself.
        long rows = trainData.GetRowCount() ?? CountRows(trainData, _options.CancellationToken);
        ApplyDataSizeRules(engineOptions, (int)Math.Min(rows, int.MaxValue), columns.FeatureCount > MlpDataset.MaxDensifiedFeatures);
        ClassNames? classNames = columns.ClassNames;
        MlpModel? start = initialModel is null ? null : ClassNames.MapClasses(initialModel, classNames, _options.LabelColumnName);
        var source = new DataViewRowSource(trainData, columns, _options.StreamingShuffledCursor);
        string budget = string.Create(CultureInfo.InvariantCulture, $"{engineOptions.EffectiveMemoryBudget / (1 << 20):N0} MiB");
        MlpModel model = Train(engineOptions, $"{rows} rows streamed (memory budget {budget}), {columns.FeatureCount} features", streamed: true, (trainer, report) => trainer.Fit(source, start, report, _options.CancellationToken));
        ClassNames? names = classNames ?? initialModel?.ClassNames;
        return new MlpPredictionTransformer(new MlpModelParameters(model, names), _options.FeatureColumnName, columns.Features.Type);
    }

    /// <summary>The rows of a view that does not know its count: one pass with no column read.</summary>
    private static long CountRows(IDataView data, System.Threading.CancellationToken cancellation)
    {
        long rows = 0;
        using DataViewRowCursor cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            if ((rows++ & 1023) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }
        }

        return rows;
    }

    /// <summary>The recipe's data-size rules for every setting left automatic: batch, early stopping, label smoothing, ensemble, epoch budget, and (for wide sparse rows) the feature treatment.</summary>
    private void ApplyDataSizeRules(MlpOptions engineOptions, int rows, bool wideSparse)
    {
        if (wideSparse && _options.FeatureTreatmentIsAutomatic)
        {
            // Wide sparse rows (hashed n-grams) are used as given: encoding or centring them would make every row
            // dense. Narrow ones (one-hot blocks beside numeric columns) are made dense and encoded.
            engineOptions.PiecewiseLinearBins = 0;
            engineOptions.InputScaling = InputScaling.None;
        }

        if (engineOptions.BatchSize == 0)
        {
            engineOptions.BatchSize = MlpRecipes.AutomaticBatchSize(_options.Recipe, rows);
        }

        if (_options.EarlyStoppingIsAutomatic)
        {
            engineOptions.EarlyStopping = MlpRecipes.AutomaticEarlyStopping(rows);
        }

        if (_options.LabelSmoothingIsAutomatic)
        {
            engineOptions.LabelSmoothing = MlpRecipes.AutomaticLabelSmoothing(rows);
        }

        if (_options.HiddenLayerSizesAreAutomatic)
        {
            engineOptions.HiddenLayerSizes = MlpRecipes.AutomaticHiddenLayerSizes(rows);
        }

        if (_options.EnsembleSize == 0)
        {
            engineOptions.EnsembleSize = MlpRecipes.AutomaticEnsembleSize(rows);
        }

        if (_options.MaximumNumberOfIterations == 0)
        {
            engineOptions.MaxEpochs = MlpRecipes.AutomaticEpochs(rows, engineOptions.BatchSize, engineOptions.EarlyStopping ? 1 - engineOptions.ValidationFraction : 1);
        }
    }

    /// <summary>The log's note of the training-only regularizers in use: <c>, label smoothing 0.1, dropout 0.15</c>, or nothing.</summary>
    private string Regularization(MlpOptions engineOptions) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(engineOptions.LabelSmoothing > 0 && _task != MlpTask.Regression ? $", label smoothing {engineOptions.LabelSmoothing}" : string.Empty)}{(engineOptions.Dropout > 0 ? $", dropout {engineOptions.Dropout}" : string.Empty)}");

    /// <summary>Runs <paramref name="fit"/> with every epoch logged to the <c>MLContext</c> and passed to the user's callback, and logs how it stopped.</summary>
    private MlpModel Train(MlpOptions engineOptions, string what, bool streamed, Func<MlpTrainer, Action<MlpEpochReport>, MlpModel> fit)
    {
        using IChannel channel = _host.Start("Training");
        string threads = StreamThreadChoice.Describe(engineOptions, streamed);
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture, $"MLP {_task}: {what}, hidden layers [{string.Join(", ", engineOptions.HiddenLayerSizes)}], {engineOptions.Solver.GetType().Name}, batch {engineOptions.BatchSize}, at most {engineOptions.MaxEpochs} epochs, {engineOptions.EnsembleSize} network(s), early stopping {(engineOptions.EarlyStopping ? "on" : "off")}{Regularization(engineOptions)}, {threads}; {Inputs(engineOptions)}."));
        Action<MlpEpochReport>? userProgress = _options.Progress;
        int maxEpochs = engineOptions.MaxEpochs;
        void Report(MlpEpochReport report)
        {
            string validation = report.ValidationScore is double score ? string.Create(CultureInfo.InvariantCulture, $", validation score {score:F6}") : string.Empty;
            channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture, $"Epoch {report.Epoch}/{maxEpochs}: loss {report.Loss:F8}{validation}"));
            userProgress?.Invoke(report);
        }

        MlpModel model;
        try
        {
            model = fit(new MlpTrainer(engineOptions), Report);
        }
        catch (MlpDivergenceException e)
        {
            // The engine's advice is about numbers; how to act on it in a pipeline is ML.NET's.
            throw new MlpDivergenceException(e.Message + " " + DivergenceAdvice, e);
        }

        string stopped = string.Create(CultureInfo.InvariantCulture, $"Training stopped after {model.EpochsRun} epochs ({model.History.StopReason}): {model.History.StopMessage}; final loss {model.History.FinalLoss:F8}.");
        if (model.History.Converged)
        {
            channel.Info(MessageSensitivity.None, stopped);
        }
        else
        {
            // scikit-learn's ConvergenceWarning: the optimizer ran out of epochs, iterations or evaluations.
            channel.Warning(MessageSensitivity.None, stopped + $" The optimization did not converge; raise {nameof(MlpTrainerOptions.MaximumNumberOfIterations)} or the learning rate, or normalize the features.");
        }

        return model;
    }

    /// <summary>The ML.NET side of the engine's advice when training diverges.</summary>
    private const string DivergenceAdvice =
        "In an ML.NET pipeline: keep the default tabular recipe, which scales the features itself, or put " +
        "mlContext.Transforms.NormalizeMeanVariance(..., fixZero: false) in front of the trainer; for regression, " +
        "StandardizeTargets = true scales the label.";

    /// <summary>The input shape plus the prediction columns; checks the features, label and weight columns as <c>Fit</c> does.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShape.Column features = Require(inputSchema, _options.FeatureColumnName, "Features", nameof(_options.FeatureColumnName));
        TrainingColumns.CheckFeatures(TrainingColumns.Of(features));
        SchemaShape.Column label = Require(inputSchema, _options.LabelColumnName, "Label", nameof(_options.LabelColumnName));
        TaskColumns columns = TaskColumns.For(_task);
        columns.CheckLabel(TrainingColumns.Of(label));

        ClassNames? names = columns.PlaceholderNames(label);
        if (_options.ExampleWeightColumnName is string weightName)
        {
            TrainingColumns.CheckWeight(TrainingColumns.Of(Require(inputSchema, weightName, "Example weight", nameof(_options.ExampleWeightColumnName))));
        }

        return SchemaShapes.Extend(inputSchema, columns.Describe(2, names, 1));
    }

    /// <summary>What the trainer does to the features itself, for the log.</summary>
    private static string Inputs(MlpOptions options) =>
        options.PiecewiseLinearBins > 0 ? $"features encoded piecewise-linearly ({options.PiecewiseLinearBins} bins), normalization not required"
        : options.InputScaling != InputScaling.None ? $"features scaled ({options.InputScaling}), normalization not required"
        : "features used as given (normalize them in front)";

    private static SchemaShape.Column Require(SchemaShape shape, string name, string role, string option) =>
        SchemaShapes.Find(shape, name) ?? throw TrainingColumns.Missing(role, name, option, shape.Select(c => c.Name));
}

/// <summary>
/// Trains a multilayer perceptron for binary classification: one logistic output trained with log-loss.
/// Adds <c>Score</c> (the logit), <c>Probability</c> and <c>PredictedLabel</c>. The label is Boolean (or 0/1).
/// </summary>
public sealed class MlpBinaryTrainer : MlpTrainerBase
{
    internal MlpBinaryTrainer(MLContext mlContext, Options options)
        : base(mlContext, options, MlpTask.BinaryClassification, nameof(MlpBinaryTrainer))
    {
    }

    /// <summary>Options of <see cref="MlpBinaryTrainer"/>; see <see cref="MlpTrainerOptions"/>.</summary>
    public sealed class Options : MlpTrainerOptions
    {
    }
}

/// <summary>
/// Trains a multilayer perceptron for multiclass classification: softmax outputs trained with cross-entropy.
/// The label must be a key (use <c>MapValueToKey</c>); adds <c>Score</c> (class probabilities, key k in slot k-1)
/// and <c>PredictedLabel</c> (a key carrying the label's values, ready for <c>MapKeyToValue</c>). A key of two values
/// gets two softmax outputs (not scikit-learn's one logistic output), so Score always has one probability per class.
/// </summary>
public sealed class MlpMulticlassTrainer : MlpTrainerBase
{
    internal MlpMulticlassTrainer(MLContext mlContext, Options options)
        : base(mlContext, options, MlpTask.MulticlassClassification, nameof(MlpMulticlassTrainer))
    {
    }

    /// <summary>Options of <see cref="MlpMulticlassTrainer"/>; see <see cref="MlpTrainerOptions"/>.</summary>
    public sealed class Options : MlpTrainerOptions
    {
    }
}

/// <summary>
/// Trains a multilayer perceptron for regression: an identity output trained with squared error
/// (<c>0.5 (y - ŷ)²</c> per row). Adds <c>Score</c>. Large targets train better scaled (for example standardized).
/// </summary>
public sealed class MlpRegressionTrainer : MlpTrainerBase
{
    internal MlpRegressionTrainer(MLContext mlContext, Options options)
        : base(mlContext, options, MlpTask.Regression, nameof(MlpRegressionTrainer))
    {
    }

    /// <summary>Options of <see cref="MlpRegressionTrainer"/>; see <see cref="MlpTrainerOptions"/>.</summary>
    public sealed class Options : MlpTrainerOptions
    {
    }
}
