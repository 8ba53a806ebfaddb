using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// The three matrix products of the forward and backward passes, the only entry points the trainer and the
/// predictor call. Legend: m = rows of the batch, k = input width of a layer, n = output width. Every matrix is
/// row-major and dense, addressed by a pointer and a row stride (ld), so that work buffers can be padded and a caller
/// can split rows between threads (<see cref="Backprop"/> and <see cref="MlpPredictor"/> do; the products themselves
/// run on the calling thread).
/// <list type="bullet">
/// <item><see cref="Forward"/>: <c>out (m,n) = inp (m,k) · weight (k,n) + bias</c>, an activation fused.</item>
/// <item><see cref="WeightGradientRows"/>: <c>dweight (k,n) += inpᵀ · dout (m,n)</c>.</item>
/// <item><see cref="InputGradient"/>: <c>dinp (m,k) = (dout (m,n) · weightᵀ) ⊙ f'(z)</c>, the derivative fused.</item>
/// </list>
/// Each output element is one chain of fused multiply-adds in ascending order of the summed index, starting
/// from the bias, the current value or zero: exactly <see cref="GemmReference"/>'s order. So the result does not
/// depend on the register width, the tiling, the number of threads, or whether a row was computed alone or in a
/// block. Products run on <see cref="Microkernels"/> tiles (AVX-512: 8 rows x 32 columns; AVX2: 4 x 16), one
/// panel of columns at a time so that the right operand's panel stays in the L1 cache while the tiles walk
/// down the rows; depths over <see cref="DepthBlock"/> are split into blocks. Without AVX2+FMA everything falls
/// back to <see cref="GemmReference"/>.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Longest depth run in one pass; deeper products are done in blocks (same arithmetic, better cache reuse).</summary>
    internal const int DepthBlock = 256;

    /// <summary>Fewest rows for which a pass copies the right operand's panels into a contiguous buffer.</summary>
    internal const int PackRows = 32;

    /// <summary>Right-operand row length (floats) from which panels are always copied.</summary>
    private const int PackStride = 1024;

    /// <summary>Rows per block in a pass over copied panels: the left operand's block stays in L2.</summary>
    private const int RowBlock = 256;

    /// <summary>Rows per block when narrow column remainders are padded out to a full register.</summary>
    private const int RemainderRows = 64;

    [ThreadStatic]
    private static Scratch? t_scratch;


    /// <summary>True when the vector kernels run; false when <see cref="GemmReference"/> does.</summary>
    public static bool IsAccelerated => Fma.IsSupported && Avx2.IsSupported;

    /// <summary>
    /// The forward product of rows <c>[0, rows)</c>, <c>output = inp · weight + bias</c>, with <paramref name="epilogue"/>
    /// applied to every element as it is stored; returns false when the vector kernels do not run, in which case the
    /// product was stored without the epilogue (the caller applies the activation as a separate pass).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Forward<TEpilogue>(float* inp, nint ldInp, float* weight, nint ldWeight, float* bias, float* output, nint ldOutput, int rows, int k, int n, TEpilogue epilogue)
        where TEpilogue : IEpilogue
    {
        if (!IsAccelerated)
        {
            GemmReference.MultiplyAddBias(inp, ldInp, weight, ldWeight, bias, output, ldOutput, rows, k, n);
            return false;
        }

        var operands = new Operands(inp, ldInp, 1, weight, ldWeight, output, ldOutput, bias, null, 0);
        Dispatch<StartAtBias, TEpilogue>(operands, rows, n, k, epilogue);
        return true;
    }

    /// <summary>
    /// Rows <c>[p0, p1)</c> of <c>dweight (k,n) += inpᵀ (k,m) · dout (m,n)</c>, or with <paramref name="accumulate"/>
    /// false <c>dweight = inpᵀ · dout</c> (the same bits as clearing first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradientRows(float* inp, nint ldInp, float* dout, nint ldDout, float* dweight, nint ldDweight, int m, int n, int p0, int p1, bool accumulate = true)
    {
        if (!IsAccelerated)
        {
            for (int p = p0; p < p1 && !accumulate; p++)
            {
                new Span<float>(dweight + (p * ldDweight), n).Clear();
            }

            GemmReference.AccumulateTransposeA(inp, ldInp, dout, ldDout, dweight, ldDweight, m, n, p0, p1);
            return;
        }

        var operands = new Operands(inp + p0, 1, ldInp, dout, ldDout, dweight + (p0 * ldDweight), ldDweight, null, null, 0);
        if (accumulate)
        {
            Dispatch<StartAtOutput, NoEpilogue>(operands, p1 - p0, n, m, default);
        }
        else
        {
            Dispatch<StartAtZero, NoEpilogue>(operands, p1 - p0, n, m, default);
        }
    }

    /// <summary>
    /// The input gradient of rows <c>[0, rows)</c>: <c>dinp (rows,k) = epilogue(dout (rows,n) · weightT (n,k), z)</c>, the
    /// epilogue being the activation's derivative at <paramref name="z"/>, with <paramref name="weightTransposed"/> the
    /// layer's weight transposed and <paramref name="z"/> the layer's forward input <c>(rows,k)</c>, which is the
    /// previous layer's activation output. Returns false when the vector kernels do not run, in which case the product
    /// was stored without the epilogue. With the accelerated kernels and <c>n</c> at most <see cref="DepthBlock"/>,
    /// <paramref name="dinp"/> may be <paramref name="z"/> (same stride): every element of z is read just before the
    /// same element of dinp is written, and by no other tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool InputGradient<TEpilogue>(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k, TEpilogue epilogue)
        where TEpilogue : IEpilogue
    {
        if (!IsAccelerated)
        {
            GemmReference.MultiplyRows(dout, ldDout, weightTransposed, ldWeightTransposed, dinp, ldDinp, rows, n, k);
            return false;
        }

        var operands = new Operands(dout, ldDout, 1, weightTransposed, ldWeightTransposed, dinp, ldDinp, null, z, ldZ);
        Dispatch<StartAtZero, TEpilogue>(operands, rows, k, n, epilogue);
        return true;
    }

    /// <summary>
    /// The row stride to give a buffer with rows of <paramref name="width"/> floats. A row length that is an even
    /// multiple of 64 bytes puts the rows of a column panel into a few L1 cache sets, where they evict each other;
    /// such widths get 16 floats of padding, which spreads the rows over all sets.
    /// </summary>
    internal static int PaddedStride(int width) => width % 16 == 0 && (width / 16) % 2 == 0 ? width + 16 : width;

    /// <summary>Picks the widest register the CPU has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dispatch<TStart, TEpilogue>(in Operands o, int rows, int cols, int depth, TEpilogue epilogue)
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        if (Avx512F.IsSupported)
        {
            Blocked<Simd512, Vector512<float>, TStart, TEpilogue>(o, rows, cols, depth, epilogue);
        }
        else
        {
            Blocked<Simd256, Vector256<float>, TStart, TEpilogue>(o, rows, cols, depth, epilogue);
        }
    }

    /// <summary>Splits the depth into blocks: the first starts as asked, later ones continue from the output; the epilogue runs after the last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked<TSimd, TVec, TStart, TEpilogue>(Operands o, int rows, int cols, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        if (depth <= DepthBlock)
        {
            Pass<TSimd, TVec, TStart, TEpilogue>(o, rows, cols, depth, epilogue);
            return;
        }

        for (int q0 = 0; q0 < depth; q0 += DepthBlock)
        {
            int block = Math.Min(DepthBlock, depth - q0);
            Operands part = o.AtDepth(q0);
            if (q0 == 0)
            {
                Pass<TSimd, TVec, TStart, NoEpilogue>(part, rows, cols, block, default);
            }
            else if (q0 + block < depth)
            {
                Pass<TSimd, TVec, StartAtOutput, NoEpilogue>(part, rows, cols, block, default);
            }
            else
            {
                Pass<TSimd, TVec, StartAtOutput, TEpilogue>(part, rows, cols, block, epilogue);
            }
        }
    }

    /// <summary>
    /// One depth block: panels of two registers' width, then one, then the remainder. When the right operand's
    /// rows are long or their length would make a panel's rows collide in the L1 cache (see
    /// <see cref="PaddedStride"/>), and there are enough rows to pay for it, its full-width panels are first copied
    /// to a contiguous buffer; rows are then walked in blocks that stay in L2 while the panels cycle through L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass<TSimd, TVec, TStart, TEpilogue>(in Operands o, int rows, int cols, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        int lanes = TSimd.Lanes;
        if (rows < 4)
        {
            for (int i = 0; i < rows; i++)
            {
                SingleRow<TSimd, TVec, TStart, TEpilogue>(o.AtRow(i), cols, depth, epilogue);
            }

            return;
        }

        int wide = 2 * lanes;
        int panels = cols / wide;
        nint yq = o.YDepthStride;
        if (panels > 0 && rows >= PackRows && (yq >= PackStride || PaddedStride((int)yq) != yq))
        {
            float* packed = Scratch.Current.Packed((long)panels * depth * wide);
            for (int panel = 0; panel < panels; panel++)
            {
                float* source = o.Y + (panel * wide);
                float* destination = packed + ((long)panel * depth * wide);
                for (int q = 0; q < depth; q++)
                {
                    new ReadOnlySpan<float>(source + (q * yq), wide).CopyTo(new Span<float>(destination + (q * wide), wide));
                }
            }

            for (int i0 = 0; i0 < rows; i0 += RowBlock)
            {
                Operands block = o.AtRow(i0);
                int blockRows = Math.Min(RowBlock, rows - i0);
                for (int panel = 0; panel < panels; panel++)
                {
                    Operands p = block.AtColumn(panel * wide).WithY(packed + ((long)panel * depth * wide), wide);
                    PanelOfTwo<TSimd, TVec, TStart, TEpilogue>(p, blockRows, depth, epilogue);
                }
            }
        }
        else
        {
            for (int panel = 0; panel < panels; panel++)
            {
                PanelOfTwo<TSimd, TVec, TStart, TEpilogue>(o.AtColumn(panel * wide), rows, depth, epilogue);
            }
        }

        int j = panels * wide;
        if (cols - j >= lanes)
        {
            PanelOfOne<TSimd, TVec, TStart, TEpilogue>(o.AtColumn(j), rows, depth, epilogue);
            j += lanes;
        }

        if (j < cols)
        {
            Remainder<TSimd, TVec, TStart, TEpilogue>(o.AtColumn(j), rows, cols - j, depth, epilogue);
        }
    }

    /// <summary>
    /// One row (prediction, or the last rows of a block): up to eight registers of columns per pass, so that
    /// enough independent FMA chains are in flight to hide their latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SingleRow<TSimd, TVec, TStart, TEpilogue>(in Operands o, int cols, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        int lanes = TSimd.Lanes;
        int j = 0;
        for (; j + (8 * lanes) <= cols; j += 8 * lanes)
        {
            Operands p = o.AtColumn(j);
            Microkernels.Tile1x8<TSimd, TVec, TStart, TEpilogue>(p.X, p.XRowStride, p.XDepthStride, p.Y, p.YDepthStride, depth, p.C, p.CRowStride, p.Bias, p.Z, p.ZRowStride, epilogue);
        }

        if (j + (4 * lanes) <= cols)
        {
            Operands p = o.AtColumn(j);
            Microkernels.Tile1x4<TSimd, TVec, TStart, TEpilogue>(p.X, p.XRowStride, p.XDepthStride, p.Y, p.YDepthStride, depth, p.C, p.CRowStride, p.Bias, p.Z, p.ZRowStride, epilogue);
            j += 4 * lanes;
        }

        if (j + (2 * lanes) <= cols)
        {
            Operands p = o.AtColumn(j);
            Microkernels.Tile1x2<TSimd, TVec, TStart, TEpilogue>(p.X, p.XRowStride, p.XDepthStride, p.Y, p.YDepthStride, depth, p.C, p.CRowStride, p.Bias, p.Z, p.ZRowStride, epilogue);
            j += 2 * lanes;
        }

        if (j + lanes <= cols)
        {
            Operands p = o.AtColumn(j);
            Microkernels.Tile1x1<TSimd, TVec, TStart, TEpilogue>(p.X, p.XRowStride, p.XDepthStride, p.Y, p.YDepthStride, depth, p.C, p.CRowStride, p.Bias, p.Z, p.ZRowStride, epilogue);
            j += lanes;
        }

        if (j < cols)
        {
            Remainder<TSimd, TVec, TStart, TEpilogue>(o.AtColumn(j), 1, cols - j, depth, epilogue);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelOfTwo<TSimd, TVec, TStart, TEpilogue>(in Operands o, int rows, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        float* x = o.X, y = o.Y, c = o.C, bias = o.Bias, z = o.Z;
        nint xs = o.XRowStride, xq = o.XDepthStride, yq = o.YDepthStride, ldc = o.CRowStride, ldz = o.ZRowStride;
        int i = 0;
        if (TSimd.Lanes >= 16)
        {
            for (; i + 8 <= rows; i += 8)
            {
                Microkernels.Tile8x2<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
            }
        }

        for (; i + 4 <= rows; i += 4)
        {
            Microkernels.Tile4x2<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
        }

        for (; i < rows; i++)
        {
            Microkernels.Tile1x2<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelOfOne<TSimd, TVec, TStart, TEpilogue>(in Operands o, int rows, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        float* x = o.X, y = o.Y, c = o.C, bias = o.Bias, z = o.Z;
        nint xs = o.XRowStride, xq = o.XDepthStride, yq = o.YDepthStride, ldc = o.CRowStride, ldz = o.ZRowStride;
        int i = 0;
        for (; i + 8 <= rows; i += 8)
        {
            Microkernels.Tile8x1<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
        }

        for (; i + 4 <= rows; i += 4)
        {
            Microkernels.Tile4x1<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
        }

        for (; i < rows; i++)
        {
            Microkernels.Tile1x1<TSimd, TVec, TStart, TEpilogue>(x + (i * xs), xs, xq, y, yq, depth, c + (i * ldc), ldc, bias, z + (i * ldz), ldz, epilogue);
        }
    }

    /// <summary>
    /// Fewer than one register of columns. They are taken with narrower registers (8, then 4 floats) and single
    /// floats, unless that needs two or more passes over the depth and there are enough rows to pay for padding:
    /// then the right operand's columns, the bias, the output and z are copied into zero-padded full-width
    /// panels, the one-register tiles run there, and the valid columns are copied back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Remainder<TSimd, TVec, TStart, TEpilogue>(in Operands o, int rows, int width, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        bool eight = TSimd.Lanes > 8 && width >= 8;
        bool four = TSimd.Lanes > 4 && width % 8 >= 4;
        int passes = (eight ? 1 : 0) + (four ? 1 : 0) + (width % 4);
        if (passes > 1 && rows >= 8)
        {
            Padded<TSimd, TVec, TStart, TEpilogue>(o, rows, width, depth, epilogue);
            return;
        }

        int j = 0;
        if (eight)
        {
            PanelOfOne<Simd256, Vector256<float>, TStart, TEpilogue>(o.AtColumn(j), rows, depth, epilogue);
            j += 8;
        }

        if (four)
        {
            PanelOfOne<Simd128, Vector128<float>, TStart, TEpilogue>(o.AtColumn(j), rows, depth, epilogue);
            j += 4;
        }

        for (; j < width; j++)
        {
            PanelOfOne<Simd1, float, TStart, TEpilogue>(o.AtColumn(j), rows, depth, epilogue);
        }
    }

    /// <summary>The remainder through zero-padded panels; see <see cref="Remainder"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Padded<TSimd, TVec, TStart, TEpilogue>(in Operands o, int rows, int width, int depth, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        int lanes = TSimd.Lanes;
        Scratch scratch = Scratch.Current;
        float* panel = scratch.Panel(depth * lanes);
        float* bias = scratch.Bias(lanes);
        float* c = scratch.Output(RemainderRows * lanes);
        float* z = o.Z == null ? null : scratch.Z(RemainderRows * lanes);
        for (int q = 0; q < depth; q++)
        {
            Copy(o.Y + (q * o.YDepthStride), panel + (q * lanes), width, lanes);
        }

        if (o.Bias != null)
        {
            Copy(o.Bias, bias, width, lanes);
        }

        var padded = new Operands(o.X, o.XRowStride, o.XDepthStride, panel, lanes, c, lanes, bias, z, lanes);
        for (int i0 = 0; i0 < rows; i0 += RemainderRows)
        {
            int block = Math.Min(RemainderRows, rows - i0);
            for (int i = 0; i < block; i++)
            {
                if (typeof(TStart) == typeof(StartAtOutput))
                {
                    Copy(o.C + ((i0 + i) * o.CRowStride), c + (i * lanes), width, lanes);
                }

                if (z != null)
                {
                    Copy(o.Z + ((i0 + i) * o.ZRowStride), z + (i * lanes), width, lanes);
                }
            }

            PanelOfOne<TSimd, TVec, TStart, TEpilogue>(padded.AtRowOfX(i0), block, depth, epilogue);
            for (int i = 0; i < block; i++)
            {
                new ReadOnlySpan<float>(c + (i * lanes), width).CopyTo(new Span<float>(o.C + ((i0 + i) * o.CRowStride), width));
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> floats and zero-fills the rest of a <paramref name="padded"/>-long slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* destination, int count, int padded)
    {
        int j = 0;
        for (; j < count; j++)
        {
            destination[j] = source[j];
        }

        for (; j < padded; j++)
        {
            destination[j] = 0f;
        }
    }

    /// <summary>The operands of one product, as pointers and strides (in floats); see <see cref="Microkernels"/>.</summary>
    private readonly struct Operands
    {
        public readonly float* X;
        public readonly nint XRowStride;
        public readonly nint XDepthStride;
        public readonly float* Y;
        public readonly nint YDepthStride;
        public readonly float* C;
        public readonly nint CRowStride;
        public readonly float* Bias;
        public readonly float* Z;
        public readonly nint ZRowStride;

        public Operands(float* x, nint xRowStride, nint xDepthStride, float* y, nint yDepthStride, float* c, nint cRowStride, float* bias, float* z, nint zRowStride)
        {
            X = x;
            XRowStride = xRowStride;
            XDepthStride = xDepthStride;
            Y = y;
            YDepthStride = yDepthStride;
            C = c;
            CRowStride = cRowStride;
            Bias = bias;
            Z = z;
            ZRowStride = zRowStride;
        }

        public Operands AtRow(int i) =>
            new(X + (i * XRowStride), XRowStride, XDepthStride, Y, YDepthStride, C + (i * CRowStride), CRowStride, Bias, Z == null ? null : Z + (i * ZRowStride), ZRowStride);

        /// <summary>Moves only the left operand down: the output and z of a padded block are already its own rows.</summary>
        public Operands AtRowOfX(int i) =>
            new(X + (i * XRowStride), XRowStride, XDepthStride, Y, YDepthStride, C, CRowStride, Bias, Z, ZRowStride);

        public Operands AtColumn(int j) =>
            new(X, XRowStride, XDepthStride, Y + j, YDepthStride, C + j, CRowStride, Bias == null ? null : Bias + j, Z == null ? null : Z + j, ZRowStride);

        public Operands WithY(float* y, nint yDepthStride) =>
            new(X, XRowStride, XDepthStride, y, yDepthStride, C, CRowStride, Bias, Z, ZRowStride);

        public Operands AtDepth(int q) =>
            new(X + (q * XDepthStride), XRowStride, XDepthStride, Y + (q * YDepthStride), YDepthStride, C, CRowStride, Bias, Z, ZRowStride);
    }

    /// <summary>Per-thread pinned work space for padded panels and transposes; grows, never shrinks.</summary>
    private sealed class Scratch
    {
        private float[] _panel = [];
        private float[] _bias = [];
        private float[] _output = [];
        private float[] _z = [];
        private float[] _packed = [];

        public static Scratch Current
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => t_scratch ??= new Scratch();
        }

        public float* Panel(long length) => Get(ref _panel, length);

        public float* Bias(long length) => Get(ref _bias, length);

        public float* Output(long length) => Get(ref _output, length);

        public float* Z(long length) => Get(ref _z, length);

        public float* Packed(long length) => Get(ref _packed, length);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float* Get(ref float[] buffer, long length)
        {
            if (buffer.Length < length)
            {
                buffer = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(length, 2L * buffer.Length)), pinned: true);
            }

            return (float*)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(buffer));
        }
    }
}
