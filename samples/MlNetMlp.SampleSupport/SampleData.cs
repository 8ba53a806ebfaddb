using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMlp.SampleSupport;

/// <summary>
/// Loaders for the data sets in <c>samples/data</c>, in ML.NET's untyped text-loader form: the one place the samples,
/// the ML.NET tests (which compile this file and <see cref="SamplePaths"/> in) and the leaderboard read them from.
/// </summary>
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
    public static IEstimator<ITransformer> AdultFeaturizer(MLContext ml) => AdultFeaturizer(ml, standardize: true);

    /// <summary>
    /// One-hot categoricals and the numerics, concatenated into "Features" (numerics first); with
    /// <paramref name="standardize"/> the numerics are centred and scaled to unit variance
    /// (<c>NormalizeMeanVariance(fixZero: false)</c>), which the scikit-learn recipe needs and the tabular recipe does not.
    /// </summary>
    public static IEstimator<ITransformer> AdultFeaturizer(MLContext ml, bool standardize)
    {
        IEstimator<ITransformer> numeric = ml.Transforms.Categorical.OneHotEncoding(AdultCategorical.Select(c => new InputOutputColumnPair(c, c)).ToArray())
            .Append(ml.Transforms.Concatenate("Numeric", AdultNumeric));
        if (standardize)
        {
            numeric = numeric.Append(ml.Transforms.NormalizeMeanVariance("Numeric", fixZero: false));
        }

        return numeric.Append(ml.Transforms.Concatenate("Features", ["Numeric", .. AdultCategorical]));
    }

    /// <summary>Digits: the 64 pixel counts (0-16) as "Features" and the digit as a Single "Digit" (make it a key for multiclass).</summary>
    public static IDataView Digits(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("digits.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 63), new TextLoader.Column("Digit", DataKind.Single, 64)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Wine: 13 measurements as "Features" and the cultivar (0-2) as a Single "Cultivar".</summary>
    public static IDataView Wine(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("wine.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 12), new TextLoader.Column("Cultivar", DataKind.Single, 13)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Iris: the four measurements as "Features" and the species as text "Species".</summary>
    public static IDataView Iris(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("iris.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 3), new TextLoader.Column("Species", DataKind.String, 4)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Iris with each measurement its own Single column ("SepalLength", "SepalWidth", "PetalLength", "PetalWidth") and the species as text "Species", for pipelines that assemble "Features" themselves.</summary>
    public static IDataView IrisColumns(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("iris.csv"),
        [
            new TextLoader.Column("SepalLength", DataKind.Single, 0),
            new TextLoader.Column("SepalWidth", DataKind.Single, 1),
            new TextLoader.Column("PetalLength", DataKind.Single, 2),
            new TextLoader.Column("PetalWidth", DataKind.Single, 3),
            new TextLoader.Column("Species", DataKind.String, 4),
        ],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>A subset of MNIST in ML.NET's sparse text format (<c>mnist_tiny_train.txt</c>, <c>mnist_tiny_test.txt</c>): the digit as a Single "Label", then the 784 pixels as a sparse "Features" vector.</summary>
    public static IDataView MnistSparse(MLContext ml, string fileName) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile(fileName),
        [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 784)],
        separatorChar: '\t',
        hasHeader: false,
        allowSparse: true);

    /// <summary>Boston housing: the 13 features as "Features" and the median home value (in $1000s) as "Label".</summary>
    public static IDataView Housing(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("housing.txt"),
        [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 13)],
        separatorChar: '\t',
        hasHeader: true);

    /// <summary>Diabetes: the 10 (unscaled) baseline variables as "Features" and the disease progression as "Label".</summary>
    public static IDataView Diabetes(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("diabetes.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 9), new TextLoader.Column("Label", DataKind.Single, 10)],
        separatorChar: ',',
        hasHeader: true);

    /// <summary>Titanic: "survived" (yes/no), "sex", "age" (NaN where missing), "passengerClass" and "name", all text but age.</summary>
    public static IDataView Titanic(MLContext ml) => ml.Data.LoadFromTextFile(
        SamplePaths.DataFile("titanic.csv"),
        [
            new TextLoader.Column("survived", DataKind.String, 0),
            new TextLoader.Column("sex", DataKind.String, 1),
            new TextLoader.Column("age", DataKind.Single, 2),
            new TextLoader.Column("passengerClass", DataKind.String, 3),
            new TextLoader.Column("name", DataKind.String, 4),
        ],
        separatorChar: ',',
        hasHeader: true,
        allowQuoting: true);

    /// <summary>
    /// Titanic's Boolean "Label" (survived) and "Features": age with missing values replaced by the mean plus a
    /// missing-age indicator, and one-hot sex and passenger class.
    /// </summary>
    public static IEstimator<ITransformer> TitanicFeaturizer(MLContext ml) =>
        ml.Transforms.Conversion.MapValue("Label", new[] { new KeyValuePair<string, bool>("yes", true), new KeyValuePair<string, bool>("no", false) }, "survived")
            .Append(ml.Transforms.IndicateMissingValues("AgeMissing", "age"))
            .Append(ml.Transforms.Conversion.ConvertType("AgeMissing", outputKind: DataKind.Single))
            .Append(ml.Transforms.ReplaceMissingValues("age"))
            .Append(ml.Transforms.Categorical.OneHotEncoding([new InputOutputColumnPair("sex"), new InputOutputColumnPair("passengerClass")]))
            .Append(ml.Transforms.Concatenate("Features", "age", "AgeMissing", "sex", "passengerClass"));
}
