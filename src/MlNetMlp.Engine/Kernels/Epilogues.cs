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
/// product. Each activation's epilogues live with it (<see cref="ActivationFunction"/>) and compute exactly what its
/// separate pass computes.
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
