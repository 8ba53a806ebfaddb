using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading.Tasks;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// The three matrix products of the forward and backward passes. Legend: m = rows of the batch,
/// k = input width of a layer, n = output width. Every matrix is row-major and dense.
/// <list type="bullet">
/// <item><see cref="MultiplyAddBias"/>: forward, <c>out (m,n) = inp (m,k) · weight (k,n) + bias</c>.</item>
/// <item><see cref="AccumulateTransposeA"/>: weight gradient, <c>dweight (k,n) += inpᵀ · dout (m,n)</c>.</item>
/// <item><see cref="MultiplyTransposeB"/>: input gradient, <c>dinp (m,k) = dout (m,n) · weightᵀ</c>.</item>
/// </list>
/// Each output element is computed by exactly one thread in a fixed order, so results do not depend on the
/// number of threads. Without AVX2+FMA the kernels fall back to <see cref="GemmReference"/>.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Below this many multiply-adds a product runs on the calling thread only.</summary>
    internal const long ParallelThreshold = 1L << 18;

    private static bool Accelerated => Fma.IsSupported && Avx.IsSupported;

    /// <summary><c>c (m,n) = a (m,k) · b (k,n) + bias (n)</c>.</summary>
    public static void MultiplyAddBias(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int k, int n, int threads = 1)
    {
        CheckSizes(a.Length, (long)m * k, b.Length, (long)k * n, c.Length, (long)m * n);
        if (bias.Length < n)
        {
            throw new ArgumentException("The bias is shorter than the output width.", nameof(bias));
        }

        if (!Accelerated)
        {
            GemmReference.MultiplyAddBias(a, b, bias, c, m, k, n);
            return;
        }

        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            int workers = Workers(m, (long)m * k * n, threads);
            if (workers == 1)
            {
                MultiplyAddBiasRows(pa, pb, pbias, pc, 0, m, k, n);
                return;
            }

            var args = (A: (nint)pa, B: (nint)pb, Bias: (nint)pbias, C: (nint)pc);
            RunRows(m, workers, (r0, r1) =>
                MultiplyAddBiasRows((float*)args.A, (float*)args.B, (float*)args.Bias, (float*)args.C, r0, r1, k, n));
        }
    }

    /// <summary><c>c (k,n) += aᵀ · b</c> with <c>a (m,k)</c> and <c>b (m,n)</c>.</summary>
    public static void AccumulateTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int threads = 1)
    {
        CheckSizes(a.Length, (long)m * k, b.Length, (long)m * n, c.Length, (long)k * n);
        if (!Accelerated)
        {
            GemmReference.AccumulateTransposeA(a, b, c, m, k, n);
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            int workers = Workers(k, (long)m * k * n, threads);
            if (workers == 1)
            {
                AccumulateTransposeARows(pa, pb, pc, 0, k, m, k, n);
                return;
            }

            var args = (A: (nint)pa, B: (nint)pb, C: (nint)pc);
            RunRows(k, workers, (r0, r1) =>
                AccumulateTransposeARows((float*)args.A, (float*)args.B, (float*)args.C, r0, r1, m, k, n));
        }
    }

    /// <summary><c>c (m,k) = a (m,n) · bᵀ</c> with <c>b (k,n)</c>.</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, int threads = 1)
    {
        CheckSizes(a.Length, (long)m * n, b.Length, (long)k * n, c.Length, (long)m * k);
        if (!Accelerated)
        {
            GemmReference.MultiplyTransposeB(a, b, c, m, n, k);
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            int workers = Workers(m, (long)m * k * n, threads);
            if (workers == 1)
            {
                MultiplyTransposeBRows(pa, pb, pc, 0, m, n, k);
                return;
            }

            var args = (A: (nint)pa, B: (nint)pb, C: (nint)pc);
            RunRows(m, workers, (r0, r1) =>
                MultiplyTransposeBRows((float*)args.A, (float*)args.B, (float*)args.C, r0, r1, n, k));
        }
    }

    /// <summary><c>sums (n) += Σ_i b[i, :]</c> for <c>b (m,n)</c>, rows added in order.</summary>
    public static void AccumulateColumnSums(ReadOnlySpan<float> b, Span<float> sums, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sums.Slice(0, n), b.Slice(i * n, n), sums.Slice(0, n));
        }
    }

    private static void CheckSizes(int aLength, long aNeeded, int bLength, long bNeeded, int cLength, long cNeeded)
    {
        if (aLength < aNeeded || bLength < bNeeded || cLength < cNeeded)
        {
            throw new ArgumentException($"Matrix buffers too small: have {aLength}, {bLength}, {cLength}; need {aNeeded}, {bNeeded}, {cNeeded}.");
        }
    }

    /// <summary>How many workers a product of <paramref name="work"/> multiply-adds over <paramref name="rows"/> rows gets.</summary>
    private static int Workers(int rows, long work, int threads) =>
        work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(threads, rows / 4));

    /// <summary>Splits [0, rows) into contiguous ranges, one per worker.</summary>
    private static void RunRows(int rows, int workers, Action<int, int> body)
    {
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            int r0 = (int)((long)rows * w / workers);
            int r1 = (int)((long)rows * (w + 1) / workers);
            body(r0, r1);
        });
    }

    // c rows [r0, r1): 4 rows x 16 columns register block; column tails use 8-wide vectors then scalar FMA.
    private static void MultiplyAddBiasRows(float* a, float* b, float* bias, float* c, int r0, int r1, int k, int n)
    {
        int i = r0;
        for (; i + 4 <= r1; i += 4)
        {
            float* a0 = a + ((long)i * k);
            float* a1 = a0 + k;
            float* a2 = a1 + k;
            float* a3 = a2 + k;
            int j = 0;
            for (; j + 16 <= n; j += 16)
            {
                Vector256<float> c00 = Avx.LoadVector256(bias + j), c01 = Avx.LoadVector256(bias + j + 8);
                Vector256<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
                float* bp = b + j;
                for (int p = 0; p < k; p++, bp += n)
                {
                    Vector256<float> b0 = Avx.LoadVector256(bp), b1 = Avx.LoadVector256(bp + 8);
                    Vector256<float> x = Vector256.Create(a0[p]);
                    c00 = Fma.MultiplyAdd(x, b0, c00);
                    c01 = Fma.MultiplyAdd(x, b1, c01);
                    x = Vector256.Create(a1[p]);
                    c10 = Fma.MultiplyAdd(x, b0, c10);
                    c11 = Fma.MultiplyAdd(x, b1, c11);
                    x = Vector256.Create(a2[p]);
                    c20 = Fma.MultiplyAdd(x, b0, c20);
                    c21 = Fma.MultiplyAdd(x, b1, c21);
                    x = Vector256.Create(a3[p]);
                    c30 = Fma.MultiplyAdd(x, b0, c30);
                    c31 = Fma.MultiplyAdd(x, b1, c31);
                }

                float* cp = c + ((long)i * n) + j;
                Avx.Store(cp, c00);
                Avx.Store(cp + 8, c01);
                Avx.Store(cp + n, c10);
                Avx.Store(cp + n + 8, c11);
                Avx.Store(cp + (2 * n), c20);
                Avx.Store(cp + (2 * n) + 8, c21);
                Avx.Store(cp + (3 * n), c30);
                Avx.Store(cp + (3 * n) + 8, c31);
            }

            for (int r = 0; r < 4; r++)
            {
                MultiplyAddBiasRowTail(a + ((long)(i + r) * k), b, bias, c + ((long)(i + r) * n), j, k, n);
            }
        }

        for (; i < r1; i++)
        {
            MultiplyAddBiasRowTail(a + ((long)i * k), b, bias, c + ((long)i * n), 0, k, n);
        }
    }

    // One row of c from column j0 on; the same FMA sequence per element as the blocked path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddBiasRowTail(float* arow, float* b, float* bias, float* crow, int j0, int k, int n)
    {
        int j = j0;
        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> acc = Avx.LoadVector256(bias + j);
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                acc = Fma.MultiplyAdd(Vector256.Create(arow[p]), Avx.LoadVector256(bp), acc);
            }

            Avx.Store(crow + j, acc);
        }

        for (; j < n; j++)
        {
            float acc = bias[j];
            for (int p = 0; p < k; p++)
            {
                acc = MathF.FusedMultiplyAdd(arow[p], b[((long)p * n) + j], acc);
            }

            crow[j] = acc;
        }
    }

    // c rows [p0, p1) of the (k,n) gradient: c[p, :] += Σ_i a[i, p] b[i, :], i ascending.
    private static void AccumulateTransposeARows(float* a, float* b, float* c, int p0, int p1, int m, int k, int n)
    {
        int p = p0;
        for (; p + 4 <= p1; p += 4)
        {
            int j = 0;
            for (; j + 16 <= n; j += 16)
            {
                float* cp = c + ((long)p * n) + j;
                Vector256<float> c00 = Avx.LoadVector256(cp), c01 = Avx.LoadVector256(cp + 8);
                Vector256<float> c10 = Avx.LoadVector256(cp + n), c11 = Avx.LoadVector256(cp + n + 8);
                Vector256<float> c20 = Avx.LoadVector256(cp + (2 * n)), c21 = Avx.LoadVector256(cp + (2 * n) + 8);
                Vector256<float> c30 = Avx.LoadVector256(cp + (3 * n)), c31 = Avx.LoadVector256(cp + (3 * n) + 8);
                float* ap = a + p;
                float* bp = b + j;
                for (int i = 0; i < m; i++, ap += k, bp += n)
                {
                    Vector256<float> b0 = Avx.LoadVector256(bp), b1 = Avx.LoadVector256(bp + 8);
                    Vector256<float> x = Vector256.Create(ap[0]);
                    c00 = Fma.MultiplyAdd(x, b0, c00);
                    c01 = Fma.MultiplyAdd(x, b1, c01);
                    x = Vector256.Create(ap[1]);
                    c10 = Fma.MultiplyAdd(x, b0, c10);
                    c11 = Fma.MultiplyAdd(x, b1, c11);
                    x = Vector256.Create(ap[2]);
                    c20 = Fma.MultiplyAdd(x, b0, c20);
                    c21 = Fma.MultiplyAdd(x, b1, c21);
                    x = Vector256.Create(ap[3]);
                    c30 = Fma.MultiplyAdd(x, b0, c30);
                    c31 = Fma.MultiplyAdd(x, b1, c31);
                }

                Avx.Store(cp, c00);
                Avx.Store(cp + 8, c01);
                Avx.Store(cp + n, c10);
                Avx.Store(cp + n + 8, c11);
                Avx.Store(cp + (2 * n), c20);
                Avx.Store(cp + (2 * n) + 8, c21);
                Avx.Store(cp + (3 * n), c30);
                Avx.Store(cp + (3 * n) + 8, c31);
            }

            for (int r = 0; r < 4; r++)
            {
                AccumulateTransposeARowTail(a, b, c, p + r, j, m, k, n);
            }
        }

        for (; p < p1; p++)
        {
            AccumulateTransposeARowTail(a, b, c, p, 0, m, k, n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateTransposeARowTail(float* a, float* b, float* c, int p, int j0, int m, int k, int n)
    {
        float* crow = c + ((long)p * n);
        int j = j0;
        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> acc = Avx.LoadVector256(crow + j);
            float* ap = a + p;
            float* bp = b + j;
            for (int i = 0; i < m; i++, ap += k, bp += n)
            {
                acc = Fma.MultiplyAdd(Vector256.Create(*ap), Avx.LoadVector256(bp), acc);
            }

            Avx.Store(crow + j, acc);
        }

        for (; j < n; j++)
        {
            float acc = crow[j];
            for (int i = 0; i < m; i++)
            {
                acc = MathF.FusedMultiplyAdd(a[((long)i * k) + p], b[((long)i * n) + j], acc);
            }

            crow[j] = acc;
        }
    }

    // c rows [r0, r1) of (m,k): c[i, p] = dot(a[i, :], b[p, :]); 4 dot products at a time share the a loads.
    private static void MultiplyTransposeBRows(float* a, float* b, float* c, int r0, int r1, int n, int k)
    {
        for (int i = r0; i < r1; i++)
        {
            float* arow = a + ((long)i * n);
            float* crow = c + ((long)i * k);
            int p = 0;
            for (; p + 4 <= k; p += 4)
            {
                float* b0 = b + ((long)p * n);
                float* b1 = b0 + n;
                float* b2 = b1 + n;
                float* b3 = b2 + n;
                Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
                int j = 0;
                for (; j + 8 <= n; j += 8)
                {
                    Vector256<float> x = Avx.LoadVector256(arow + j);
                    s0 = Fma.MultiplyAdd(x, Avx.LoadVector256(b0 + j), s0);
                    s1 = Fma.MultiplyAdd(x, Avx.LoadVector256(b1 + j), s1);
                    s2 = Fma.MultiplyAdd(x, Avx.LoadVector256(b2 + j), s2);
                    s3 = Fma.MultiplyAdd(x, Avx.LoadVector256(b3 + j), s3);
                }

                crow[p] = FinishDot(s0, arow, b0, j, n);
                crow[p + 1] = FinishDot(s1, arow, b1, j, n);
                crow[p + 2] = FinishDot(s2, arow, b2, j, n);
                crow[p + 3] = FinishDot(s3, arow, b3, j, n);
            }

            for (; p < k; p++)
            {
                float* brow = b + ((long)p * n);
                Vector256<float> s = Vector256<float>.Zero;
                int j = 0;
                for (; j + 8 <= n; j += 8)
                {
                    s = Fma.MultiplyAdd(Avx.LoadVector256(arow + j), Avx.LoadVector256(brow + j), s);
                }

                crow[p] = FinishDot(s, arow, brow, j, n);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FinishDot(Vector256<float> s, float* arow, float* brow, int j, int n)
    {
        float sum = Vector256.Sum(s);
        for (; j < n; j++)
        {
            sum = MathF.FusedMultiplyAdd(arow[j], brow[j], sum);
        }

        return sum;
    }
}
