using System;

namespace MlNetMlp.Engine;

/// <summary>
/// The factor on the solver's learning rate at each step of a fit's epoch budget: a linear warm-up over the first
/// <c>warmup</c> steps (from <c>1 / warmup</c> to 1), then for <see cref="LearningRateDecay.Cosine"/> a half cosine
/// <c>0.5 (1 + cos(π t))</c> with <c>t</c> going from 0 at the end of the warm-up to 1 at the last step.
/// Loshchilov and Hutter (2017), SGDR; warm-up as in Goyal et al. (2017).
/// </summary>
internal readonly struct LearningRateCurve
{
    private readonly LearningRateDecay _decay;
    private readonly long _steps;
    private readonly long _warmup;

    public LearningRateCurve(LearningRateDecay decay, double warmupFraction, long steps)
    {
        _decay = decay;
        _steps = Math.Max(steps, 1);
        _warmup = (long)Math.Floor(warmupFraction * _steps);
    }

    /// <summary>Whether every step's factor is 1 (no schedule and no warm-up).</summary>
    public bool IsConstant => _decay == LearningRateDecay.None && _warmup == 0;

    /// <summary>The factor for step <paramref name="step"/> (0-based) of the budget; steps past it get the last step's.</summary>
    public double Factor(long step)
    {
        step = Math.Min(step, _steps - 1);
        if (step < _warmup)
        {
            return (step + 1) / (double)_warmup;
        }

        if (_decay == LearningRateDecay.None)
        {
            return 1;
        }

        long span = _steps - _warmup;
        double t = span <= 1 ? 0 : (step - _warmup) / (double)(span - 1);

        // Ends at a small positive rate rather than exactly zero, so the last step still moves.
        return Math.Max(0.5 * (1 + Math.Cos(Math.PI * t)), 0.5 / span);
    }
}
