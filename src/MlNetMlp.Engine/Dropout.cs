using System;
using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine;

/// <summary>
/// Inverted dropout of hidden units while training (Srivastava et al. 2014): each hidden activation of a training
/// row is kept with probability <c>1 - rate</c> and then divided by <c>1 - rate</c>, or set to 0; prediction uses
/// the network unchanged. Which units a step drops is a pure function of <c>(fit key, step, row's position in the
/// batch, layer, unit)</c>, drawn with a counter-based hash instead of a random stream, so it is the same whatever
/// the threads, the chunks a batch is cut into and the order the pieces run in; 16 bits per unit (the rate is
/// rounded to a multiple of 1/65,536).
/// </summary>
/// <remarks>
/// Only after relu (validated in <see cref="MlpOptions.Validate"/>): the fused relu derivative is read from the
/// stored activations (<c>a &gt; 0</c>), which a dropped unit fails and a kept unit passes exactly when its
/// pre-activation did, so backpropagation through the mask is the relu derivative times the uniform
/// <see cref="Scale"/> (<see cref="ScaleDelta"/>).
/// </remarks>
internal readonly struct Dropout
{
    private const ulong StepMultiplier = 0xD1B54A32D192ED03UL;
    private const ulong RowMultiplier = 0x9E3779B97F4A7C15UL;
    private const ulong LayerMultiplier = 0xC2B2AE3D27D4EB4FUL;

    private readonly ulong _key;
    private readonly uint _threshold;

    /// <summary>Dropout with <paramref name="rate"/> in [0, 1) for the step keyed by <paramref name="fitKey"/> and <paramref name="step"/>.</summary>
    public Dropout(double rate, ulong fitKey, long step)
    {
        _threshold = (uint)Math.Round(rate * 65536);
        Scale = 1f / (1f - (_threshold / 65536f));
        _key = Mix(fitKey ^ Mix(unchecked((ulong)step * StepMultiplier)));
    }

    /// <summary>Whether any unit can be dropped (a rate of 0, or one that rounds to 0, drops none).</summary>
    public bool IsActive => _threshold > 0;

    /// <summary>What a kept unit is multiplied by: <c>1 / (1 - rate)</c> (the rate as rounded).</summary>
    public float Scale { get; }

    /// <summary>Whether unit <paramref name="unit"/> of hidden layer <paramref name="layer"/> is kept for the row at <paramref name="position"/> in the batch.</summary>
    public bool Keeps(int position, int layer, int unit) => Draw(RowKey(position, layer), unit) >= _threshold;

    /// <summary>Drops and scales one row's activations of hidden layer <paramref name="layer"/> in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> activations, int position, int layer)
    {
        ulong rowKey = RowKey(position, layer);
        float scale = Scale;
        for (int j = 0; j < activations.Length; j += 4)
        {
            // One hash gives the 16-bit draws of four units.
            ulong bits = Mix(rowKey + (ulong)j);
            int end = Math.Min(j + 4, activations.Length);
            for (int u = j; u < end; u++, bits >>= 16)
            {
                activations[u] = (uint)(bits & 0xFFFF) >= _threshold ? activations[u] * scale : 0f;
            }
        }
    }

    /// <summary>
    /// The delta of a hidden layer after the fused relu derivative: times <see cref="Scale"/> (dropped units are 0
    /// already, their stored activation being 0).
    /// </summary>
    public void ScaleDelta(Span<float> delta) => Kernels.VectorMath.Scale(delta, Scale);

    private ulong RowKey(int position, int layer) =>
        Mix(_key ^ unchecked(((ulong)(uint)position * RowMultiplier) + ((ulong)(uint)layer * LayerMultiplier)));

    private static uint Draw(ulong rowKey, int unit) => (uint)((Mix(rowKey + (ulong)(unit & ~3)) >> (16 * (unit & 3))) & 0xFFFF);

    /// <summary>One SplitMix64 step: the golden-ratio increment, then its bijective finalizer (so 0 does not map to 0).</summary>
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
