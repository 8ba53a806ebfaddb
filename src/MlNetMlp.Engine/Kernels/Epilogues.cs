using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine.Kernels;

/// <summary>What a tile's accumulators start from.</summary>
internal unsafe interface ITileStart
{
    /// <summary>The starting value of the accumulator for <c>c</c> (one register), given the matching bias slots.</summary>
    static abstract TVec Start<TSimd, TVec>(float* c, float* bias)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged;
}

/// <summary>Accumulators start at the bias (broadcast over rows): the forward pass.</summary>
internal readonly unsafe struct StartAtBias : ITileStart
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start<TSimd, TVec>(float* c, float* bias)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.Load(bias);
}

/// <summary>Accumulators start at the current output: accumulation (<c>c += ...</c>).</summary>
internal readonly unsafe struct StartAtOutput : ITileStart
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start<TSimd, TVec>(float* c, float* bias)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.Load(c);
}

/// <summary>Accumulators start at zero: a plain product.</summary>
internal readonly unsafe struct StartAtZero : ITileStart
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start<TSimd, TVec>(float* c, float* bias)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.Zero;
}

/// <summary>
/// An elementwise step fused into the store of a tile: the activation after a forward product, or the
/// activation's derivative (from the forward output <c>z</c> at the same position) after an input-gradient
/// product. Each computes exactly what the separate pass in <see cref="HiddenActivation"/> computes.
/// </summary>
internal unsafe interface IEpilogue
{
    TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged;
}

/// <summary>Store the accumulators as they are.</summary>
internal readonly unsafe struct NoEpilogue : IEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => value;
}

/// <summary>Forward relu: <c>max(x, 0)</c>.</summary>
internal readonly unsafe struct ReluEpilogue : IEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.Relu(value);
}

/// <summary>relu': <c>z &lt;= 0 ? 0 : delta</c>.</summary>
internal readonly unsafe struct ReluBackward : IEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.WhereNotPositive(TSimd.Load(z), TSimd.Zero, value);
}

/// <summary>logistic': <c>delta * (z * (1 - z))</c>.</summary>
internal readonly unsafe struct LogisticBackward : IEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
    {
        TVec zv = TSimd.Load(z);
        return TSimd.Multiply(value, TSimd.Multiply(zv, TSimd.Subtract(TSimd.Broadcast(1f), zv)));
    }
}

/// <summary>tanh': <c>delta * (1 - z * z)</c>.</summary>
internal readonly unsafe struct TanhBackward : IEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
    {
        TVec zv = TSimd.Load(z);
        return TSimd.Multiply(value, TSimd.Subtract(TSimd.Broadcast(1f), TSimd.Multiply(zv, zv)));
    }
}

/// <summary>leaky relu': <c>z &lt;= 0 ? delta * slope : delta</c>.</summary>
internal readonly unsafe struct LeakyReluBackward(float slope) : IEpilogue
{
    private readonly float _slope = slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged => TSimd.WhereNotPositive(TSimd.Load(z), TSimd.Multiply(value, TSimd.Broadcast(_slope)), value);
}

/// <summary>elu': <c>z &lt;= 0 ? delta * (z + alpha) : delta</c>.</summary>
internal readonly unsafe struct EluBackward(float alpha) : IEpilogue
{
    private readonly float _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVec Apply<TSimd, TVec>(TVec value, float* z)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
    {
        TVec zv = TSimd.Load(z);
        return TSimd.WhereNotPositive(zv, TSimd.Multiply(value, TSimd.Add(zv, TSimd.Broadcast(_alpha))), value);
    }
}
