using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace MlNetMlp.SampleSupport;

/// <summary>
/// The training-curve pictures several samples draw, with ScottPlot: the loss on a logarithmic axis, the best epoch
/// marked, the validation score (when there is one) on the right axis; and saving a plot as PNG and SVG.
/// </summary>
public static class Charts
{
    /// <summary>
    /// Loss curves, one per named series, on a log-scale loss axis; each curve's lowest-loss epoch is marked, or
    /// with <paramref name="validation"/> the epoch of the best validation score (the weights early stopping keeps),
    /// whose curve goes on the right axis.
    /// </summary>
    public static Plot TrainingCurves(string title, string lossLabel, IReadOnlyList<(string Name, IReadOnlyList<double> Loss)> curves, (string Label, IReadOnlyList<double> Scores)? validation = null)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var plot = new Plot();
        Label(plot, title, "epoch (passes over the training rows)", lossLabel + " (log scale)");
        var drawn = new List<(double X, double Y)>();
        for (int c = 0; c < curves.Count; c++)
        {
            (string name, IReadOnlyList<double> loss) = curves[c];
            double[] epochs = Enumerable.Range(1, loss.Count).Select(e => (double)e).ToArray();
            double[] logLoss = loss.Select(Math.Log10).ToArray();
            var line = plot.Add.ScatterLine(epochs, logLoss, Palette(c));
            line.LineWidth = 2;
            drawn.AddRange(epochs.Zip(logLoss));
            int best = IndexOfBest(loss, lower: true);
            line.LegendText = validation is null ? $"{name} (lowest {loss[best]:G3} at epoch {best + 1})" : name;
            if (validation is null)
            {
                var marker = plot.Add.Marker(best + 1, logLoss[best], MarkerShape.FilledCircle, 9, Palette(c));
                marker.LegendText = c == 0 ? "best epoch: lowest training loss" : string.Empty;
            }
        }

        if (validation is (string label, IReadOnlyList<double> scores) && scores.Count > 0)
        {
            double[] epochs = Enumerable.Range(1, scores.Count).Select(e => (double)e).ToArray();
            var line = plot.Add.ScatterLine(epochs, scores.ToArray(), Palette(curves.Count));
            line.LineWidth = 2;
            line.LinePattern = LinePattern.Dashed;
            string name = label.Split(" (")[0]; // the legend drops the axis label's unit
            line.LegendText = name + " (right axis)";
            line.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = label;
            plot.Axes.Right.Label.FontSize = 14;
            int best = IndexOfBest(scores, lower: false);
            var mark = plot.Add.VerticalLine(best + 1, 1.5f, Colors.Black, LinePattern.Dotted);
            mark.LegendText = $"best epoch {best + 1} ({name} {scores[best]:F4}): weights kept";
        }

        LogTicks(plot.Axes.Left, curves.SelectMany(c => c.Loss));
        PlaceLegend(plot, drawn);
        return plot;
    }

    /// <summary>
    /// The ROC curve of scored rows (one point per distinct probability, ties together) with the points of the
    /// given decision thresholds marked and labelled, the chance diagonal, and the trapezoidal AUC in the legend.
    /// </summary>
    public static (Plot Plot, double Auc) RocCurve(string title, IReadOnlyList<(bool Label, float Probability)> rows, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(thresholds);
        var sorted = rows.OrderByDescending(r => r.Probability).ToArray();
        double positives = sorted.Count(r => r.Label);
        double negatives = sorted.Length - positives;
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        int truePositives = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            truePositives += sorted[i].Label ? 1 : 0;
            if (i == sorted.Length - 1 || sorted[i + 1].Probability != sorted[i].Probability)
            {
                fpr.Add((i + 1 - truePositives) / negatives);
                tpr.Add(truePositives / positives);
            }
        }

        double auc = 0;
        for (int i = 1; i < fpr.Count; i++)
        {
            auc += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        }

        var plot = new Plot();
        Label(plot, title, "false positive rate (share of negatives flagged)", "true positive rate (recall)");
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LinePattern = LinePattern.Dashed;
        chance.Color = Colors.Gray;
        chance.LegendText = "chance (AUC 0.5)";
        var curve = plot.Add.ScatterLine(fpr.ToArray(), tpr.ToArray(), Palette(0));
        curve.LineWidth = 2;
        curve.LegendText = $"ROC curve, AUC {auc:F3} ({rows.Count} rows)";
        for (int t = 0; t < thresholds.Count; t++)
        {
            double threshold = thresholds[t];
            double x = rows.Count(r => !r.Label && r.Probability >= threshold) / negatives;
            double y = rows.Count(r => r.Label && r.Probability >= threshold) / positives;
            var marker = plot.Add.Marker(x, y, MarkerShape.FilledCircle, 9, Palette(3));
            marker.LegendText = t == 0 ? "decision thresholds on P(positive)" : string.Empty;
            var text = plot.Add.Text(threshold.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture), x, y);
            text.LabelFontSize = 13;
            text.LabelAlignment = Alignment.UpperLeft;
            text.OffsetX = 6;
            text.OffsetY = 4;
        }

        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.ShowLegend(Alignment.LowerRight);
        return (plot, auc);
    }

    /// <summary>
    /// Shows the legend in the corner of the data area that covers the fewest of <paramref name="points"/> (data
    /// coordinates of the left and bottom axes); ties go to upper right, upper left, lower right, lower left. A
    /// legend of more than three entries, too big for a corner, goes below the plot instead.
    /// </summary>
    public static void PlaceLegend(Plot plot, IReadOnlyCollection<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(plot);
        ArgumentNullException.ThrowIfNull(points);
        if (plot.Legend.GetItems().Count(i => !string.IsNullOrEmpty(i.LabelText)) > 3)
        {
            plot.ShowLegend(Edge.Bottom);
            return;
        }

        plot.Axes.AutoScale();
        AxisLimits limits = plot.Axes.GetLimits();
        int Covered(bool right, bool top) => points.Count(p =>
        {
            double x = (p.X - limits.Left) / limits.HorizontalSpan;
            double y = (p.Y - limits.Bottom) / limits.VerticalSpan;
            return (right ? x > 0.45 : x < 0.55) && (top ? y > 0.55 : y < 0.45);
        });
        (Alignment Corner, int Count) best = new[]
        {
            (Alignment.UpperRight, Covered(true, true)),
            (Alignment.UpperLeft, Covered(false, true)),
            (Alignment.LowerRight, Covered(true, false)),
            (Alignment.LowerLeft, Covered(false, false)),
        }.MinBy(c => c.Item2);
        plot.ShowLegend(best.Corner);
    }

    /// <summary>The title and axis labels, in the sizes every sample picture uses.</summary>
    public static void Label(Plot plot, string title, string xLabel, string yLabel)
    {
        ArgumentNullException.ThrowIfNull(plot);
        plot.Title(title, size: 16);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);
    }

    /// <summary>
    /// Labels a log-scale axis whose data were plotted as log10(value): major ticks at 1, 2 and 5 times each power
    /// of ten in range, labelled with the value, minor ticks between.
    /// </summary>
    public static void LogTicks(IAxis axis, IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(axis);
        double[] positive = values.Where(v => v > 0 && double.IsFinite(v)).ToArray();
        double low = positive.Min();
        double high = positive.Max();
        int first = (int)Math.Floor(Math.Log10(low));
        int last = (int)Math.Ceiling(Math.Log10(high));

        // Label 1, 2 and 5 times each power of ten; where fewer than two of those fall in the data's range (a curve
        // spanning less than a factor of 2.5), label every integer multiple instead.
        int[] labelled = [1, 2, 5];
        bool Inside(int m, int decade) => m * Math.Pow(10, decade) >= low && m * Math.Pow(10, decade) <= high;
        if (Enumerable.Range(first, last - first + 1).Sum(d => labelled.Count(m => Inside(m, d))) < 2)
        {
            labelled = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        }

        var ticks = new NumericManual();
        for (int decade = first; decade <= last; decade++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double value = m * Math.Pow(10, decade);
                if (labelled.Contains(m))
                {
                    ticks.AddMajor(Math.Log10(value), value.ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    ticks.AddMinor(Math.Log10(value));
                }
            }
        }

        axis.TickGenerator = ticks;
    }

    /// <summary>
    /// Writes <paramref name="plot"/> to <paramref name="pathWithoutExtension"/>.png and, with <paramref name="svg"/>,
    /// .svg; returns the paths written.
    /// </summary>
    public static string[] Save(Plot plot, string pathWithoutExtension, int width = 800, int height = 500, bool svg = true)
    {
        ArgumentNullException.ThrowIfNull(plot);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension))!);
        string png = pathWithoutExtension + ".png";
        plot.SavePng(png, width, height);
        if (!svg)
        {
            return [png];
        }

        string svgPath = pathWithoutExtension + ".svg";
        plot.SaveSvg(svgPath, width, height);
        return [png, svgPath];
    }

    /// <summary>Matplotlib's "tab10" colours in order (as ScottPlot's Category10 palette).</summary>
    public static Color Palette(int index) => new ScottPlot.Palettes.Category10().GetColor(index);

    private static int IndexOfBest(IReadOnlyList<double> values, bool lower)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
        {
            if (lower ? values[i] < values[best] : values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
