using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.Onnx.Tests;

/// <summary>
/// How the binary and regression evaluators run on the standard-zip pipeline, whose scalar columns are one-element
/// vectors: a CustomMapping (in the evaluating code, not saved) takes element 0.
/// </summary>
internal static class Scalars
{
    public static IDataView Binary(MLContext ml, IDataView scored) =>
        ml.Transforms.CustomMapping<BinaryVectors, BinaryScalars>((v, s) =>
        {
            s.Score = v.Score[0];
            s.Probability = v.Probability[0];
            s.PredictedLabel = v.PredictedLabel[0];
        }, contractName: null).Fit(scored).Transform(scored);

    public static IDataView Regression(MLContext ml, IDataView scored) =>
        ml.Transforms.CustomMapping<RegressionVectors, RegressionScalars>((v, s) => s.Score = v.Score[0], contractName: null).Fit(scored).Transform(scored);

    public sealed class BinaryVectors
    {
        [VectorType(1)]
        public float[] Score { get; set; } = [];

        [VectorType(1)]
        public float[] Probability { get; set; } = [];

        [VectorType(1)]
        public bool[] PredictedLabel { get; set; } = [];
    }

    public sealed class BinaryScalars
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    public sealed class RegressionVectors
    {
        [VectorType(1)]
        public float[] Score { get; set; } = [];
    }

    public sealed class RegressionScalars
    {
        public float Score { get; set; }
    }
}
