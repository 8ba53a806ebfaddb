using System;
using System.IO;

namespace MlNetMlp.SampleSupport;

/// <summary>
/// Finds the repository's <c>samples/data</c> folder and the <c>samples/output/&lt;name&gt;</c> folder a sample writes
/// into, whatever the working directory: the search walks up from the program's own folder, then from the
/// working directory.
/// </summary>
public static class SamplePaths
{
    private static readonly Lazy<string> SamplesRoot = new(FindSamplesRoot);

    /// <summary>The full path of a file in <c>samples/data</c>.</summary>
    public static string DataFile(string fileName)
    {
        string path = Path.Combine(SamplesRoot.Value, "data", fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{fileName}' not found in {Path.GetDirectoryName(path)}.", path);
        }

        return path;
    }

    /// <summary>The folder <c>samples/output/&lt;sampleName&gt;</c>, created if missing.</summary>
    public static string OutputDirectory(string sampleName)
    {
        string path = Path.Combine(SamplesRoot.Value, "output", sampleName);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A path relative to the working directory when it lies below it, for shorter messages.</summary>
    public static string Display(string path)
    {
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    private static string FindSamplesRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "samples");
                if (File.Exists(Path.Combine(candidate, "data", "README.md")))
                {
                    return candidate;
                }

                if (dir.Name == "samples" && File.Exists(Path.Combine(dir.FullName, "data", "README.md")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Could not find the repository's samples/data folder above " + AppContext.BaseDirectory + ". Run the sample from inside the repository.");
    }
}
