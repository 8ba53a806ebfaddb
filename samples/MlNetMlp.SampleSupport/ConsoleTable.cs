using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace MlNetMlp.SampleSupport;

/// <summary>
/// A plain-text table for the console: a header, a rule, and rows. Cells that read as numbers are right-aligned,
/// others left-aligned.
/// </summary>
public sealed class ConsoleTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table with the given column headers.</summary>
    public ConsoleTable(params string[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        _headers = headers;
    }

    /// <summary>Adds a row; it must have one cell per header. Numbers are formatted with the invariant culture.</summary>
    public ConsoleTable AddRow(params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"The table has {_headers.Length} columns; the row has {cells.Length} cells.", nameof(cells));
        }

        _rows.Add(cells.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture) ?? string.Empty).ToArray());
        return this;
    }

    /// <summary>The table as text, one line per row, ending with a newline.</summary>
    public override string ToString()
    {
        int[] widths = new int[_headers.Length];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = Math.Max(_headers[c].Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[c].Length));
        }

        bool[] numeric = new bool[_headers.Length];
        for (int c = 0; c < numeric.Length; c++)
        {
            numeric[c] = _rows.Count > 0 && _rows.All(r => r[c].Length == 0 || IsNumber(r[c]));
        }

        var text = new StringBuilder();
        AppendLine(text, _headers, widths, numeric);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in _rows)
        {
            AppendLine(text, row, widths, numeric);
        }

        return text.ToString();
    }

    /// <summary>Writes the table to the console.</summary>
    public void Write() => Console.Write(ToString());

    private static void AppendLine(StringBuilder text, string[] cells, int[] widths, bool[] numeric)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                text.Append("  ");
            }

            text.Append(numeric[c] ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }

        text.Append('\n');
        // Trim the padding of the last column.
        int end = text.Length - 1;
        int start = end;
        while (start > 0 && text[start - 1] == ' ')
        {
            start--;
        }

        text.Remove(start, end - start);
    }

    /// <summary>Numbers, and cells such as "0.97 ± 0.01", "12.5 s" or "-3%", start with a digit or a signed digit.</summary>
    private static bool IsNumber(string cell) =>
        char.IsAsciiDigit(cell[0]) || (cell.Length > 1 && (cell[0] == '-' || cell[0] == '+' || cell[0] == '.') && char.IsAsciiDigit(cell[1]));
}
