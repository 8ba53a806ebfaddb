using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMlp.Engine;
using MlNetMlp.SampleSupport;
using Xunit;

namespace MlNetMlp.Tests;

/// <summary>The trainer inside ML.NET's machinery: schemas, PredictionEngine, PFI, logging, warm start, cancellation.</summary>
public class PipelineTests
{
    private static (MLContext Ml, IDataView Train, IDataView Test, TransformerChain<MlpPredictionTransformer> Model) BreastCancer(int iterations = 40)
    {
        var ml = new MLContext(seed: 21);
        var split = ml.Data.TrainTestSplit(SampleData.BreastCancer(ml), testFraction: 0.2, seed: 21);
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.Mlp(ml, hiddenLayerSizes: [16, 8], maximumNumberOfIterations: iterations))
            .Fit(split.TrainSet);
        return (ml, split.TrainSet, split.TestSet, model);
    }

    [Fact]
    public void BinaryOutputsFollowMlNetConventions()
    {
        var (ml, _, test, model) = BreastCancer();
        IDataView scored = model.Transform(test);
        DataViewSchema schema = scored.Schema;
        Assert.Equal(NumberDataViewType.Single, schema["Score"].Type);
        Assert.Equal(NumberDataViewType.Single, schema["Probability"].Type);
        Assert.Equal(BooleanDataViewType.Instance, schema["PredictedLabel"].Type);
        Assert.Equal("BinaryClassification", Annotation<ReadOnlyMemory<char>>(schema["Score"], "ScoreColumnKind").ToString());
        Assert.Equal("Probability", Annotation<ReadOnlyMemory<char>>(schema["Probability"], "ScoreValueKind").ToString());
        Assert.True(Annotation<bool>(schema["Probability"], "IsNormalized"));

        float[] score = scored.GetColumn<float>("Score").ToArray();
        float[] probability = scored.GetColumn<float>("Probability").ToArray();
        bool[] predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < score.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-score[i])), probability[i], 1e-6);
            Assert.Equal(score[i] > 0, predicted[i]);
        }
    }

    [Fact]
    public void MulticlassOutputsCarryKeyValuesAndMatchEngineProbabilities()
    {
        var ml = new MLContext(seed: 4);
        IDataView data = SampleData.IrisColumns(ml);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [8], learningRate: 0.01, maximumNumberOfIterations: 50))
            .Fit(data);
        IDataView scored = model.Transform(data);
        var scoreType = Assert.IsType<VectorDataViewType>(scored.Schema["Score"].Type);
        Assert.Equal(3, scoreType.Size);
        var keyType = Assert.IsType<KeyDataViewType>(scored.Schema["PredictedLabel"].Type);
        Assert.Equal(3ul, keyType.Count);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["PredictedLabel"].GetKeyValues(ref keyValues);
        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, keyValues.DenseValues().Select(v => v.ToString()));

        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        uint[] predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        float[][] features = scored.GetColumn<float[]>("Features").ToArray();
        MlpPredictor predictor = model.LastTransformer.Model.Network.CreatePredictor();
        var probabilities = new float[3];
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(1.0, scores[i].Sum(), 5);
            predictor.PredictProbabilities(features[i], probabilities);
            Assert.Equal(probabilities, scores[i]);
            Assert.Equal((uint)(Array.IndexOf(scores[i], scores[i].Max()) + 1), predicted[i]);
        }
    }

    [Fact]
    public void PredictionEngineMatchesTransformRowByRow()
    {
        var (ml, _, test, model) = BreastCancer();
        float[] transformed = model.Transform(test).GetColumn<float>("Score").ToArray();
        float[][] rows = test.GetColumn<float[]>("Features").ToArray();
        var engine = ml.Model.CreatePredictionEngine<CancerInput, CancerOutput>(model);
        for (int i = 0; i < rows.Length; i++)
        {
            CancerOutput output = engine.Predict(new CancerInput { Features = rows[i] });
            Assert.Equal(transformed[i], output.Score);
            Assert.Equal(output.Score > 0, output.PredictedLabel);
            Assert.Equal(1 / (1 + Math.Exp(-output.Score)), output.Probability, 1e-6);
        }
    }

    [Fact]
    public void PermutationFeatureImportanceRunsThroughTheGenericOverload()
    {
        var (ml, _, test, model) = BreastCancer();
        IDataView normalized = model.Take(1).Aggregate(test, (view, t) => t.Transform(view));
        var importance = ml.BinaryClassification.PermutationFeatureImportance(model.LastTransformer, normalized, permutationCount: 1);
        Assert.Equal(30, importance.Length);
        // Permuting features can only hurt a good model on average; at least one feature must matter.
        Assert.Contains(importance, m => m.AreaUnderRocCurve.Mean < -0.001);
    }

    [Fact]
    public void TheScikitLearnRecipeIsTheEngineDefaultsAndTheTabularRecipeTheCatalogs()
    {
        var engine = new MlpOptions();
        var sklearn = new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn };
        MlpOptions resolved = sklearn.ToEngineOptions(0);
        Assert.Equal(engine.HiddenLayerSizes, sklearn.HiddenLayerSizes);
        Assert.NotSame(engine.HiddenLayerSizes, sklearn.HiddenLayerSizes);
        Assert.Equal(engine.L2Regularization, resolved.L2Regularization);
        Assert.Equal(engine.MaxEpochs, resolved.MaxEpochs);
        Assert.Equal(engine.BatchSize, resolved.BatchSize);
        Assert.Equal(engine.OptimizationTolerance, resolved.OptimizationTolerance);
        Assert.Equal(engine.EpochsWithoutImprovement, resolved.EpochsWithoutImprovement);
        Assert.Equal(engine.EarlyStopping, resolved.EarlyStopping);
        Assert.Equal(engine.ValidationFraction, resolved.ValidationFraction);
        Assert.Equal(engine.EarlyStoppingMetric, resolved.EarlyStoppingMetric);
        Assert.Equal(engine.InputScaling, resolved.InputScaling);
        Assert.Equal(engine.StandardizeTargets, resolved.StandardizeTargets);
        Assert.Equal(engine.PiecewiseLinearBins, resolved.PiecewiseLinearBins);
        Assert.Equal(engine.WeightDecay, resolved.WeightDecay);
        Assert.Equal(engine.LearningRateDecay, resolved.LearningRateDecay);
        Assert.Equal(engine.WarmupFraction, resolved.WarmupFraction);
        Assert.Equal(engine.Dropout, resolved.Dropout);
        Assert.Equal(engine.LabelSmoothing, resolved.LabelSmoothing);
        Assert.Equal(engine.EnsembleSize, resolved.EnsembleSize);
        Assert.Equal(((AdamSolver)engine.Solver).LearningRate, ((AdamSolver)resolved.Solver).LearningRate);

        // The catalog's constant defaults are the tabular recipe's, which a fresh options object has.
        var tabular = new MlpBinaryTrainer.Options();
        Assert.Equal(MlpRecipe.Tabular, tabular.Recipe);
        Assert.Equal(MlpDefaults.L2Regularization, tabular.L2Regularization);
        Assert.Equal(MlpDefaults.MaximumNumberOfIterations, tabular.MaximumNumberOfIterations);
        Assert.Equal(MlpDefaults.BatchSize, tabular.BatchSize);
        Assert.Equal(MlpDefaults.PiecewiseLinearBins, tabular.PiecewiseLinearBins);
        Assert.Equal(MlpDefaults.LearningRate, ((AdamSolver)tabular.Solver).LearningRate);

        // An explicit setting wins over the recipe; reading a setting does not share the recipe's arrays.
        var explicitSettings = new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [3], InputScaling = InputScaling.Standard };
        Assert.Equal([3], explicitSettings.HiddenLayerSizes);
        Assert.Equal(InputScaling.Standard, explicitSettings.ToEngineOptions(0).InputScaling);
        tabular.HiddenLayerSizes[0] = 1;
        Assert.NotEqual(1, new MlpBinaryTrainer.Options().HiddenLayerSizes[0]);
    }

    [Fact]
    public void EstimatorPromisesTheColumnsItProduces()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SampleData.IrisColumns(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, hiddenLayerSizes: [4]));
        SchemaShape shape = pipeline.GetOutputSchema(SchemaShapes.FromSchema(data.Schema));
        SchemaShape.Column score = shape.Single(c => c.Name == "Score");
        SchemaShape.Column predicted = shape.Single(c => c.Name == "PredictedLabel");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, score.Kind);
        Assert.Equal(NumberDataViewType.Single, score.ItemType);
        Assert.True(predicted.IsKey);
        Assert.Contains(predicted.Annotations, a => a.Name == "KeyValues");
        Assert.Contains(score.Annotations, a => a.Name == "SlotNames");
        Assert.Contains(shape, c => c.Name == "Species");

        var binaryShape = ml.BinaryClassification.Trainers.Mlp(ml).GetOutputSchema(SchemaShapes.FromSchema(SampleData.BreastCancer(ml).Schema));
        Assert.Equal(["Features", "Label", "Score", "Probability", "PredictedLabel"], binaryShape.Select(c => c.Name));

        var wrong = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp(ml, featureColumnName: "Nope").GetOutputSchema(SchemaShapes.FromSchema(SampleData.Housing(ml).Schema)));
        Assert.Contains("'Nope'", wrong.Message);
    }

    [Fact]
    public void ProgressReachesTheLogAndTheCallbackAndTheModelKeepsItsHistory()
    {
        var ml = new MLContext(seed: 2);
        var log = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("Epoch", StringComparison.Ordinal))
            {
                lock (log)
                {
                    log.Add(e.Message);
                }
            }
        };
        var reports = new List<MlpEpochReport>();
        var trainer = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options
        {
            Recipe = MlpRecipe.ScikitLearn,
            HiddenLayerSizes = [8],
            MaximumNumberOfIterations = 12,
            EarlyStopping = true,
            EpochsWithoutImprovement = 50,
            Progress = reports.Add,
        });
        var model = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Append(trainer).Fit(SampleData.BreastCancer(ml));
        MlpModelParameters parameters = model.LastTransformer.Model;
        Assert.Equal(12, reports.Count);
        Assert.Equal(Enumerable.Range(1, 12), reports.Select(r => r.Epoch));
        Assert.Equal(12, log.Count(m => m.Contains("Epoch ", StringComparison.Ordinal) && m.Contains("/12", StringComparison.Ordinal)));
        Assert.Equal(reports.Select(r => r.Loss), parameters.LossCurve);
        Assert.Equal(12, parameters.ValidationScores.Count);
        Assert.Equal(parameters.LossCurve.Min(), parameters.BestLoss);
        Assert.Equal(12, parameters.EpochsRun);
        Assert.Equal(30, parameters.GetWeights(0).GetLength(0));
        Assert.Equal(8, parameters.GetWeights(0).GetLength(1));
        Assert.Single(parameters.GetBiases(1));
    }

    [Fact]
    public void WarmStartContinuesFromAFittedModel()
    {
        var ml = new MLContext(seed: 3);
        IDataView data = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(SampleData.BreastCancer(ml)).Transform(SampleData.BreastCancer(ml));
        var trainer = ml.BinaryClassification.Trainers.Mlp(ml, new MlpBinaryTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = [8], MaximumNumberOfIterations = 5, Seed = 9 });
        MlpPredictionTransformer first = trainer.Fit(data);
        MlpPredictionTransformer second = trainer.Fit(data, first.Model);
        Assert.Equal(10, second.Model.EpochsRun);
        Assert.Equal(first.Model.LossCurve, second.Model.LossCurve.Take(5));
        Assert.True(second.Model.LossCurve[^1] < first.Model.LossCurve[^1]);
        Assert.Equal(5, first.Model.EpochsRun);
    }

    [Fact]
    public void CancellationStopsTrainingAndTheNextFitWorks()
    {
        var ml = new MLContext(seed: 4);
        IDataView data = SampleData.BreastCancer(ml);
        using var cancel = new CancellationTokenSource();
        var options = new MlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [8],
            MaximumNumberOfIterations = 100,
            CancellationToken = cancel.Token,
            Progress = r =>
            {
                if (r.Epoch == 3)
                {
                    cancel.Cancel();
                }
            },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(data));
        options.CancellationToken = CancellationToken.None;
        options.Progress = null;
        options.MaximumNumberOfIterations = 5;
        Assert.Equal(5, ml.BinaryClassification.Trainers.Mlp(ml, options).Fit(data).Model.EpochsRun);
    }

    [Fact]
    public void LoadFromEnumerableAndOneHotAndMissingValueReplacementFeedTheTrainer()
    {
        var ml = new MLContext(seed: 6);
        var random = new Random(6);
        var rows = Enumerable.Range(0, 300).Select(i =>
        {
            float x = (float)random.NextDouble();
            string color = (i % 3) switch { 0 => "red", 1 => "green", _ => "blue" };
            float target = (3 * x) + (color == "red" ? 1 : 0);
            return new MixedRow { X = i % 17 == 0 ? float.NaN : x, Color = color, Target = target };
        }).ToArray();
        var pipeline = ml.Transforms.ReplaceMissingValues("X")
            .Append(ml.Transforms.Categorical.OneHotEncoding("Color"))
            .Append(ml.Transforms.Concatenate("Features", "X", "Color"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Regression.Trainers.Mlp(ml, new MlpRegressionTrainer.Options { Recipe = MlpRecipe.ScikitLearn, LabelColumnName = "Target", HiddenLayerSizes = [16], Solver = new AdamSolver { LearningRate = 0.01 }, MaximumNumberOfIterations = 200, BatchSize = 32 }));
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var metrics = ml.Regression.Evaluate(pipeline.Fit(data).Transform(data), labelColumnName: "Target");
        var linear = ml.Transforms.ReplaceMissingValues("X").Append(ml.Transforms.Categorical.OneHotEncoding("Color")).Append(ml.Transforms.Concatenate("Features", "X", "Color")).Append(ml.Regression.Trainers.Sdca("Target", maximumNumberOfIterations: 100));
        var baseline = ml.Regression.Evaluate(linear.Fit(data).Transform(data), labelColumnName: "Target");
        Assert.True(metrics.RSquared > 0.8, $"R² {metrics.RSquared}");
        Assert.True(metrics.RSquared > baseline.RSquared + 0.02, $"MLP R² {metrics.RSquared} vs linear SDCA {baseline.RSquared}");
    }

    private static T Annotation<T>(DataViewSchema.Column column, string kind)
    {
        T value = default!;
        column.Annotations.GetValue(kind, ref value);
        return value;
    }

    private sealed class MixedRow
    {
        public float X { get; set; }

        public string Color { get; set; } = string.Empty;

        public float Target { get; set; }
    }
}

public sealed class CancerInput
{
    [VectorType(30)]
    public float[] Features { get; set; } = [];
}

public sealed class CancerOutput
{
    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}

public class ProbabilityTests
{
    [Theory]
    [InlineData(40f)]
    [InlineData(-200f)]
    [InlineData(0f)]
    public void ProbabilityStaysStrictlyBetweenZeroAndOne(float score)
    {
        float p = BinaryColumns.ProbabilityOf(score);
        Assert.InRange(p, BinaryColumns.ProbabilityFloor, BinaryColumns.ProbabilityCeiling);
        Assert.True(double.IsFinite(Math.Log(p)) && double.IsFinite(Math.Log(1 - p)));
        if (score == 0)
        {
            Assert.Equal(0.5f, p);
        }
    }

    /// <summary>
    /// A confident wrong positive (label false, logit +200) and a confident wrong negative (label true, logit -200)
    /// cost the same in ML.NET's log-loss: the Probability bounds are symmetric (before: 24 bits against 149).
    /// </summary>
    [Fact]
    public void ConfidentMistakesCostTheSameLogLossInEitherClass()
    {
        var ml = new MLContext(seed: 1);
        MlpModel network = MlpModel.FromParameters(MlpTask.BinaryClassification, 1, [], 1, Activation.Identity, [200f, 0f]);
        var transformer = new MlpPredictionTransformer(new MlpModelParameters(network, null), "Features", NumberDataViewType.Single);
        double LogLoss(float x) => ml.BinaryClassification.Evaluate(transformer.Transform(ml.Data.LoadFromEnumerable(
            new[] { new OneFeature { Features = x, Label = false }, new OneFeature { Features = x, Label = true } }))).LogLoss;

        double wrongPositive = LogLoss(1f);
        double wrongNegative = LogLoss(-1f);
        Assert.Equal(wrongPositive, wrongNegative, 12);
        Assert.Equal(12.0, wrongPositive, 1e-5);
    }

    private sealed class OneFeature
    {
        public float Features { get; set; }

        public bool Label { get; set; }
    }
}
