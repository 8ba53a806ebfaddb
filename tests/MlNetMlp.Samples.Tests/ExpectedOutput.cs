using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace MlNetMlp.Samples.Tests;

/// <summary>
/// The "// Expected output" comment that ends an example: a header, optionally stating a tolerance
/// ("// Expected output (numbers within ±0.002):"), then one "//   " line per printed line ("//" for a blank one).
/// Text must match exactly; numbers within the tolerance (0 when none is stated).
/// </summary>
public sealed partial class ExpectedOutput
{
    private ExpectedOutput(IReadOnlyList<string> lines, double tolerance)
    {
        Lines = lines;
        Tolerance = tolerance;
    }

    /// <summary>The expected lines, without the comment prefix.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>The largest allowed absolute difference between an expected and a printed number.</summary>
    public double Tolerance { get; }

    /// <summary>Reads the expected-output comment of an example's source.</summary>
    public static ExpectedOutput Parse(string source)
    {
        string[] lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("// Expected output", StringComparison.Ordinal));
        if (header < 0)
        {
            throw new FormatException("The source has no '// Expected output' comment.");
        }

        Match within = WithinPattern().Match(lines[header]);
        double tolerance = within.Success ? double.Parse(within.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var expected = lines.Skip(header + 1).TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal))
            .Select(l => l.StartsWith("//   ", StringComparison.Ordinal) ? l[5..] : l[2..].Trim())
            .ToList();
        if (expected.Count == 0)
        {
            throw new FormatException("The '// Expected output' comment has no lines.");
        }

        return new ExpectedOutput(expected, tolerance);
    }

    /// <summary>Null when <paramref name="printed"/> matches, otherwise what differs first.</summary>
    public string? Mismatch(string printed)
    {
        string[] actual = printed.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        for (int i = 0; i < Math.Max(actual.Length, Lines.Count); i++)
        {
            if (i >= actual.Length || i >= Lines.Count)
            {
                return $"Expected {Lines.Count} lines, printed {actual.Length}; first extra line {i + 1}: '{(i < actual.Length ? actual[i] : Lines[i])}'.";
            }

            string? difference = LineMismatch(Lines[i], actual[i].TrimEnd());
            if (difference is not null)
            {
                return $"Line {i + 1}: {difference}\n  expected: {Lines[i]}\n  printed:  {actual[i]}";
            }
        }

        return null;
    }

    private string? LineMismatch(string expected, string actual)
    {
        string[] expectedText = NumberPattern().Split(expected);
        string[] actualText = NumberPattern().Split(actual);
        if (!expectedText.SequenceEqual(actualText))
        {
            return "the text differs.";
        }

        double[] expectedNumbers = Numbers(expected);
        double[] actualNumbers = Numbers(actual);
        for (int k = 0; k < expectedNumbers.Length; k++)
        {
            if (!(Math.Abs(expectedNumbers[k] - actualNumbers[k]) <= Tolerance))
            {
                return $"number {k + 1} is {actualNumbers[k].ToString(CultureInfo.InvariantCulture)}, expected {expectedNumbers[k].ToString(CultureInfo.InvariantCulture)} within ±{Tolerance.ToString(CultureInfo.InvariantCulture)}.";
            }
        }

        return null;
    }

    private static double[] Numbers(string line) =>
        NumberPattern().Matches(line).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();

    // A number not glued to a word (so "L2" or "x1" stay text): optional sign, digits, optional fraction.
    [GeneratedRegex(@"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"within ±?([0-9.]+)")]
    private static partial Regex WithinPattern();
}
