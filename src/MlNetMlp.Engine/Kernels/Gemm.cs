using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// The three matrix products of the forward and backward passes. Legend: m = rows of the batch,
/// k = input width of a layer, n = output width. Every matrix is row-major and dense.
/// <list type="bullet">
/// <item><see cref="MultiplyAddBias"/>: forward, <c>out (m,n) = inp (m,k) · weight (k,n) + bias</c>.</item>
/// <item><see cref="AccumulateTransposeA"/>: weight gradient, <c>dweight (k,n) += inpᵀ · dout (m,n)</c>.</item>
/// <item><see cref="MultiplyTransposeB"/>: input gradient, <c>dinp (m,k) = dout (m,n) · weightᵀ</c>.</item>
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
    /// <summary>Below this many multiply-adds a product runs on the calling thread only.</summary>
    internal const long ParallelThreshold = 1L << 18;

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

    /// <summary><c>c (m,n) = a (m,k) · b (k,n) + bias (n)</c>.</summary>
    public static void MultiplyAddBias(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int k, int n, int threads = 1)
    {
        CheckSizes(m, k, n, a.Length, (long)m * k, b.Length, (long)k * n, c.Length, (long)m * n);
        if (bias.Length < n)
        {
            throw new ArgumentException("The bias is shorter than the output width.", nameof(bias));
        }

        if (!IsAccelerated)
        {
            GemmReference.MultiplyAddBias(a, b, bias, c, m, k, n);
            return;
        }

        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            var operands = new Operands(pa, k, 1, pb, n, pc, n, pbias, null, 0);
            Run(Product.Forward, operands, m, n, k, threads);
        }
    }

    /// <summary><c>c (k,n) += aᵀ · b</c> with <c>a (m,k)</c> and <c>b (m,n)</c>.</summary>
    public static void AccumulateTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int threads = 1)
    {
        CheckSizes(m, k, n, a.Length, (long)m * k, b.Length, (long)m * n, c.Length, (long)k * n);
        if (!IsAccelerated)
        {
            GemmReference.AccumulateTransposeA(a, b, c, m, k, n);
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            var operands = new Operands(pa, 1, k, pb, n, pc, n, null, null, 0);
            Run(Product.Accumulate, operands, k, n, m, threads);
        }
    }

    /// <summary><c>c (m,k) = a (m,n) · bᵀ</c> with <c>b (k,n)</c>.</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, int threads = 1)
    {
        CheckSizes(m, k, n, a.Length, (long)m * n, b.Length, (long)k * n, c.Length, (long)m * k);
        if (!IsAccelerated)
        {
            GemmReference.MultiplyTransposeB(a, b, c, m, n, k);
            return;
        }

        Scratch scratch = Scratch.Current;
        float* bt = scratch.Transposed((long)k * n);
        fixed (float* pa = a, pb = b, pc = c)
        {
            Transpose(pb, n, n, bt, k, 0, k);
            var operands = new Operands(pa, n, 1, bt, k, pc, k, null, null, 0);
            Run(Product.Plain, operands, m, k, n, threads);
        }
    }

    /// <summary><c>sums (n) += Σ_i b[i, :]</c> for <c>b (m,n)</c>, rows added in order.</summary>
    public static void AccumulateColumnSums(ReadOnlySpan<float> b, Span<float> sums, int m, int n)
    {
        if (b.Length < (long)m * n || sums.Length < n)
        {
            throw new ArgumentException($"Buffers too small: {b.Length} values for ({m},{n}), {sums.Length} sums for {n} columns.");
        }

        fixed (float* pb = b, ps = sums)
        {
            ColumnSums(pb, n, m, ps, 0, n);
        }
    }

    // The engine's entry points: pointers with row strides (ld = floats from one row to the next), so that work
    // buffers can be padded, and row ranges, so that a caller can split the work.

    /// <summary>
    /// The forward product of rows <c>[0, rows)</c>, <c>output = inp · weight + bias</c>, with the activation fused
    /// when it is relu or identity; returns false when the caller must still apply the activation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Forward(float* inp, nint ldInp, float* weight, nint ldWeight, float* bias, float* output, nint ldOutput, int rows, int k, int n, Activation activation)
    {
        if (!IsAccelerated)
        {
            GemmReference.MultiplyAddBias(inp, ldInp, weight, ldWeight, bias, output, ldOutput, rows, k, n);
            return activation == Activation.Identity;
        }

        var operands = new Operands(inp, ldInp, 1, weight, ldWeight, output, ldOutput, bias, null, 0);
        if (activation == Activation.Relu)
        {
            Dispatch<StartAtBias, ReluEpilogue>(operands, rows, n, k, default);
            return true;
        }

        Dispatch<StartAtBias, NoEpilogue>(operands, rows, n, k, default);
        return activation == Activation.Identity;
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
    /// The input gradient of rows <c>[0, rows)</c>: <c>dinp (rows,k) = (dout (rows,n) · weightT (n,k)) ⊙ f'(z)</c>, with
    /// <paramref name="weightTransposed"/> the layer's weight transposed and <paramref name="z"/> the layer's forward
    /// input <c>(rows,k)</c>, which is the previous layer's activation output. With the accelerated kernels and
    /// <c>n</c> at most <see cref="DepthBlock"/>, <paramref name="dinp"/> may be <paramref name="z"/> (same stride):
    /// every element of z is read just before the same element of dinp is written, and by no other tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k, in HiddenActivation activation)
    {
        if (!IsAccelerated)
        {
            GemmReference.MultiplyRows(dout, ldDout, weightTransposed, ldWeightTransposed, dinp, ldDinp, rows, n, k);
            for (int i = 0; i < rows; i++)
            {
                activation.Backward(new ReadOnlySpan<float>(z + (i * ldZ), k), new Span<float>(dinp + (i * ldDinp), k));
            }

            return;
        }

        var operands = new Operands(dout, ldDout, 1, weightTransposed, ldWeightTransposed, dinp, ldDinp, null, z, ldZ);
        switch (activation.Kind)
        {
            case Activation.Relu:
                Dispatch<StartAtZero, ReluBackward>(operands, rows, k, n, default);
                break;
            case Activation.Identity:
                Dispatch<StartAtZero, NoEpilogue>(operands, rows, k, n, default);
                break;
            case Activation.Logistic:
                Dispatch<StartAtZero, LogisticBackward>(operands, rows, k, n, default);
                break;
            case Activation.Tanh:
                Dispatch<StartAtZero, TanhBackward>(operands, rows, k, n, default);
                break;
            case Activation.LeakyRelu:
                Dispatch<StartAtZero, LeakyReluBackward>(operands, rows, k, n, new LeakyReluBackward(activation.LeakyReluSlope));
                break;
            case Activation.Elu:
                Dispatch<StartAtZero, EluBackward>(operands, rows, k, n, new EluBackward(activation.EluAlpha));
                break;
            default:
                throw new InvalidOperationException($"Unknown activation {activation.Kind}.");
        }
    }

    /// <summary>
    /// The row stride to give a buffer with rows of <paramref name="width"/> floats. A row length that is an even
    /// multiple of 64 bytes puts the rows of a column panel into a few L1 cache sets, where they evict each other;
    /// such widths get 16 floats of padding, which spreads the rows over all sets.
    /// </summary>
    internal static int PaddedStride(int width) => width % 16 == 0 && (width / 16) % 2 == 0 ? width + 16 : width;

    /// <summary>
    /// Rows <c>[r0, r1)</c> of <c>source (rows,cols)</c> into columns r0..r1-1 of <c>destination (cols,rows) = sourceᵀ</c>:
    /// 8 x 8 blocks transposed in AVX registers, the edges one float at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transpose(float* source, nint ldSource, int cols, float* destination, nint ldDestination, int r0, int r1)
    {
        int i = r0;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= r1; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    Transpose8x8(source + (i * ldSource) + j, ldSource, destination + (j * ldDestination) + i, ldDestination);
                }

                for (; j < cols; j++)
                {
                    for (int r = i; r < i + 8; r++)
                    {
                        destination[(j * ldDestination) + r] = source[(r * ldSource) + j];
                    }
                }
            }
        }

        for (; i < r1; i++)
        {
            float* s = source + (i * ldSource);
            for (int j = 0; j < cols; j++)
            {
                destination[(j * ldDestination) + i] = s[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ls, float* d, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ls), r2 = Avx.LoadVector256(s + (2 * ls)), r3 = Avx.LoadVector256(s + (3 * ls));
        Vector256<float> r4 = Avx.LoadVector256(s + (4 * ls)), r5 = Avx.LoadVector256(s + (5 * ls)), r6 = Avx.LoadVector256(s + (6 * ls)), r7 = Avx.LoadVector256(s + (7 * ls));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + (2 * ld), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + (3 * ld), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + (4 * ld), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + (5 * ld), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + (6 * ld), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + (7 * ld), Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Columns <c>[j0, j1)</c> of <c>sums += Σ_i b[i, :]</c> for <paramref name="m"/> rows <paramref name="ldb"/> floats apart, rows added in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnSums(float* b, nint ldb, int m, float* sums, int j0, int j1)
    {
        int j = j0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 32 <= j1; j += 32)
            {
                Vector256<float> s0 = Vector256.Load(sums + j), s1 = Vector256.Load(sums + j + 8);
                Vector256<float> s2 = Vector256.Load(sums + j + 16), s3 = Vector256.Load(sums + j + 24);
                float* row = b + j;
                for (int i = 0; i < m; i++, row += ldb)
                {
                    s0 += Vector256.Load(row);
                    s1 += Vector256.Load(row + 8);
                    s2 += Vector256.Load(row + 16);
                    s3 += Vector256.Load(row + 24);
                }

                Vector256.Store(s0, sums + j);
                Vector256.Store(s1, sums + j + 8);
                Vector256.Store(s2, sums + j + 16);
                Vector256.Store(s3, sums + j + 24);
            }

            for (; j + 8 <= j1; j += 8)
            {
                Vector256<float> s = Vector256.Load(sums + j);
                float* row = b + j;
                for (int i = 0; i < m; i++, row += ldb)
                {
                    s += Vector256.Load(row);
                }

                Vector256.Store(s, sums + j);
            }
        }

        for (; j < j1; j++)
        {
            float s = sums[j];
            float* column = b + j;
            for (int i = 0; i < m; i++, column += ldb)
            {
                s += *column;
            }

            sums[j] = s;
        }
    }

    private static void CheckSizes(int m, int k, int n, int aLength, long aNeeded, int bLength, long bNeeded, int cLength, long cNeeded)
    {
        if (m < 0 || k < 0 || n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"Matrix dimensions must be non-negative; got m = {m}, k = {k}, n = {n}.");
        }

        if (aLength < aNeeded || bLength < bNeeded || cLength < cNeeded)
        {
            throw new ArgumentException($"Matrix buffers too small: have {aLength}, {bLength}, {cLength}; need {aNeeded}, {bNeeded}, {cNeeded}.");
        }
    }

    /// <summary>Runs a product over <paramref name="rows"/> output rows, in chunks of rows over up to <paramref name="threads"/> threads for large products.</summary>
    private static void Run(Product product, in Operands operands, int rows, int cols, int depth, int threads)
    {
        long work = (long)rows * cols * depth;
        int chunkRows = ChunkRows(rows, (long)cols * depth);
        int chunks = (rows + chunkRows - 1) / chunkRows;
        if (work < ParallelThreshold || threads <= 1 || chunks <= 1)
        {
            RunRows(product, operands, 0, rows, cols, depth);
            return;
        }

        ProductJob job = ProductJob.Current;
        job.Set(product, operands, rows, cols, depth, chunkRows);
        WorkerPool.For(job, chunks, threads);
        job.Clear();
    }

    /// <summary>Rows per parallel chunk: a multiple of 8, at most 1/4 of the rows where that allows, 32 (or 256 for long rows, so each chunk's packing pays).</summary>
    private static int ChunkRows(int rows, long rowWork) => Math.Max(8, Math.Min(rowWork >= 65536 ? 256 : 32, (rows / 4) & ~7));

    private static void RunRows(Product product, in Operands operands, int r0, int r1, int cols, int depth)
    {
        Operands part = operands.AtRow(r0);
        switch (product)
        {
            case Product.Forward:
                Dispatch<StartAtBias, NoEpilogue>(part, r1 - r0, cols, depth, default);
                break;
            case Product.Accumulate:
                Dispatch<StartAtOutput, NoEpilogue>(part, r1 - r0, cols, depth, default);
                break;
            default:
                Dispatch<StartAtZero, NoEpilogue>(part, r1 - r0, cols, depth, default);
                break;
        }
    }

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

    /// <summary>The products the public entry points run.</summary>
    private enum Product
    {
        /// <summary>Start at the bias.</summary>
        Forward,

        /// <summary>Start at the current output.</summary>
        Accumulate,

        /// <summary>Start at zero.</summary>
        Plain,
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

    /// <summary>A product split by output rows over the worker pool; one reusable instance per calling thread.</summary>
    private sealed class ProductJob : IParallelWork
    {
        [ThreadStatic]
        private static ProductJob? t_current;

        private Product _product;
        private Operands _operands;
        private int _rows;
        private int _cols;
        private int _depth;
        private int _chunkRows;

        public static ProductJob Current => t_current ??= new ProductJob();

        public void Set(Product product, in Operands operands, int rows, int cols, int depth, int chunkRows)
        {
            _product = product;
            _operands = operands;
            _rows = rows;
            _cols = cols;
            _depth = depth;
            _chunkRows = chunkRows;
        }

        public void Clear() => _operands = default;

        public void Execute(int chunk)
        {
            int r0 = chunk * _chunkRows;
            RunRows(_product, _operands, r0, Math.Min(r0 + _chunkRows, _rows), _cols, _depth);
        }
    }

    /// <summary>Per-thread pinned work space for padded panels and transposes; grows, never shrinks.</summary>
    private sealed class Scratch
    {
        private float[] _panel = [];
        private float[] _bias = [];
        private float[] _output = [];
        private float[] _z = [];
        private float[] _transposed = [];
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

        public float* Transposed(long length) => Get(ref _transposed, length);

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
