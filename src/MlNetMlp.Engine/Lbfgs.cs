using System;
using System.Numerics.Tensors;
using System.Threading;

namespace MlNetMlp.Engine;

/// <summary>
/// Limited-memory BFGS (Nocedal, 1980; Liu and Nocedal, 1989) with a strong-Wolfe line search
/// (Nocedal and Wright, Numerical Optimization, algorithms 3.5 and 3.6). The objective is evaluated in
/// float32 while the iterates, the curvature pairs and the two-loop recursion are kept in double.
/// Stopping rules follow scipy's L-BFGS-B as scikit-learn calls it: the largest gradient entry at most the
/// gradient tolerance, a relative loss reduction below <c>2.2e-9</c>, the iteration limit, or the evaluation limit.
/// </summary>
internal sealed class Lbfgs
{
    /// <summary>scipy's default <c>ftol</c> (factr 1e7 times machine epsilon).</summary>
    public const double RelativeReductionTolerance = 2.220446049250313e-09;

    private const double C1 = 1e-3;
    private const double C2 = 0.9;
    private const int MaxLineSearchEvaluations = 20;

    private readonly Objective _objective;
    private readonly int _n;
    private readonly int _historySize;
    private readonly int _maxEvaluations;
    private readonly double[][] _s;
    private readonly double[][] _y;
    private readonly double[] _rho;
    private readonly double[] _alpha;
    private readonly float[] _xFloat;
    private readonly float[] _gFloat;
    private int _stored;
    private int _newest = -1;
    private double _lastStep = double.NaN;

    public Lbfgs(int parameterCount, int historySize, int maxEvaluations, Objective objective)
    {
        _maxEvaluations = maxEvaluations;
        _n = parameterCount;
        _historySize = historySize;
        _objective = objective;
        _s = new double[historySize][];
        _y = new double[historySize][];
        for (int i = 0; i < historySize; i++)
        {
            _s[i] = new double[parameterCount];
            _y[i] = new double[parameterCount];
        }

        _rho = new double[historySize];
        _alpha = new double[historySize];
        _xFloat = new float[parameterCount];
        _gFloat = new float[parameterCount];
    }

    /// <summary>Loss and gradient at <c>x</c>; writes the gradient.</summary>
    public delegate double Objective(ReadOnlySpan<float> x, Span<float> gradient);

    /// <summary>Number of objective evaluations so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>
    /// Minimizes from <paramref name="start"/>, which receives the result. <paramref name="onIteration"/> gets the
    /// 1-based iteration and its loss and may throw to abort.
    /// </summary>
    public (double Loss, int Iterations, MlpStopReason Reason, string Message) Minimize(float[] start, int maxIterations, double gradientTolerance, Action<int, double>? onIteration, CancellationToken cancellationToken)
    {
        var x = new double[_n];
        var g = new double[_n];
        var d = new double[_n];
        var xTrial = new double[_n];
        var gTrial = new double[_n];
        for (int i = 0; i < _n; i++)
        {
            x[i] = start[i];
        }

        double f = Evaluate(x, g);
        (MlpStopReason, string) reason = (MlpStopReason.MaximumIterations, $"the iteration limit of {maxIterations} was reached");
        int iteration = 0;
        if (MaxAbs(g) <= gradientTolerance)
        {
            reason = (MlpStopReason.GradientBelowTolerance, $"the gradient is below the tolerance {gradientTolerance}");
        }
        else
        {
            while (iteration < maxIterations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Direction(g, d);
                double slope = Dot(g, d);
                if (!(slope < 0))
                {
                    _stored = 0;
                    for (int i = 0; i < _n; i++)
                    {
                        d[i] = -g[i];
                    }

                    slope = -Dot(g, g);
                }

                // Without curvature pairs the direction is the raw gradient: start with a step of unit length, as L-BFGS-B does.
                double initialStep = _stored == 0 ? 1.0 / Math.Sqrt(Dot(d, d)) : 1.0;

                double budget = _maxEvaluations - Evaluations;
                if (budget <= 0)
                {
                    reason = (MlpStopReason.MaximumFunctionEvaluations, $"the function-evaluation limit of {_maxEvaluations} was reached");
                    break;
                }

                // A line search may spend one evaluation more than it is given, to go back to its best point: near the
                // evaluation limit it gets one less (its first evaluation never needs that extra one).
                int searchBudget = budget > MaxLineSearchEvaluations ? MaxLineSearchEvaluations : (int)Math.Max(1, budget - 1);
                (bool found, double fNew) = LineSearch(x, f, g, d, slope, initialStep, xTrial, gTrial, searchBudget);
                if (!found)
                {
                    if (_stored > 0)
                    {
                        _stored = 0;
                        continue;
                    }

                    reason = (MlpStopReason.NoLowerLossFound, "the line search found no lower loss (converged to the float32 precision of the loss)");
                    break;
                }

                iteration++;
                UpdateHistory(x, g, xTrial, gTrial);
                double fOld = f;
                (x, xTrial) = (xTrial, x);
                (g, gTrial) = (gTrial, g);
                f = fNew;
                onIteration?.Invoke(iteration, f);

                if ((fOld - f) / Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1.0) <= RelativeReductionTolerance)
                {
                    reason = (MlpStopReason.LossReductionBelowTolerance, "the relative loss reduction is below 2.2e-9");
                    break;
                }

                if (MaxAbs(g) <= gradientTolerance)
                {
                    reason = (MlpStopReason.GradientBelowTolerance, $"the gradient is below the tolerance {gradientTolerance}");
                    break;
                }

                if (Evaluations >= _maxEvaluations)
                {
                    reason = (MlpStopReason.MaximumFunctionEvaluations, $"the function-evaluation limit of {_maxEvaluations} was reached");
                    break;
                }
            }
        }

        for (int i = 0; i < _n; i++)
        {
            start[i] = (float)x[i];
        }

        return (f, iteration, reason.Item1, reason.Item2);
    }

    private double Evaluate(double[] x, double[] g)
    {
        for (int i = 0; i < _n; i++)
        {
            _xFloat[i] = (float)x[i];
        }

        double f = _objective(_xFloat, _gFloat);
        Evaluations++;
        for (int i = 0; i < _n; i++)
        {
            g[i] = _gFloat[i];
        }

        return f;
    }

    /// <summary>Two-loop recursion: <c>d = -H g</c> with <c>H0 = (sᵀy / yᵀy) I</c>.</summary>
    private void Direction(double[] g, double[] d)
    {
        for (int i = 0; i < _n; i++)
        {
            d[i] = -g[i];
        }

        if (_stored == 0)
        {
            return;
        }

        int index = _newest;
        for (int k = 0; k < _stored; k++)
        {
            _alpha[index] = _rho[index] * Dot(_s[index], d);
            Axpy(-_alpha[index], _y[index], d);
            index = (index - 1 + _historySize) % _historySize;
        }

        double[] yNewest = _y[_newest];
        double gamma = Dot(_s[_newest], yNewest) / Dot(yNewest, yNewest);
        for (int i = 0; i < _n; i++)
        {
            d[i] *= gamma;
        }

        index = (_newest - _stored + 1 + _historySize) % _historySize;
        for (int k = 0; k < _stored; k++)
        {
            double beta = _rho[index] * Dot(_y[index], d);
            Axpy(_alpha[index] - beta, _s[index], d);
            index = (index + 1) % _historySize;
        }
    }

    private void UpdateHistory(double[] x, double[] g, double[] xNew, double[] gNew)
    {
        int slot = (_newest + 1) % _historySize;
        double[] s = _s[slot];
        double[] y = _y[slot];
        for (int i = 0; i < _n; i++)
        {
            s[i] = xNew[i] - x[i];
            y[i] = gNew[i] - g[i];
        }

        double sy = Dot(s, y);
        if (sy <= 2.2e-16 * Dot(y, y))
        {
            return; // Curvature condition fails: skip the pair, as L-BFGS-B does.
        }

        _rho[slot] = 1.0 / sy;
        _newest = slot;
        _stored = Math.Min(_stored + 1, _historySize);
    }

    /// <summary>
    /// Strong-Wolfe line search along <paramref name="d"/> (Nocedal and Wright, algorithms 3.5 and 3.6); on success
    /// the trial buffers hold the accepted point and its gradient.
    /// </summary>
    private (bool Found, double Loss) LineSearch(double[] x, double f0, double[] g0, double[] d, double slope0, double step, double[] xTrial, double[] gTrial, int budget)
    {
        double previous = 0, fPrevious = f0, slopePrevious = slope0;
        int used = 0;
        while (used < budget)
        {
            double f = EvaluateAt(x, d, step, xTrial, gTrial);
            double slope = Dot(gTrial, d);
            used++;
            if (!double.IsFinite(f) || f > f0 + (C1 * step * slope0) || (used > 1 && f >= fPrevious))
            {
                return Zoom(x, f0, d, slope0, previous, fPrevious, slopePrevious, step, f, slope, xTrial, gTrial, budget - used);
            }

            if (Math.Abs(slope) <= -C2 * slope0)
            {
                return (true, f);
            }

            if (slope >= 0)
            {
                return Zoom(x, f0, d, slope0, step, f, slope, previous, fPrevious, slopePrevious, xTrial, gTrial, budget - used);
            }

            (previous, fPrevious, slopePrevious) = (step, f, slope);
            step *= 2;
        }

        return AcceptSufficientDecrease(x, f0, d, previous, fPrevious, xTrial, gTrial);
    }

    /// <summary>Shrinks the bracket [low, high], low being the best point with sufficient decrease so far.</summary>
    private (bool Found, double Loss) Zoom(double[] x, double f0, double[] d, double slope0, double low, double fLow, double slopeLow, double high, double fHigh, double slopeHigh, double[] xTrial, double[] gTrial, int budget)
    {
        for (int used = 0; used < budget; used++)
        {
            if (Math.Abs(high - low) <= 1e-14 * Math.Max(1.0, Math.Abs(low)))
            {
                break;
            }

            double step = Interpolate(low, fLow, slopeLow, high, fHigh, slopeHigh);
            double f = EvaluateAt(x, d, step, xTrial, gTrial);
            double slope = Dot(gTrial, d);
            if (!double.IsFinite(f) || f > f0 + (C1 * step * slope0) || f >= fLow)
            {
                (high, fHigh, slopeHigh) = (step, f, slope);
                continue;
            }

            if (Math.Abs(slope) <= -C2 * slope0)
            {
                return (true, f);
            }

            if (slope * (high - low) >= 0)
            {
                (high, fHigh, slopeHigh) = (low, fLow, slopeLow);
            }

            (low, fLow, slopeLow) = (step, f, slope);
        }

        return AcceptSufficientDecrease(x, f0, d, low, fLow, xTrial, gTrial);
    }

    /// <summary>
    /// Out of evaluations: take the best point with sufficient decrease, if there is one. The trial buffers hold the
    /// last point evaluated; only another point is evaluated again, to get its gradient back.
    /// </summary>
    private (bool Found, double Loss) AcceptSufficientDecrease(double[] x, double f0, double[] d, double step, double f, double[] xTrial, double[] gTrial)
    {
        if (step > 0 && f < f0)
        {
            return (true, step == _lastStep ? f : EvaluateAt(x, d, step, xTrial, gTrial));
        }

        return (false, f0);
    }

    private double EvaluateAt(double[] x, double[] d, double step, double[] xTrial, double[] gTrial)
    {
        for (int i = 0; i < _n; i++)
        {
            xTrial[i] = x[i] + (step * d[i]);
        }

        _lastStep = step;
        return Evaluate(xTrial, gTrial);
    }

    /// <summary>Minimizer of the cubic through both ends, kept inside the middle 80% of the bracket (bisection otherwise).</summary>
    private static double Interpolate(double a, double fa, double da, double b, double fb, double db)
    {
        double lo = Math.Min(a, b), hi = Math.Max(a, b);
        double width = hi - lo;
        double result = double.NaN;
        if (double.IsFinite(fb) && double.IsFinite(db))
        {
            double d1 = da + db - (3 * (fa - fb) / (a - b));
            double radicand = (d1 * d1) - (da * db);
            if (radicand >= 0)
            {
                double d2 = Math.Sign(b - a) * Math.Sqrt(radicand);
                result = b - ((b - a) * (db + d2 - d1) / (db - da + (2 * d2)));
            }
        }
        else if (double.IsFinite(fb))
        {
            // Quadratic through fa, da, fb.
            double denominator = 2 * (fb - fa - (da * (b - a)));
            if (denominator > 0)
            {
                result = a - (da * (b - a) * (b - a) / denominator);
            }
        }

        if (!double.IsFinite(result) || result < lo + (0.1 * width) || result > hi - (0.1 * width))
        {
            result = double.IsFinite(fb) ? lo + (0.5 * width) : a + (0.25 * (b - a));
        }

        return result;
    }

    private static double Dot(double[] a, double[] b) => TensorPrimitives.Dot<double>(a, b);

    /// <summary><c>y += alpha x</c>, element by element (a product then a sum, not fused).</summary>
    private static void Axpy(double alpha, double[] x, double[] y) => TensorPrimitives.MultiplyAdd<double>(x, alpha, y, y);

    private static double MaxAbs(double[] values) => values.Length == 0 ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude<double>(values));
}
