using System;

namespace MlNetMlp.Engine;

/// <summary>Accumulates scikit-learn's <c>score</c> over rows: accuracy for classifiers, R² averaged over targets for regressors.</summary>
internal sealed class ValidationMetric
{
    private readonly MlpDataset _data;
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private readonly double[] _residualSquares;
    private int _count;
    private int _correct;

    public ValidationMetric(MlpDataset data)
    {
        _data = data;
        int targets = data.TargetCount;
        _sum = new double[targets];
        _sumSquares = new double[targets];
        _residualSquares = new double[targets];
    }

    /// <summary>Adds one row given its raw outputs (logits or predictions).</summary>
    public void Add(int row, ReadOnlySpan<float> outputs)
    {
        _count++;
        switch (_data.Task)
        {
            case MlpTask.BinaryClassification:
                _correct += (outputs[0] > 0 ? 1 : 0) == _data.Labels![row] ? 1 : 0;
                break;
            case MlpTask.MulticlassClassification:
                _correct += MlpPredictor.ArgMax(outputs) == _data.Labels![row] ? 1 : 0;
                break;
            default:
                ReadOnlySpan<float> y = _data.Targets.AsSpan(row * _sum.Length, _sum.Length);
                for (int j = 0; j < y.Length; j++)
                {
                    double residual = (double)y[j] - outputs[j];
                    _residualSquares[j] += residual * residual;
                    _sum[j] += y[j];
                    _sumSquares[j] += (double)y[j] * y[j];
                }

                break;
        }
    }

    public double Score()
    {
        if (_data.Task != MlpTask.Regression)
        {
            return (double)_correct / _count;
        }

        double total = 0;
        for (int j = 0; j < _sum.Length; j++)
        {
            double mean = _sum[j] / _count;
            double totalSquares = _sumSquares[j] - (_count * mean * mean);
            // scikit-learn's r2_score: a constant target scores 1 when predicted exactly, 0 otherwise.
            total += totalSquares > 0 ? 1 - (_residualSquares[j] / totalSquares) : (_residualSquares[j] == 0 ? 1 : 0);
        }

        return total / _sum.Length;
    }
}
