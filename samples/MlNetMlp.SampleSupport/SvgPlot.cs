using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace MlNetMlp.SampleSupport;

/// <summary>Where the legend box sits inside the plot area.</summary>
public enum LegendPosition
{
    /// <summary>The corner where the legend covers the fewest data points (ties: top right, top left, bottom right, bottom left).</summary>
    Auto,

    /// <summary>Upper right corner.</summary>
    TopRight,

    /// <summary>Upper left corner.</summary>
    TopLeft,

    /// <summary>Lower right corner.</summary>
    BottomRight,

    /// <summary>Lower left corner.</summary>
    BottomLeft,

    /// <summary>No legend.</summary>
    None,
}

/// <summary>
/// A small, dependency-free SVG chart: line and scatter series, an optional background of colored cells (for
/// decision regions), axes with "nice" tick labels (linear, or logarithmic on y), grid lines, a title, axis labels
/// and a legend. Enough for loss curves, ROC curves, predicted-vs-actual and decision-boundary pictures.
/// </summary>
/// <example>
/// <code>
/// new SvgPlot("Training loss", "epoch", "loss") { LogY = true }
///     .Line("adam", epochs, losses)
///     .Save("samples/output/loss.svg");
/// </code>
/// </example>
public sealed class SvgPlot
{
    /// <summary>Matplotlib's "tab10" colors, used in order for series without an explicit color.</summary>
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    private const double MarginLeft = 78;
    private const double MarginRight = 24;
    private const double MarginTop = 44;
    private const double MarginBottom = 56;

    private readonly List<Series> _series = [];
    private CellGrid? _cells;

    /// <summary>Creates an empty plot.</summary>
    public SvgPlot(string title, string xLabel, string yLabel)
    {
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    /// <summary>The title above the plot.</summary>
    public string Title { get; }

    /// <summary>The x-axis label.</summary>
    public string XLabel { get; }

    /// <summary>The y-axis label.</summary>
    public string YLabel { get; }

    /// <summary>Picture width in pixels. Default 760.</summary>
    public int Width { get; init; } = 760;

    /// <summary>Picture height in pixels. Default 500.</summary>
    public int Height { get; init; } = 500;

    /// <summary>Fixed x range; null to fit the data (rounded out to ticks).</summary>
    public (double Min, double Max)? XRange { get; init; }

    /// <summary>Fixed y range; null to fit the data (rounded out to ticks).</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Logarithmic y axis (values must be positive). Default false.</summary>
    public bool LogY { get; init; }

    /// <summary>Where the legend goes. Default <see cref="LegendPosition.Auto"/>.</summary>
    public LegendPosition Legend { get; init; } = LegendPosition.Auto;

    /// <summary>Adds a line through the points in order; NaN values break the line.</summary>
    /// <param name="name">Legend text; null keeps the series out of the legend.</param>
    /// <param name="x">X coordinates.</param>
    /// <param name="y">Y coordinates, as many as x.</param>
    /// <param name="color">CSS color; null for the next palette color.</param>
    /// <param name="dashed">Draw dashed (for references such as y = x).</param>
    /// <param name="width">Stroke width in pixels.</param>
    public SvgPlot Line(string? name, IReadOnlyList<double> x, IReadOnlyList<double> y, string? color = null, bool dashed = false, double width = 2)
    {
        _series.Add(new Series(name, Check(x, y), y, color ?? NextColor(), false, dashed, width, 0));
        return this;
    }

    /// <summary>Adds points drawn as circles.</summary>
    /// <param name="name">Legend text; null keeps the series out of the legend.</param>
    /// <param name="x">X coordinates.</param>
    /// <param name="y">Y coordinates, as many as x.</param>
    /// <param name="color">CSS color; null for the next palette color.</param>
    /// <param name="radius">Circle radius in pixels.</param>
    /// <param name="opacity">Fill opacity, 0 to 1.</param>
    public SvgPlot Scatter(string? name, IReadOnlyList<double> x, IReadOnlyList<double> y, string? color = null, double radius = 3, double opacity = 0.75)
    {
        _series.Add(new Series(name, Check(x, y), y, color ?? NextColor(), true, false, radius, opacity));
        return this;
    }

    /// <summary>
    /// Fills the rectangle [xMin, xMax] × [yMin, yMax] with a grid of colored cells drawn under the series;
    /// <paramref name="fill"/>[row, column] is the CSS color of a cell, row 0 at the bottom (smallest y).
    /// </summary>
    public SvgPlot Cells(double xMin, double xMax, double yMin, double yMax, string[,] fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        _cells = new CellGrid(xMin, xMax, yMin, yMax, fill);
        return this;
    }

    /// <summary>
    /// A color between <paramref name="low"/> (t = 0), white (t = 0.5) and <paramref name="high"/> (t = 1), lightened
    /// by <paramref name="lightness"/> (0 keeps full colors, 1 gives white) so points drawn on top stay visible.
    /// </summary>
    public static string Diverging(double t, string low = "#1f77b4", string high = "#d62728", double lightness = 0.55)
    {
        t = Math.Clamp(double.IsNaN(t) ? 0.5 : t, 0, 1);
        (double r, double g, double b) end = t < 0.5 ? Parse(low) : Parse(high);
        double strength = Math.Abs(t - 0.5) * 2 * (1 - lightness);
        static int Mix(double c, double s) => (int)Math.Round(255 + ((c - 255) * s));
        return string.Create(CultureInfo.InvariantCulture, $"#{Mix(end.r, strength):x2}{Mix(end.g, strength):x2}{Mix(end.b, strength):x2}");
    }

    /// <summary>[min, max] widened to the ticks an automatic axis would use; handy to give two axes the same range.</summary>
    public static (double Min, double Max) NiceRange(double min, double max)
    {
        Axis axis = Axis.Linear((min, max), roundOut: true);
        return (axis.Min, axis.Max);
    }

    /// <summary>Writes the picture to <paramref name="path"/>, creating its folder.</summary>
    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, ToSvg(), new UTF8Encoding(false));
    }

    /// <summary>The picture as SVG text.</summary>
    public string ToSvg()
    {
        double plotWidth = Width - MarginLeft - MarginRight;
        double plotHeight = Height - MarginTop - MarginBottom;
        Axis xAxis = Axis.Linear(XRange ?? DataRange(true), XRange is null);
        Axis yAxis = LogY ? Axis.Log(YRange ?? DataRange(false)) : Axis.Linear(YRange ?? DataRange(false), YRange is null);
        double Px(double x) => MarginLeft + (xAxis.Fraction(x) * plotWidth);
        double Py(double y) => MarginTop + plotHeight - (yAxis.Fraction(y) * plotHeight);

        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">");
        Append(svg, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        Append(svg, $"<defs><clipPath id=\"plot-area\"><rect x=\"{F(MarginLeft)}\" y=\"{F(MarginTop)}\" width=\"{F(plotWidth)}\" height=\"{F(plotHeight)}\"/></clipPath></defs>");

        if (_cells is CellGrid cells)
        {
            int rows = cells.Fill.GetLength(0);
            int columns = cells.Fill.GetLength(1);
            Append(svg, "<g clip-path=\"url(#plot-area)\" shape-rendering=\"crispEdges\">");
            for (int r = 0; r < rows; r++)
            {
                double y0 = cells.YMin + ((cells.YMax - cells.YMin) * r / rows);
                double y1 = cells.YMin + ((cells.YMax - cells.YMin) * (r + 1) / rows);
                for (int c = 0; c < columns; c++)
                {
                    double x0 = cells.XMin + ((cells.XMax - cells.XMin) * c / columns);
                    double x1 = cells.XMin + ((cells.XMax - cells.XMin) * (c + 1) / columns);

                    // Half a pixel of overlap hides the hairline seams some renderers leave between cells.
                    Append(svg, $"<rect x=\"{F(Px(x0))}\" y=\"{F(Py(y1))}\" width=\"{F(Px(x1) - Px(x0) + 0.5)}\" height=\"{F(Py(y0) - Py(y1) + 0.5)}\" fill=\"{cells.Fill[r, c]}\"/>");
                }
            }

            Append(svg, "</g>");
        }

        // Grid lines and tick labels.
        Append(svg, "<g stroke=\"#dddddd\" stroke-width=\"1\">");
        foreach (double t in xAxis.Ticks)
        {
            Append(svg, $"<line x1=\"{F(Px(t))}\" y1=\"{F(MarginTop)}\" x2=\"{F(Px(t))}\" y2=\"{F(MarginTop + plotHeight)}\"/>");
        }

        foreach (double t in yAxis.Ticks)
        {
            Append(svg, $"<line x1=\"{F(MarginLeft)}\" y1=\"{F(Py(t))}\" x2=\"{F(MarginLeft + plotWidth)}\" y2=\"{F(Py(t))}\"/>");
        }

        Append(svg, "</g>");
        Append(svg, "<g font-size=\"12\" fill=\"#333333\">");
        foreach (double t in xAxis.Ticks)
        {
            Append(svg, $"<line x1=\"{F(Px(t))}\" y1=\"{F(MarginTop + plotHeight)}\" x2=\"{F(Px(t))}\" y2=\"{F(MarginTop + plotHeight + 5)}\" stroke=\"#333333\"/>");
            Append(svg, $"<text x=\"{F(Px(t))}\" y=\"{F(MarginTop + plotHeight + 19)}\" text-anchor=\"middle\">{Escape(xAxis.Label(t))}</text>");
        }

        foreach (double t in yAxis.Ticks)
        {
            Append(svg, $"<line x1=\"{F(MarginLeft - 5)}\" y1=\"{F(Py(t))}\" x2=\"{F(MarginLeft)}\" y2=\"{F(Py(t))}\" stroke=\"#333333\"/>");
            Append(svg, $"<text x=\"{F(MarginLeft - 8)}\" y=\"{F(Py(t) + 4)}\" text-anchor=\"end\">{Escape(yAxis.Label(t))}</text>");
        }

        Append(svg, "</g>");

        // Series, clipped to the plot area.
        Append(svg, "<g clip-path=\"url(#plot-area)\">");
        foreach (Series s in _series)
        {
            if (s.IsScatter)
            {
                Append(svg, $"<g fill=\"{s.Color}\" fill-opacity=\"{F(s.Opacity)}\" stroke=\"white\" stroke-width=\"0.6\">");
                for (int i = 0; i < s.X.Count; i++)
                {
                    if (IsDrawable(s.X[i], s.Y[i]))
                    {
                        Append(svg, $"<circle cx=\"{F(Px(s.X[i]))}\" cy=\"{F(Py(s.Y[i]))}\" r=\"{F(s.Size)}\"/>");
                    }
                }

                Append(svg, "</g>");
            }
            else
            {
                string dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty;
                var points = new StringBuilder();
                for (int i = 0; i <= s.X.Count; i++)
                {
                    if (i < s.X.Count && IsDrawable(s.X[i], s.Y[i]))
                    {
                        points.Append(F(Px(s.X[i]))).Append(',').Append(F(Py(s.Y[i]))).Append(' ');
                    }
                    else if (points.Length > 0)
                    {
                        Append(svg, $"<polyline points=\"{points.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"{F(s.Size)}\" stroke-linejoin=\"round\"{dash}/>");
                        points.Clear();
                    }
                }
            }
        }

        Append(svg, "</g>");

        // Frame, labels, title.
        Append(svg, $"<rect x=\"{F(MarginLeft)}\" y=\"{F(MarginTop)}\" width=\"{F(plotWidth)}\" height=\"{F(plotHeight)}\" fill=\"none\" stroke=\"#333333\"/>");
        Append(svg, $"<text x=\"{F(Width / 2.0)}\" y=\"26\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#111111\">{Escape(Title)}</text>");
        Append(svg, $"<text x=\"{F(MarginLeft + (plotWidth / 2))}\" y=\"{F(Height - 14.0)}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#111111\">{Escape(XLabel)}</text>");
        Append(svg, $"<text transform=\"translate(18 {F(MarginTop + (plotHeight / 2))}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\" fill=\"#111111\">{Escape(YLabel)}</text>");
        AppendLegend(svg, plotWidth, plotHeight, Px, Py);
        Append(svg, "</svg>");
        return svg.ToString();
    }

    private void AppendLegend(StringBuilder svg, double plotWidth, double plotHeight, Func<double, double> px, Func<double, double> py)
    {
        List<Series> entries = _series.Where(s => s.Name is not null).ToList();
        if (entries.Count == 0 || Legend == LegendPosition.None)
        {
            return;
        }

        const double RowHeight = 18;
        const double Pad = 8;
        const double Swatch = 22;
        double boxWidth = (Pad * 3) + Swatch + (entries.Max(e => e.Name!.Length) * 6.8);
        double boxHeight = (Pad * 2) + (entries.Count * RowHeight) - 4;
        (double X, double Y) Corner(LegendPosition position)
        {
            bool right = position is LegendPosition.TopRight or LegendPosition.BottomRight;
            bool top = position is LegendPosition.TopRight or LegendPosition.TopLeft;
            return (right ? MarginLeft + plotWidth - boxWidth - 10 : MarginLeft + 10, top ? MarginTop + 10 : MarginTop + plotHeight - boxHeight - 10);
        }

        LegendPosition chosen = Legend;
        if (chosen == LegendPosition.Auto)
        {
            // Count the data the box would cover in each corner: points of scatters, and points every few pixels
            // along lines. The first corner with the fewest wins.
            List<(double X, double Y)> pixels = SampledPixels(px, py);
            chosen = new[] { LegendPosition.TopRight, LegendPosition.TopLeft, LegendPosition.BottomRight, LegendPosition.BottomLeft }
                .Select((position, order) =>
                {
                    (double x0, double y0) = Corner(position);
                    int covered = pixels.Count(p => p.X >= x0 - 4 && p.X <= x0 + boxWidth + 4 && p.Y >= y0 - 4 && p.Y <= y0 + boxHeight + 4);
                    return (position, covered, order);
                })
                .OrderBy(c => c.covered)
                .ThenBy(c => c.order)
                .First().position;
        }

        (double x, double y) = Corner(chosen);
        Append(svg, $"<g font-size=\"12\" fill=\"#111111\"><rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(boxWidth)}\" height=\"{F(boxHeight)}\" fill=\"white\" fill-opacity=\"0.88\" stroke=\"#999999\"/>");
        for (int i = 0; i < entries.Count; i++)
        {
            Series s = entries[i];
            double rowY = y + Pad + (i * RowHeight) + 7;
            if (s.IsScatter)
            {
                Append(svg, $"<circle cx=\"{F(x + Pad + (Swatch / 2))}\" cy=\"{F(rowY)}\" r=\"4\" fill=\"{s.Color}\"/>");
            }
            else
            {
                string dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty;
                Append(svg, $"<line x1=\"{F(x + Pad)}\" y1=\"{F(rowY)}\" x2=\"{F(x + Pad + Swatch)}\" y2=\"{F(rowY)}\" stroke=\"{s.Color}\" stroke-width=\"{F(Math.Max(2, s.Size))}\"{dash}/>");
            }

            Append(svg, $"<text x=\"{F(x + (Pad * 2) + Swatch)}\" y=\"{F(rowY + 4)}\">{Escape(s.Name!)}</text>");
        }

        Append(svg, "</g>");
    }

    private List<(double X, double Y)> SampledPixels(Func<double, double> px, Func<double, double> py)
    {
        var pixels = new List<(double X, double Y)>();
        foreach (Series s in _series)
        {
            (double X, double Y)? previous = null;
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!IsDrawable(s.X[i], s.Y[i]))
                {
                    previous = null;
                    continue;
                }

                (double X, double Y) current = (px(s.X[i]), py(s.Y[i]));
                if (!s.IsScatter && previous is (double X, double Y) start)
                {
                    int steps = (int)Math.Min(200, Math.Ceiling(Math.Max(Math.Abs(current.X - start.X), Math.Abs(current.Y - start.Y)) / 4));
                    for (int k = 1; k < steps; k++)
                    {
                        double t = k / (double)steps;
                        pixels.Add((start.X + ((current.X - start.X) * t), start.Y + ((current.Y - start.Y) * t)));
                    }
                }

                pixels.Add(current);
                previous = current;
            }
        }

        return pixels;
    }

    private (double Min, double Max) DataRange(bool x)
    {
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        foreach (Series s in _series)
        {
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!IsDrawable(s.X[i], s.Y[i]))
                {
                    continue;
                }

                double v = x ? s.X[i] : s.Y[i];
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        if (_cells is CellGrid cells)
        {
            min = Math.Min(min, x ? cells.XMin : cells.YMin);
            max = Math.Max(max, x ? cells.XMax : cells.YMax);
        }

        return double.IsInfinity(min) ? (0, 1) : (min, max);
    }

    private bool IsDrawable(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!LogY || y > 0);

    private string NextColor() => Palette[_series.Count(s => Palette.Contains(s.Color)) % Palette.Length];

    private static IReadOnlyList<double> Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} values and y has {y.Count}; they must match.", nameof(y));
        }

        return x;
    }

    private static (double R, double G, double B) Parse(string hex) =>
        (Convert.ToInt32(hex.Substring(1, 2), 16), Convert.ToInt32(hex.Substring(3, 2), 16), Convert.ToInt32(hex.Substring(5, 2), 16));

    private static void Append(StringBuilder svg, string line) => svg.Append(line).Append('\n');

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private sealed record Series(string? Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, string Color, bool IsScatter, bool Dashed, double Size, double Opacity);

    private sealed record CellGrid(double XMin, double XMax, double YMin, double YMax, string[,] Fill);

    /// <summary>An axis: its range, its ticks and how a value maps to [0, 1] along it.</summary>
    private sealed class Axis
    {
        private readonly double _min;
        private readonly double _max;
        private readonly bool _log;
        private readonly int _decimals;

        private Axis(double min, double max, bool log, double[] ticks, int decimals)
        {
            _min = min;
            _max = max;
            _log = log;
            Ticks = ticks;
            _decimals = decimals;
        }

        public double[] Ticks { get; }

        public double Min => _min;

        public double Max => _max;

        /// <summary>A linear axis with ticks at 1, 2 or 5 times a power of ten; the range is rounded out to ticks when <paramref name="roundOut"/>.</summary>
        public static Axis Linear((double Min, double Max) range, bool roundOut)
        {
            (double min, double max) = range;
            if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
            {
                double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
                (min, max) = (min - pad, max + pad);
            }

            double step = NiceStep((max - min) / 6);
            if (roundOut)
            {
                min = Math.Floor((min / step) + 1e-9) * step;
                max = Math.Ceiling((max / step) - 1e-9) * step;
            }

            var ticks = new List<double>();
            for (double t = Math.Ceiling((min / step) - 1e-9) * step; t <= max + (step * 1e-9); t += step)
            {
                ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
            }

            int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
            return new Axis(min, max, false, ticks.ToArray(), decimals);
        }

        /// <summary>A base-10 logarithmic axis over whole decades, with 2× and 5× ticks when it spans few decades.</summary>
        public static Axis Log((double Min, double Max) range)
        {
            double lo = Math.Floor(Math.Log10(Math.Max(range.Min, 1e-300)));
            double hi = Math.Ceiling(Math.Log10(Math.Max(range.Max, 1e-300)));
            if (hi <= lo)
            {
                hi = lo + 1;
            }

            var ticks = new List<double>();
            for (double d = lo; d <= hi; d++)
            {
                ticks.Add(Math.Pow(10, d));
                if (hi - lo <= 2 && d < hi)
                {
                    ticks.Add(2 * Math.Pow(10, d));
                    ticks.Add(5 * Math.Pow(10, d));
                }
            }

            return new Axis(Math.Pow(10, lo), Math.Pow(10, hi), true, ticks.ToArray(), 0);
        }

        public double Fraction(double value) => _log
            ? (Math.Log10(value) - Math.Log10(_min)) / (Math.Log10(_max) - Math.Log10(_min))
            : (value - _min) / (_max - _min);

        public string Label(double value) => _log
            ? value.ToString(value is >= 1e-4 and < 1e5 ? "0.####" : "0E0", CultureInfo.InvariantCulture)
            : value.ToString("F" + _decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

        private static double NiceStep(double rough)
        {
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            double residual = rough / magnitude;
            double nice = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10;
            return nice * magnitude;
        }
    }
}
