using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.SampleSupport;

/// <summary>Loaders for the data sets several samples share, in ML.NET's untyped text-loader form.</summary>
public static class SampleData
{
    /// <summary>The eight text columns of adult.txt.</summary>
    public static readonly string[] AdultCategorical = ["workclass", "education", "marital-status", "occupation", "relationship", "ethnicity", "sex", "native-country"];

    /// <summary>The six numeric columns of adult.txt.</summary>
    public static readonly string[] AdultNumeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"];

    /// <summary>Breast cancer: the 30 measurements as one "Features" vector and a Boolean "Label" (true = benign).</summary>
    public static IDataView BreastCancer(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("breast_cancer.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Census income (adult.txt): text categoricals, float numerics and a Boolean "Label" (income over 50K).</summary>
    public static IDataView Adult(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("adult.txt"),
        [
            new TextLoader.Column("age", DataKind.Single, 0),
            new TextLoader.Column("workclass", DataKind.String, 1),
            new TextLoader.Column("fnlwgt", DataKind.Single, 2),
            new TextLoader.Column("education", DataKind.String, 3),
            new TextLoader.Column("education-num", DataKind.Single, 4),
            new TextLoader.Column("marital-status", DataKind.String, 5),
            new TextLoader.Column("occupation", DataKind.String, 6),
            new TextLoader.Column("relationship", DataKind.String, 7),
            new TextLoader.Column("ethnicity", DataKind.String, 8),
            new TextLoader.Column("sex", DataKind.String, 9),
            new TextLoader.Column("capital-gain", DataKind.Single, 10),
            new TextLoader.Column("capital-loss", DataKind.Single, 11),
            new TextLoader.Column("hours-per-week", DataKind.Single, 12),
            new TextLoader.Column("native-country", DataKind.String, 13),
            new TextLoader.Column("Label", DataKind.Boolean, 14),
        ],
        separatorChar: ',',
        hasHeader: true,
        trimWhitespace: true);

    /// <summary>One-hot categoricals and standardized numerics, concatenated into "Features".</summary>
    public static IEstimator<ITransformer> AdultFeaturizer(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding(AdultCategorical.Select(c => new InputOutputColumnPair(c, c)).ToArray())
            .Append(ml.Transforms.Concatenate("Numeric", AdultNumeric))
            .Append(ml.Transforms.NormalizeMeanVariance("Numeric", fixZero: false))
            .Append(ml.Transforms.Concatenate("Features", ["Numeric", .. AdultCategorical]));
}
