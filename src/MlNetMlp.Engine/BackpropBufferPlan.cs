using System;
using MlNetMlp.Engine.Kernels;

namespace MlNetMlp.Engine;

/// <summary>
/// The sizes of <see cref="Backprop"/>'s work buffers for one shape, capacity and kind of input: every row stride and
/// every buffer's length in floats, decided here once. <see cref="Backprop"/>'s constructor allocates exactly these
/// buffers and <see cref="Backprop.WorkBytes"/> (the memory estimate <see cref="Backprop.RowsWithinBudget"/> and the trainer's
/// memory check read) is <see cref="Bytes"/>, so the two cannot disagree. Legend as in <see cref="Backprop"/>:
/// l = 0..L for activations, l = 0..L-1 for weights.
/// </summary>
internal sealed class BackpropBufferPlan
{
    public BackpropBufferPlan(ParameterLayout layout, int capacity, bool sparseInput)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ReadOnlySpan<int> sizes = layout.Sizes;
        int layers = layout.LayerCount;
        Capacity = capacity;
        LayerByLayer = !Backprop.MaySplit(capacity, layout.WeightCount);

        // Weights are padded (copied, and transposed at a padded stride) only for chunks that may be split between
        // threads; the sparse first layer is read row by row in place, so it is never copied.
        bool padWeights = !LayerByLayer;
        ActStride = new nint[layers + 1];
        ActFloats = new long[layers + 1];
        DeltaFloats = new long[layers + 1];
        for (int l = 0; l <= layers; l++)
        {
            bool hidden = l > 0 && l < layers;
            ActStride[l] = hidden ? Gemm.PaddedStride(sizes[l]) : sizes[l];

            // With sparse input no input block is gathered: act[0] is a one-float placeholder.
            ActFloats[l] = Floats(l == 0 && sparseInput ? 1 : (long)capacity * ActStride[l]);
            if (hidden && !DeltaOverActivation(LayerByLayer, sizes[l + 1]))
            {
                DeltaFloats[l] = ActFloats[l];
            }
        }

        WeightStride = new nint[layers];
        WeightCopyFloats = new long[layers];
        WeightTStride = new nint[layers];
        WeightTFloats = new long[layers];
        for (int l = 0; l < layers; l++)
        {
            WeightStride[l] = padWeights && !(l == 0 && sparseInput) ? Gemm.PaddedStride(sizes[l + 1]) : sizes[l + 1];
            if (WeightStride[l] != sizes[l + 1])
            {
                WeightCopyFloats[l] = Floats((long)sizes[l] * WeightStride[l]);
            }

            if (l > 0)
            {
                WeightTStride[l] = padWeights ? Gemm.PaddedStride(sizes[l]) : sizes[l];
                WeightTFloats[l] = Floats((long)sizes[l + 1] * WeightTStride[l]);
            }
        }

        long floats = 0;
        int buffers = 0;
        foreach (long[] lengths in new[] { ActFloats, DeltaFloats, WeightCopyFloats, WeightTFloats })
        {
            foreach (long length in lengths)
            {
                floats += length;
                buffers += length > 0 ? 1 : 0;
            }
        }

        BufferCount = buffers;
        Bytes = (floats * sizeof(float)) + ((long)RowLossDoubles * sizeof(double));
    }

    /// <summary>Most rows per chunk.</summary>
    public int Capacity { get; }

    /// <summary>Whether a full chunk runs layer by layer on the calling thread (too small to split between threads).</summary>
    public bool LayerByLayer { get; }

    /// <summary>Row stride of act[l]: padded for the hidden layers (<see cref="Gemm.PaddedStride"/>), the width otherwise.</summary>
    public nint[] ActStride { get; }

    /// <summary>Floats of act[l] (capacity rows at <see cref="ActStride"/>).</summary>
    public long[] ActFloats { get; }

    /// <summary>Floats of delta[l]'s own buffer (same stride as act[l]); 0 where the delta is written over act[l], and for l = 0 and L.</summary>
    public long[] DeltaFloats { get; }

    /// <summary>Row stride the forward pass reads layer l's weight at: padded where a copy is made, the width otherwise.</summary>
    public nint[] WeightStride { get; }

    /// <summary>Floats of layer l's padded weight copy; 0 where the kernels read the parameters in place.</summary>
    public long[] WeightCopyFloats { get; }

    /// <summary>Row stride of weightT[l] (l ≥ 1).</summary>
    public nint[] WeightTStride { get; }

    /// <summary>Floats of weightT[l]; 0 for l = 0, whose input gradient is never needed.</summary>
    public long[] WeightTFloats { get; }

    /// <summary>Doubles of the per-row loss buffer: one per row of a chunk.</summary>
    public int RowLossDoubles => Capacity;

    /// <summary>How many float buffers the plan allocates (the non-zero lengths above).</summary>
    public int BufferCount { get; }

    /// <summary>Bytes of all the buffers' contents (their array headers and <see cref="Backprop"/>'s small bookkeeping arrays aside).</summary>
    public long Bytes { get; }

    /// <summary>
    /// Whether a hidden layer's delta is written over its activations: layer by layer, where the kernel allows it
    /// (<see cref="Gemm.InputGradient"/>: the accelerated kernels, in one pass over a depth of at most <see cref="Gemm.DepthBlock"/>).
    /// </summary>
    public static bool DeltaOverActivation(bool layerByLayer, int nextWidth) => layerByLayer && Gemm.IsAccelerated && nextWidth <= Gemm.DepthBlock;

    /// <summary>A buffer's length: at least one float (pinning an empty array would give a null pointer).</summary>
    private static long Floats(long length) => Math.Max(length, 1);
}
