using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// The data sets of <c>--external DIR</c>: CSV files written by <c>external/export.R</c> from Debian's R packages,
/// described by its <c>datasets.tsv</c> (name, task, label column, source, column kinds). Every trainer gets the same
/// featurization: numbers with missing values replaced by the column mean (on the training fold), categories one-hot.
/// </summary>
internal static class ExternalData
{
    public static DataSet[] Read(string folder)
    {
        string manifest = Path.Combine(folder, "datasets.tsv");
        if (!File.Exists(manifest))
        {
            throw new FileNotFoundException($"--external {folder}: no datasets.tsv there; write the sets with Rscript benchmarks/MlNetMlp.Leaderboard/external/export.R {folder}.", manifest);
        }

        return [.. File.ReadAllLines(manifest).Where(l => l.Length > 0).Select(line => Describe(folder, line.Split('\t')))];
    }

    private static DataSet Describe(string folder, string[] fields)
    {
        (string name, string taskName, string label, string kinds) = (fields[0], fields[1], fields[2], fields[4]);
        Task task = taskName switch
        {
            "binary" => Task.Binary,
            "multiclass" => Task.Multiclass,
            "regression" => Task.Regression,
            _ => throw new InvalidDataException($"datasets.tsv: {name} has task '{taskName}'; expected binary, multiclass or regression."),
        };
        string path = Path.Combine(folder, name + ".csv");
        string[] header = File.ReadLines(path).First().Split(',').Select(h => h.Trim('"')).ToArray();
        if (header.Length != kinds.Length)
        {
            throw new InvalidDataException($"datasets.tsv: {name} lists {kinds.Length} column kinds; {path} has {header.Length} columns.");
        }

        var columns = header.Select((h, i) => new TextLoader.Column(h, kinds[i] == 'n' ? DataKind.Single : DataKind.String, i)).ToArray();
        string[] numeric = [.. header.Where((h, i) => kinds[i] == 'n' && h != label)];
        string[] categorical = [.. header.Where((h, i) => kinds[i] == 'c' && h != label)];

        IDataView Load(MLContext ml) => ml.Data.LoadFromTextFile(path, new TextLoader.Options
        {
            Columns = columns,
            HasHeader = true,
            Separators = [','],
            AllowQuoting = true,
            MissingRealsAsNaNs = true,
        });

        IEstimator<ITransformer> Featurize(MLContext ml)
        {
            IEstimator<ITransformer> labelStep = task switch
            {
                Task.Binary => ml.Transforms.Conversion.ConvertType("Label", label, DataKind.Boolean),
                Task.Multiclass => ml.Transforms.Conversion.MapValueToKey("Label", label),
                _ => ml.Transforms.CopyColumns("Label", label),
            };
            IEstimator<ITransformer> chain = labelStep;
            if (numeric.Length > 0)
            {
                chain = chain.Append(ml.Transforms.Concatenate("Numbers", numeric))
                    .Append(ml.Transforms.ReplaceMissingValues("Numbers", replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            }

            if (categorical.Length > 0)
            {
                chain = chain.Append(ml.Transforms.Categorical.OneHotEncoding([.. categorical.Select(c => new InputOutputColumnPair(c, c))]));
            }

            return chain.Append(ml.Transforms.Concatenate("Features", [.. numeric.Length > 0 ? ["Numbers"] : Array.Empty<string>(), .. categorical]));
        }

        return new DataSet(name, task, Load, Featurize);
    }
}
