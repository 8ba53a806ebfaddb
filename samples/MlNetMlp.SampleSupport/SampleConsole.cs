using System;
using System.Globalization;
using Spectre.Console;

namespace MlNetMlp.SampleSupport;

/// <summary>How every sample sets up its console output.</summary>
public static class SampleConsole
{
    /// <summary>
    /// Invariant culture (numbers print as 0.975 everywhere), and, when the output goes to a file or a pipe, a
    /// 200-column width for Spectre.Console tables, which would otherwise wrap at 80 columns.
    /// </summary>
    public static void Configure()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 200;
        }
    }
}
