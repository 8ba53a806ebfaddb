using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.Tests;

/// <summary>Loaders for the real data sets copied next to the tests.</summary>
internal static class Data
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "data", file);

    /// <summary>Breast cancer: 30 float features in one vector column "Features", Boolean "Label" (true = benign).</summary>
    public static IDataView BreastCancer(MLContext ml) => ml.Data.LoadFromTextFile(
        PathOf("breast_cancer.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Iris: four float columns and the species as text.</summary>
    public static IDataView Iris(MLContext ml) => ml.Data.LoadFromTextFile(
        PathOf("iris.csv"),
        [
            new TextLoader.Column("SepalLength", DataKind.Single, 0),
            new TextLoader.Column("SepalWidth", DataKind.Single, 1),
            new TextLoader.Column("PetalLength", DataKind.Single, 2),
            new TextLoader.Column("PetalWidth", DataKind.Single, 3),
            new TextLoader.Column("Species", DataKind.String, 4),
        ],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Boston housing: "Label" first, 13 features after, tab separated.</summary>
    public static IDataView Housing(MLContext ml) => ml.Data.LoadFromTextFile(
        PathOf("housing.txt"),
        [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 13)],
        separatorChar: '\t',
        hasHeader: true);

    public static readonly string[] AdultCategorical = ["workclass", "education", "marital-status", "occupation", "relationship", "ethnicity", "sex", "native-country"];

    public static readonly string[] AdultNumeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"];

    /// <summary>Adult census: text categoricals, float numerics, Boolean "Label".</summary>
    public static IDataView Adult(MLContext ml) => ml.Data.LoadFromTextFile(
        PathOf("adult.txt"),
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

    /// <summary>The adult preprocessing: one-hot categoricals, standardized numerics, one "Features" vector.</summary>
    public static IEstimator<ITransformer> AdultFeaturizer(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding(AdultCategorical.Select(c => new InputOutputColumnPair(c, c)).ToArray())
            .Append(ml.Transforms.Concatenate("Numeric", AdultNumeric))
            .Append(ml.Transforms.NormalizeMeanVariance("Numeric"))
            .Append(ml.Transforms.Concatenate("Features", ["Numeric", .. AdultCategorical]));

    /// <summary>MNIST subset in ML.NET's sparse text format: label, then "784 index:value ...".</summary>
    public static IDataView MnistSparse(MLContext ml, string file) => ml.Data.LoadFromTextFile(
        PathOf(file),
        [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 784)],
        separatorChar: '\t',
        hasHeader: false,
        allowSparse: true);
}
