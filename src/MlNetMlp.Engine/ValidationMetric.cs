using System;

namespace MlNetMlp.Engine;

/// <summary>Accumulates scikit-learn's <c>score</c> over rows, for early stopping; each head creates its own (<see cref="OutputHead.CreateMetric"/>).</summary>
internal abstract class ValidationMetric
{
    /// <summary>Adds row <paramref name="row"/> of <paramref name="data"/> given its raw outputs (logits or predictions); the rows may come from several blocks of a streamed fit.</summary>
    public abstract void Add(MlpDataset data, int row, ReadOnlySpan<float> outputs);

    /// <summary>The score over the rows added; higher is better.</summary>
    public abstract double Score();
}

/// <summary>Accuracy: the share of rows whose predicted class (the head's rule) is their label.</summary>
internal sealed class AccuracyMetric(OutputHead head) : ValidationMetric
{
    private int _count;
    private int _correct;

    public override void Add(MlpDataset data, int row, ReadOnlySpan<float> outputs)
    {
        _count++;
        _correct += head.PredictClass(outputs) == data.Labels![row] ? 1 : 0;
    }

    public override double Score() => (double)_correct / _count;
}

/// <summary>R², averaged over targets, as scikit-learn's <c>r2_score</c> with uniform averaging.</summary>
internal sealed class RSquaredMetric : ValidationMetric
{
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private readonly double[] _residualSquares;
    private int _count;

    public RSquaredMetric(int targets)
    {
        _sum = new double[targets];
        _sumSquares = new double[targets];
        _residualSquares = new double[targets];
    }

    public override void Add(MlpDataset data, int row, ReadOnlySpan<float> outputs)
    {
        _count++;
        ReadOnlySpan<float> y = data.Targets.AsSpan(row * _sum.Length, _sum.Length);
        for (int j = 0; j < y.Length; j++)
        {
            double residual = (double)y[j] - outputs[j];
            _residualSquares[j] += residual * residual;
            _sum[j] += y[j];
            _sumSquares[j] += (double)y[j] * y[j];
        }
    }

    public override double Score()
    {
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
