using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MlNetMlp.Benchmarks.MlNetComparison;

namespace MlNetMlp.Benchmarks;

/// <summary>
/// The ML.NET side, as a user runs it: single-row <c>PredictionEngine.Predict</c> with the W1 network, and a whole
/// cached data view through <c>Transform</c> with its Score column read (the W1 network on the digits rows repeated
/// to 100,632 rows, the W3 network on its 200,000 rows), for the transformer alone and for the fitted chain.
/// </summary>
[Config(typeof(ShortConfig))]
public class MlNetBenchmarks
{
    private PredictionEngine<DigitRow, DigitPrediction>? _engine;
    private DigitRow _row = new();
    private DigitPrediction _prediction = new();
    private IDataView? _view;
    private TransformerChain<MlpPredictionTransformer>? _model;

    [Params("W1", "W3")]
    public string Network { get; set; } = "W1";

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(seed: 1);
        Workload w = Workload.Get(Network);
        PreparedData data = w.Data;
        int repeat = Network == "W1" ? 56 : 1;
        float[] all = [.. data.TrainFeatures, .. data.TestFeatures];
        int[] labels = [.. data.TrainLabels!, .. data.TestLabels!];
        SchemaDefinition schema = SchemaFor(data.FeatureCount);
        _view = ml.Data.Cache(ml.Data.LoadFromEnumerable(Enumerable.Range(0, repeat).SelectMany(_ => Rows(all, labels, data.FeatureCount)), schema));
        int fitRows = System.Math.Min(20_000, labels.Length);
        IDataView fit = ml.Data.LoadFromEnumerable(Rows(all[..(fitRows * data.FeatureCount)], labels[..fitRows], data.FeatureCount), schema);
        _model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(ml, new MlpMulticlassTrainer.Options { Recipe = MlpRecipe.ScikitLearn, HiddenLayerSizes = w.Hidden, MaximumNumberOfIterations = 1, BatchSize = w.BatchSize }))
            .Fit(fit);
        _engine = ml.Model.CreatePredictionEngine<DigitRow, DigitPrediction>(_model, inputSchemaDefinition: schema);
        _row = Rows(data.TestFeatures, data.TestLabels!, data.FeatureCount).First();
        Consume(_view, "Features");
    }

    [Benchmark(Description = "PredictionEngine.Predict, one row")]
    public uint Predict()
    {
        _engine!.Predict(_row, ref _prediction);
        return _prediction.PredictedLabel;
    }

    [Benchmark(Description = "Transform + read Score, transformer")]
    public void TransformTransformer() => Consume(_model!.LastTransformer.Transform(_view!), "Score");

    [Benchmark(Description = "Transform + read Score, fitted chain")]
    public void TransformChain() => Consume(_model!.Transform(_view!), "Score");
}
