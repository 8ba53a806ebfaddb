using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Examples;
using Xunit;

// The examples print to Console.Out, which the tests redirect: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace MlNetMlp.Samples.Tests;

/// <summary>Runs every short example in samples/Examples and checks that it still prints its expected-output comment.</summary>
public sealed class ExampleTests
{
    private static readonly string SourceFolder = Path.Combine(AppContext.BaseDirectory, "examples");

    public static TheoryData<string> Names => new(ExampleList.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Example_prints_its_expected_output(string name)
    {
        ExpectedOutput expected = ExpectedOutput.Parse(File.ReadAllText(Path.Combine(SourceFolder, name + ".cs")));
        string printed = Capture(ExampleList.All[name]);
        string? mismatch = expected.Mismatch(printed);
        Assert.True(mismatch is null, $"{name}: {mismatch}\nPrinted:\n{printed}");
    }

    [Fact]
    public void Every_example_file_is_listed_and_every_listed_example_has_a_file()
    {
        string[] files = Directory.GetFiles(SourceFolder, "*.cs").Select(Path.GetFileNameWithoutExtension)
            .Where(n => n is not ("Program" or "ExampleList")).Order().ToArray()!;
        Assert.Equal(files, ExampleList.All.Keys.Order().ToArray());
    }

    [Fact]
    public void A_number_outside_the_stated_tolerance_is_a_mismatch()
    {
        var expected = ExpectedOutput.Parse("x\n// Expected output (numbers within ±0.002):\n//   Accuracy: 0.956, AUC: 0.991\n");
        Assert.Equal(0.002, expected.Tolerance);
        Assert.Null(expected.Mismatch("Accuracy: 0.957, AUC: 0.990\n"));
        Assert.Contains("number 2 is 0.981", expected.Mismatch("Accuracy: 0.956, AUC: 0.981\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Changed_text_a_missing_line_or_an_exact_number_is_a_mismatch()
    {
        var expected = ExpectedOutput.Parse("// Expected output:\n//   Predicted: virginica\n//\n//   Layers (8), 500 epochs\n");
        Assert.Null(expected.Mismatch("Predicted: virginica\n\nLayers (8), 500 epochs\n"));
        Assert.Contains("text differs", expected.Mismatch("Predicted: setosa\n\nLayers (8), 500 epochs\n"), StringComparison.Ordinal);
        Assert.Contains("Expected 3 lines, printed 1", expected.Mismatch("Predicted: virginica\n"), StringComparison.Ordinal);
        Assert.Contains("number 2 is 499", expected.Mismatch("Predicted: virginica\n\nLayers (8), 499 epochs\n"), StringComparison.Ordinal);
    }

    private static string Capture(Action example)
    {
        TextWriter console = Console.Out;
        CultureInfo culture = CultureInfo.CurrentCulture;
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            Console.SetOut(writer);
            example();
        }
        finally
        {
            Console.SetOut(console);
            CultureInfo.CurrentCulture = culture;
        }

        return writer.ToString();
    }
}
