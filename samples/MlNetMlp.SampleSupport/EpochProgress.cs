using System;
using System.Diagnostics;
using System.Globalization;
using MlNetMlp.Engine;

namespace MlNetMlp.SampleSupport;

/// <summary>
/// Shows training progress from the trainer options' <c>Progress</c> callback. On a console, one line is
/// overwritten in place with the epoch counter and the current loss; when the output is redirected (a file, a
/// pipe, CI logs) a line is printed every <c>printEvery</c> epochs instead, so logs stay readable. The console line
/// is redrawn at most ten times a second, so fast epochs are not slowed down by the console.
/// </summary>
/// <example>
/// <code>
/// var progress = new EpochProgress("(128, 64)", maxEpochs: 200);
/// options.Progress = progress.Report;
/// var model = pipeline.Fit(train);
/// progress.Complete();
/// </code>
/// </example>
public sealed class EpochProgress
{
    private readonly string _label;
    private readonly int _maxEpochs;
    private readonly int _printEvery;
    private readonly bool _inPlace;
    private readonly Stopwatch _sinceDrawn = new();
    private int _lastLength;
    private MlpEpochReport? _last;

    /// <summary>Creates a progress display.</summary>
    /// <param name="label">What is being trained, shown at the start of the line.</param>
    /// <param name="maxEpochs">The epoch limit, shown as the counter's denominator.</param>
    /// <param name="printEvery">When the output is redirected, print every this many epochs.</param>
    public EpochProgress(string label, int maxEpochs, int printEvery = 25)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(printEvery, 1);
        _label = label;
        _maxEpochs = maxEpochs;
        _printEvery = printEvery;
        _inPlace = !Console.IsOutputRedirected;
    }

    /// <summary>The callback to put in the trainer options' <c>Progress</c>.</summary>
    public void Report(MlpEpochReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _last = report;
        if (_inPlace)
        {
            if (_sinceDrawn.IsRunning && _sinceDrawn.ElapsedMilliseconds < 100)
            {
                return;
            }

            string line = Format(report);
            Console.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
            _sinceDrawn.Restart();
        }
        else if (report.Epoch % _printEvery == 0)
        {
            Console.WriteLine(Format(report));
        }
    }

    /// <summary>Ends the progress line: on a console it is replaced by the final state, in logs the last epoch is printed.</summary>
    public void Complete()
    {
        if (_last is null)
        {
            return;
        }

        if (_inPlace)
        {
            Console.Write("\r" + new string(' ', _lastLength) + "\r");
        }
        else if (_last.Epoch % _printEvery != 0)
        {
            Console.WriteLine(Format(_last));
        }

        _last = null;
        _lastLength = 0;
        _sinceDrawn.Reset();
    }

    private string Format(MlpEpochReport report)
    {
        string validation = report.ValidationScore is double score
            ? string.Create(CultureInfo.InvariantCulture, $", validation {score:F4}")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"  {_label}: epoch {report.Epoch,4}/{_maxEpochs}, loss {report.Loss:F5}{validation}");
    }
}
