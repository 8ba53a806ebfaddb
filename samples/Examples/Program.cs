// Runs one short example by name, or all of them:
//
//   dotnet run -c Release --project samples/Examples -- BinaryClassification
//   dotnet run -c Release --project samples/Examples -- all
using System;
using System.Globalization;
using System.Linq;
using Examples;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string[] names = args.Length == 1 && args[0] == "all" ? [.. ExampleList.All.Keys] : args;
if (names.Length == 0 || names.Any(n => !ExampleList.All.ContainsKey(n)))
{
    Console.WriteLine($"Usage: dotnet run -c Release --project samples/Examples -- <name>|all, where name is one of: {string.Join(", ", ExampleList.All.Keys)}.");
    return 1;
}

foreach (string name in names)
{
    Console.WriteLine($"== {name}");
    ExampleList.All[name]();
}

return 0;
