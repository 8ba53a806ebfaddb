using System;
using System.IO;
using System.Linq;
using Microsoft.ML;

// Usage: PureLoader <model.zip> <input.idv> <output.idv>
// Loads the model with mlContext.Model.Load, scores the input (ML.NET's binary data format), writes the scored rows,
// and fails (exit code 3) if any MlNetMlp assembly was loaded into the process.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: PureLoader <model.zip> <input.idv> <output.idv>");
    return 2;
}

var ml = new MLContext(seed: 1);
ITransformer model = ml.Model.Load(args[0], out DataViewSchema _);
IDataView scored = model.Transform(ml.Data.LoadFromBinary(args[1]));
using (var stream = File.Create(args[2]))
{
    ml.Data.SaveAsBinary(scored, stream, keepHidden: false);
}

string[] ours = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? string.Empty).Where(n => n.StartsWith("MlNetMlp", StringComparison.Ordinal)).ToArray();
if (ours.Length > 0)
{
    Console.Error.WriteLine("MlNetMlp assemblies were loaded: " + string.Join(", ", ours));
    return 3;
}

Console.WriteLine($"scored {scored.GetRowCount() ?? -1} rows with no MlNetMlp assembly loaded");
return 0;
