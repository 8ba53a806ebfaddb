using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// State of a mini-batch optimizer, shaped like the flat parameter vector, plus the two hooks that the
/// learning-rate schedule and stopping rule plug into (scikit-learn's <c>iteration_ends</c> and
/// <c>trigger_stopping</c>). Created lazily by the trainer at the first step of a fit.
/// </summary>
internal abstract class StochasticOptimizer
{
    /// <summary>The learning rate the next step uses.</summary>
    public abstract double LearningRate { get; }

    /// <summary>
    /// Factor on the learning rate that the trainer's schedule (<see cref="MlpOptions.LearningRateDecay"/>, warm-up)
    /// sets before each step; 1 otherwise, and again after a fit, so a model continued later starts from the solver's rate.
    /// </summary>
    public double RateScale { get; set; } = 1;

    /// <summary>Applies one update: <c>parameters += step(gradient)</c>.</summary>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradient);

    /// <summary>Called after each epoch with the total number of samples seen so far.</summary>
    public virtual void EpochEnded(long samplesSeen)
    {
    }

    /// <summary>Called when progress stalls; returns true to stop, false to go on (for example with a smaller rate).</summary>
    public virtual bool TryContinueAfterStall() => false;

    public abstract StochasticOptimizer Clone();

    /// <summary>
    /// What in the optimizer's state is no longer a finite number, or null when all of it is: state that
    /// overflowed can stop every step while the weights stay finite, which is divergence all the same.
    /// </summary>
    public virtual string? NonFiniteState() => null;
}

/// <summary>
/// Adam: <c>m = b1 m + (1 - b1) g</c>, <c>v = b2 v + (1 - b2) g²</c>,
/// <c>lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)</c>, <c>p -= lr_t m / (sqrt(v) + eps)</c>.
/// </summary>
internal sealed class AdamOptimizer : StochasticOptimizer
{
    private readonly double _learningRateInit;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly float _epsilon;
    private readonly float[] _m;
    private readonly float[] _v;
    private long _t;
    private double _learningRate;

    public AdamOptimizer(AdamSolver options, int parameterCount)
    {
        _learningRateInit = options.LearningRate;
        _learningRate = options.LearningRate;
        _beta1 = options.Beta1;
        _beta2 = options.Beta2;
        _epsilon = (float)options.Epsilon;
        _m = new float[parameterCount];
        _v = new float[parameterCount];
    }

    private AdamOptimizer(AdamOptimizer other)
    {
        _learningRateInit = other._learningRateInit;
        _learningRate = other._learningRate;
        _beta1 = other._beta1;
        _beta2 = other._beta2;
        _epsilon = other._epsilon;
        _m = (float[])other._m.Clone();
        _v = (float[])other._v.Clone();
        _t = other._t;
    }

    public override double LearningRate => _learningRate;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _t++;
        _learningRate = _learningRateInit * RateScale * Math.Sqrt(1 - Math.Pow(_beta2, _t)) / (1 - Math.Pow(_beta1, _t));
        AdamStep(parameters, gradient, _m, _v, _beta1, _beta2, (float)_learningRate, _epsilon);
    }

    public override StochasticOptimizer Clone() => new AdamOptimizer(this);

    /// <summary>
    /// The second moment overflows first: <c>(1 - b2) g²</c> passes float32's maximum for a gradient component above
    /// <c>sqrt(3.4e38 / (1 - b2))</c> (5.8e20 with the default b2); from then on that parameter's step is
    /// <c>m / ∞ = 0</c> and the loss freezes.
    /// </summary>
    public override string? NonFiniteState()
    {
        for (int i = 0; i < _v.Length; i++)
        {
            if (!float.IsFinite(_v[i]) || !float.IsFinite(_m[i]))
            {
                double limit = Math.Sqrt(float.MaxValue / (1 - _beta2));
                return $"Adam's running average of the squared gradient overflowed float32 (a gradient component above about {limit:G2}), which stops every step";
            }
        }

        return null;
    }

    /// <summary>
    /// The stateless update. Vectorized (512 or 256 bits, then one element at a time); every lane evaluates exactly
    /// the scalar expressions below, in the same order and without fused multiply-adds, so the result does not
    /// depend on the vector width. New moments below the smallest normal float and parameters below 2^-100 are
    /// stored as zero (<see cref="VectorMath.FlushSubnormal(float)"/>, <see cref="VectorMath.FlushTiny(float)"/>):
    /// arithmetic on subnormal numbers is two orders of magnitude slower on x86.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AdamStep(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, double beta1Double, double beta2Double, float learningRate, float epsilon)
    {
        // 1 - beta is formed in double: float(1 - 0.999) is exact to 7 digits, 1 - float(0.999) only to 5.
        float beta1 = (float)beta1Double, beta2 = (float)beta2Double;
        float oneMinusBeta1 = (float)(1 - beta1Double);
        float oneMinusBeta2 = (float)(1 - beta2Double);
        int length = p.Length;
        if (g.Length < length || m.Length < length || v.Length < length)
        {
            throw new ArgumentException("The gradient and the moments must be as long as the parameters.");
        }

        int i = 0;
        fixed (float* pp = p, pg = g, pm = m, pv = v)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> b1 = Vector512.Create(beta1), b2 = Vector512.Create(beta2), c1 = Vector512.Create(oneMinusBeta1), c2 = Vector512.Create(oneMinusBeta2);
                Vector512<float> rate = Vector512.Create(learningRate), eps = Vector512.Create(epsilon);
                for (; i + 16 <= length; i += 16)
                {
                    Vector512<float> gi = Vector512.Load(pg + i);
                    Vector512<float> mi = VectorMath.FlushSubnormal((b1 * Vector512.Load(pm + i)) + (c1 * gi));
                    Vector512<float> vi = VectorMath.FlushSubnormal((b2 * Vector512.Load(pv + i)) + (c2 * gi * gi));
                    mi.Store(pm + i);
                    vi.Store(pv + i);
                    VectorMath.FlushTiny(Vector512.Load(pp + i) - (rate * mi / (Vector512.Sqrt(vi) + eps))).Store(pp + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> b1 = Vector256.Create(beta1), b2 = Vector256.Create(beta2), c1 = Vector256.Create(oneMinusBeta1), c2 = Vector256.Create(oneMinusBeta2);
                Vector256<float> rate = Vector256.Create(learningRate), eps = Vector256.Create(epsilon);
                for (; i + 8 <= length; i += 8)
                {
                    Vector256<float> gi = Vector256.Load(pg + i);
                    Vector256<float> mi = VectorMath.FlushSubnormal((b1 * Vector256.Load(pm + i)) + (c1 * gi));
                    Vector256<float> vi = VectorMath.FlushSubnormal((b2 * Vector256.Load(pv + i)) + (c2 * gi * gi));
                    mi.Store(pm + i);
                    vi.Store(pv + i);
                    VectorMath.FlushTiny(Vector256.Load(pp + i) - (rate * mi / (Vector256.Sqrt(vi) + eps))).Store(pp + i);
                }
            }

            for (; i < length; i++)
            {
                float gi = pg[i];
                float mi = VectorMath.FlushSubnormal((beta1 * pm[i]) + (oneMinusBeta1 * gi));
                float vi = VectorMath.FlushSubnormal((beta2 * pv[i]) + (oneMinusBeta2 * gi * gi));
                pm[i] = mi;
                pv[i] = vi;
                pp[i] = VectorMath.FlushTiny(pp[i] - (learningRate * mi / (MathF.Sqrt(vi) + epsilon)));
            }
        }
    }
}

/// <summary>
/// SGD with momentum: <c>u = mu u - lr g</c>; the step is <c>u</c>, or with Nesterov's momentum
/// <c>mu u - lr g</c> evaluated with the new <c>u</c>.
/// </summary>
internal sealed class SgdOptimizer : StochasticOptimizer
{
    private const double MinimumAdaptiveRate = 1e-6;

    private readonly double _learningRateInit;
    private readonly float _momentum;
    private readonly bool _nesterov;
    private readonly LearningRateSchedule _schedule;
    private readonly double _inverseScalingExponent;
    private readonly float[] _velocity;
    private double _learningRate;

    public SgdOptimizer(SgdSolver options, int parameterCount)
    {
        _learningRateInit = options.LearningRate;
        _learningRate = options.LearningRate;
        _momentum = (float)options.Momentum;
        _nesterov = options.Nesterov;
        _schedule = options.Schedule;
        _inverseScalingExponent = options.InverseScalingExponent;
        _velocity = new float[parameterCount];
    }

    private SgdOptimizer(SgdOptimizer other)
    {
        _learningRateInit = other._learningRateInit;
        _learningRate = other._learningRate;
        _momentum = other._momentum;
        _nesterov = other._nesterov;
        _schedule = other._schedule;
        _inverseScalingExponent = other._inverseScalingExponent;
        _velocity = (float[])other._velocity.Clone();
    }

    public override double LearningRate => _learningRate * RateScale;

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient) =>
        SgdStep(parameters, gradient, _velocity, _momentum, (float)(_learningRate * RateScale), _nesterov);

    public override void EpochEnded(long samplesSeen)
    {
        if (_schedule == LearningRateSchedule.InverseScaling)
        {
            _learningRate = _learningRateInit / Math.Pow(samplesSeen + 1, _inverseScalingExponent);
        }
    }

    public override bool TryContinueAfterStall()
    {
        if (_schedule != LearningRateSchedule.Adaptive || _learningRate <= MinimumAdaptiveRate)
        {
            return false;
        }

        _learningRate /= 5.0;
        return true;
    }

    public override StochasticOptimizer Clone() => new SgdOptimizer(this);

    /// <summary>
    /// The stateless update, vectorized like <see cref="AdamOptimizer.AdamStep"/> (same bits at any width; subnormal
    /// velocities and parameters below 2^-100 stored as zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void SgdStep(Span<float> p, ReadOnlySpan<float> g, Span<float> velocity, float momentum, float learningRate, bool nesterov)
    {
        int length = p.Length;
        if (g.Length < length || velocity.Length < length)
        {
            throw new ArgumentException("The gradient and the velocity must be as long as the parameters.");
        }

        int i = 0;
        fixed (float* pp = p, pg = g, pu = velocity)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> mu = Vector256.Create(momentum), rate = Vector256.Create(learningRate);
                for (; i + 8 <= length; i += 8)
                {
                    Vector256<float> lg = rate * Vector256.Load(pg + i);
                    Vector256<float> u = VectorMath.FlushSubnormal((mu * Vector256.Load(pu + i)) - lg);
                    u.Store(pu + i);
                    VectorMath.FlushTiny(Vector256.Load(pp + i) + (nesterov ? (mu * u) - lg : u)).Store(pp + i);
                }
            }

            for (; i < length; i++)
            {
                float lg = learningRate * pg[i];
                float u = VectorMath.FlushSubnormal((momentum * pu[i]) - lg);
                pu[i] = u;
                pp[i] = VectorMath.FlushTiny(pp[i] + (nesterov ? (momentum * u) - lg : u));
            }
        }
    }
}
