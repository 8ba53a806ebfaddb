using System.Runtime.CompilerServices;

namespace MlNetMlp.Engine.Kernels;

/// <summary>
/// Register-blocked tiles: <c>R</c> output rows x <c>V</c> registers of output columns, accumulated over a depth
/// loop. With <c>x</c> the left operand and <c>y</c> the right one, every tile computes
/// <code>
///   c[r, col] = epilogue(start(r, col) + Σ_q x[r * xs + q * xq] · y[q * yq + col]),   q = 0, 1, ..., depth - 1
/// </code>
/// one fused multiply-add per step in ascending q, so an element's bits do not depend on the tile that computed
/// it, the register width, or the thread. The strides let one kernel serve all three products:
/// forward <c>x = inp</c> (xs = k, xq = 1), weight gradient <c>x = inpᵀ</c> (xs = 1, xq = k) and input gradient
/// <c>x = dout</c> with <c>y = weightᵀ</c>. R x V is 8 x 2, 4 x 2, 1 x 2, 8 x 1, 4 x 1 or 1 x 1, and for single rows also 1 x 4 and 1 x 8 (enough independent
/// accumulators to hide the FMA latency); with AVX-512 the
/// 8 x 2 tile keeps 16 ZMM accumulators (8 rows x 32 columns) and needs 2 loads and 8 broadcasts per 16 FMAs.
/// The tiles repeat one pattern, fully unrolled (generated once by a script, then kept by hand): keep them in step.
/// Rows are addressed from one pointer per four rows at offsets 0, xs, 2 xs, 3 xs (few pointer increments per
/// step), and the depth loop is unrolled by two.
/// </summary>
internal static unsafe class Microkernels
{

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile8x2<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        nint s1 = xs, s2 = 2 * xs, s3 = 3 * xs;
        float* xa = x;
        float* xb = x + (4 * xs);
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c01 = TStart.Start<TSimd, TVec>(c + lanes, bias + lanes);
        TVec c10 = TStart.Start<TSimd, TVec>(c + (1 * ldc), bias);
        TVec c11 = TStart.Start<TSimd, TVec>(c + (1 * ldc) + lanes, bias + lanes);
        TVec c20 = TStart.Start<TSimd, TVec>(c + (2 * ldc), bias);
        TVec c21 = TStart.Start<TSimd, TVec>(c + (2 * ldc) + lanes, bias + lanes);
        TVec c30 = TStart.Start<TSimd, TVec>(c + (3 * ldc), bias);
        TVec c31 = TStart.Start<TSimd, TVec>(c + (3 * ldc) + lanes, bias + lanes);
        TVec c40 = TStart.Start<TSimd, TVec>(c + (4 * ldc), bias);
        TVec c41 = TStart.Start<TSimd, TVec>(c + (4 * ldc) + lanes, bias + lanes);
        TVec c50 = TStart.Start<TSimd, TVec>(c + (5 * ldc), bias);
        TVec c51 = TStart.Start<TSimd, TVec>(c + (5 * ldc) + lanes, bias + lanes);
        TVec c60 = TStart.Start<TSimd, TVec>(c + (6 * ldc), bias);
        TVec c61 = TStart.Start<TSimd, TVec>(c + (6 * ldc) + lanes, bias + lanes);
        TVec c70 = TStart.Start<TSimd, TVec>(c + (7 * ldc), bias);
        TVec c71 = TStart.Start<TSimd, TVec>(c + (7 * ldc) + lanes, bias + lanes);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                c11 = TSimd.MultiplyAdd(a1, b1, c11);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                c21 = TSimd.MultiplyAdd(a2, b1, c21);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                c31 = TSimd.MultiplyAdd(a3, b1, c31);
                TVec a4 = TSimd.Broadcast(xb);
                c40 = TSimd.MultiplyAdd(a4, b0, c40);
                c41 = TSimd.MultiplyAdd(a4, b1, c41);
                TVec a5 = TSimd.Broadcast(xb + s1);
                c50 = TSimd.MultiplyAdd(a5, b0, c50);
                c51 = TSimd.MultiplyAdd(a5, b1, c51);
                TVec a6 = TSimd.Broadcast(xb + s2);
                c60 = TSimd.MultiplyAdd(a6, b0, c60);
                c61 = TSimd.MultiplyAdd(a6, b1, c61);
                TVec a7 = TSimd.Broadcast(xb + s3);
                c70 = TSimd.MultiplyAdd(a7, b0, c70);
                c71 = TSimd.MultiplyAdd(a7, b1, c71);
                y += yq;
                xa += xq;
                xb += xq;
            }

            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                c11 = TSimd.MultiplyAdd(a1, b1, c11);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                c21 = TSimd.MultiplyAdd(a2, b1, c21);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                c31 = TSimd.MultiplyAdd(a3, b1, c31);
                TVec a4 = TSimd.Broadcast(xb);
                c40 = TSimd.MultiplyAdd(a4, b0, c40);
                c41 = TSimd.MultiplyAdd(a4, b1, c41);
                TVec a5 = TSimd.Broadcast(xb + s1);
                c50 = TSimd.MultiplyAdd(a5, b0, c50);
                c51 = TSimd.MultiplyAdd(a5, b1, c51);
                TVec a6 = TSimd.Broadcast(xb + s2);
                c60 = TSimd.MultiplyAdd(a6, b0, c60);
                c61 = TSimd.MultiplyAdd(a6, b1, c61);
                TVec a7 = TSimd.Broadcast(xb + s3);
                c70 = TSimd.MultiplyAdd(a7, b0, c70);
                c71 = TSimd.MultiplyAdd(a7, b1, c71);
                y += yq;
                xa += xq;
                xb += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            c01 = TSimd.MultiplyAdd(a0, b1, c01);
            TVec a1 = TSimd.Broadcast(xa + s1);
            c10 = TSimd.MultiplyAdd(a1, b0, c10);
            c11 = TSimd.MultiplyAdd(a1, b1, c11);
            TVec a2 = TSimd.Broadcast(xa + s2);
            c20 = TSimd.MultiplyAdd(a2, b0, c20);
            c21 = TSimd.MultiplyAdd(a2, b1, c21);
            TVec a3 = TSimd.Broadcast(xa + s3);
            c30 = TSimd.MultiplyAdd(a3, b0, c30);
            c31 = TSimd.MultiplyAdd(a3, b1, c31);
            TVec a4 = TSimd.Broadcast(xb);
            c40 = TSimd.MultiplyAdd(a4, b0, c40);
            c41 = TSimd.MultiplyAdd(a4, b1, c41);
            TVec a5 = TSimd.Broadcast(xb + s1);
            c50 = TSimd.MultiplyAdd(a5, b0, c50);
            c51 = TSimd.MultiplyAdd(a5, b1, c51);
            TVec a6 = TSimd.Broadcast(xb + s2);
            c60 = TSimd.MultiplyAdd(a6, b0, c60);
            c61 = TSimd.MultiplyAdd(a6, b1, c61);
            TVec a7 = TSimd.Broadcast(xb + s3);
            c70 = TSimd.MultiplyAdd(a7, b0, c70);
            c71 = TSimd.MultiplyAdd(a7, b1, c71);
            y += yq;
            xa += xq;
            xb += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + lanes, epilogue.Apply<TSimd, TVec>(c01, z + lanes));
        TSimd.Store(c + (1 * ldc), epilogue.Apply<TSimd, TVec>(c10, z + (1 * ldz)));
        TSimd.Store(c + (1 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c11, z + (1 * ldz) + lanes));
        TSimd.Store(c + (2 * ldc), epilogue.Apply<TSimd, TVec>(c20, z + (2 * ldz)));
        TSimd.Store(c + (2 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c21, z + (2 * ldz) + lanes));
        TSimd.Store(c + (3 * ldc), epilogue.Apply<TSimd, TVec>(c30, z + (3 * ldz)));
        TSimd.Store(c + (3 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c31, z + (3 * ldz) + lanes));
        TSimd.Store(c + (4 * ldc), epilogue.Apply<TSimd, TVec>(c40, z + (4 * ldz)));
        TSimd.Store(c + (4 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c41, z + (4 * ldz) + lanes));
        TSimd.Store(c + (5 * ldc), epilogue.Apply<TSimd, TVec>(c50, z + (5 * ldz)));
        TSimd.Store(c + (5 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c51, z + (5 * ldz) + lanes));
        TSimd.Store(c + (6 * ldc), epilogue.Apply<TSimd, TVec>(c60, z + (6 * ldz)));
        TSimd.Store(c + (6 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c61, z + (6 * ldz) + lanes));
        TSimd.Store(c + (7 * ldc), epilogue.Apply<TSimd, TVec>(c70, z + (7 * ldz)));
        TSimd.Store(c + (7 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c71, z + (7 * ldz) + lanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile4x2<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        nint s1 = xs, s2 = 2 * xs, s3 = 3 * xs;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c01 = TStart.Start<TSimd, TVec>(c + lanes, bias + lanes);
        TVec c10 = TStart.Start<TSimd, TVec>(c + (1 * ldc), bias);
        TVec c11 = TStart.Start<TSimd, TVec>(c + (1 * ldc) + lanes, bias + lanes);
        TVec c20 = TStart.Start<TSimd, TVec>(c + (2 * ldc), bias);
        TVec c21 = TStart.Start<TSimd, TVec>(c + (2 * ldc) + lanes, bias + lanes);
        TVec c30 = TStart.Start<TSimd, TVec>(c + (3 * ldc), bias);
        TVec c31 = TStart.Start<TSimd, TVec>(c + (3 * ldc) + lanes, bias + lanes);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                c11 = TSimd.MultiplyAdd(a1, b1, c11);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                c21 = TSimd.MultiplyAdd(a2, b1, c21);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                c31 = TSimd.MultiplyAdd(a3, b1, c31);
                y += yq;
                xa += xq;
            }

            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                c11 = TSimd.MultiplyAdd(a1, b1, c11);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                c21 = TSimd.MultiplyAdd(a2, b1, c21);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                c31 = TSimd.MultiplyAdd(a3, b1, c31);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            c01 = TSimd.MultiplyAdd(a0, b1, c01);
            TVec a1 = TSimd.Broadcast(xa + s1);
            c10 = TSimd.MultiplyAdd(a1, b0, c10);
            c11 = TSimd.MultiplyAdd(a1, b1, c11);
            TVec a2 = TSimd.Broadcast(xa + s2);
            c20 = TSimd.MultiplyAdd(a2, b0, c20);
            c21 = TSimd.MultiplyAdd(a2, b1, c21);
            TVec a3 = TSimd.Broadcast(xa + s3);
            c30 = TSimd.MultiplyAdd(a3, b0, c30);
            c31 = TSimd.MultiplyAdd(a3, b1, c31);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + lanes, epilogue.Apply<TSimd, TVec>(c01, z + lanes));
        TSimd.Store(c + (1 * ldc), epilogue.Apply<TSimd, TVec>(c10, z + (1 * ldz)));
        TSimd.Store(c + (1 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c11, z + (1 * ldz) + lanes));
        TSimd.Store(c + (2 * ldc), epilogue.Apply<TSimd, TVec>(c20, z + (2 * ldz)));
        TSimd.Store(c + (2 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c21, z + (2 * ldz) + lanes));
        TSimd.Store(c + (3 * ldc), epilogue.Apply<TSimd, TVec>(c30, z + (3 * ldz)));
        TSimd.Store(c + (3 * ldc) + lanes, epilogue.Apply<TSimd, TVec>(c31, z + (3 * ldz) + lanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile1x2<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c01 = TStart.Start<TSimd, TVec>(c + lanes, bias + lanes);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                y += yq;
                xa += xq;
            }

            {
                TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                c01 = TSimd.MultiplyAdd(a0, b1, c01);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y), b1 = TSimd.Load(y + lanes);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            c01 = TSimd.MultiplyAdd(a0, b1, c01);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + lanes, epilogue.Apply<TSimd, TVec>(c01, z + lanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile8x1<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        nint s1 = xs, s2 = 2 * xs, s3 = 3 * xs;
        float* xa = x;
        float* xb = x + (4 * xs);
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c10 = TStart.Start<TSimd, TVec>(c + (1 * ldc), bias);
        TVec c20 = TStart.Start<TSimd, TVec>(c + (2 * ldc), bias);
        TVec c30 = TStart.Start<TSimd, TVec>(c + (3 * ldc), bias);
        TVec c40 = TStart.Start<TSimd, TVec>(c + (4 * ldc), bias);
        TVec c50 = TStart.Start<TSimd, TVec>(c + (5 * ldc), bias);
        TVec c60 = TStart.Start<TSimd, TVec>(c + (6 * ldc), bias);
        TVec c70 = TStart.Start<TSimd, TVec>(c + (7 * ldc), bias);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                TVec a4 = TSimd.Broadcast(xb);
                c40 = TSimd.MultiplyAdd(a4, b0, c40);
                TVec a5 = TSimd.Broadcast(xb + s1);
                c50 = TSimd.MultiplyAdd(a5, b0, c50);
                TVec a6 = TSimd.Broadcast(xb + s2);
                c60 = TSimd.MultiplyAdd(a6, b0, c60);
                TVec a7 = TSimd.Broadcast(xb + s3);
                c70 = TSimd.MultiplyAdd(a7, b0, c70);
                y += yq;
                xa += xq;
                xb += xq;
            }

            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                TVec a4 = TSimd.Broadcast(xb);
                c40 = TSimd.MultiplyAdd(a4, b0, c40);
                TVec a5 = TSimd.Broadcast(xb + s1);
                c50 = TSimd.MultiplyAdd(a5, b0, c50);
                TVec a6 = TSimd.Broadcast(xb + s2);
                c60 = TSimd.MultiplyAdd(a6, b0, c60);
                TVec a7 = TSimd.Broadcast(xb + s3);
                c70 = TSimd.MultiplyAdd(a7, b0, c70);
                y += yq;
                xa += xq;
                xb += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            TVec a1 = TSimd.Broadcast(xa + s1);
            c10 = TSimd.MultiplyAdd(a1, b0, c10);
            TVec a2 = TSimd.Broadcast(xa + s2);
            c20 = TSimd.MultiplyAdd(a2, b0, c20);
            TVec a3 = TSimd.Broadcast(xa + s3);
            c30 = TSimd.MultiplyAdd(a3, b0, c30);
            TVec a4 = TSimd.Broadcast(xb);
            c40 = TSimd.MultiplyAdd(a4, b0, c40);
            TVec a5 = TSimd.Broadcast(xb + s1);
            c50 = TSimd.MultiplyAdd(a5, b0, c50);
            TVec a6 = TSimd.Broadcast(xb + s2);
            c60 = TSimd.MultiplyAdd(a6, b0, c60);
            TVec a7 = TSimd.Broadcast(xb + s3);
            c70 = TSimd.MultiplyAdd(a7, b0, c70);
            y += yq;
            xa += xq;
            xb += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + (1 * ldc), epilogue.Apply<TSimd, TVec>(c10, z + (1 * ldz)));
        TSimd.Store(c + (2 * ldc), epilogue.Apply<TSimd, TVec>(c20, z + (2 * ldz)));
        TSimd.Store(c + (3 * ldc), epilogue.Apply<TSimd, TVec>(c30, z + (3 * ldz)));
        TSimd.Store(c + (4 * ldc), epilogue.Apply<TSimd, TVec>(c40, z + (4 * ldz)));
        TSimd.Store(c + (5 * ldc), epilogue.Apply<TSimd, TVec>(c50, z + (5 * ldz)));
        TSimd.Store(c + (6 * ldc), epilogue.Apply<TSimd, TVec>(c60, z + (6 * ldz)));
        TSimd.Store(c + (7 * ldc), epilogue.Apply<TSimd, TVec>(c70, z + (7 * ldz)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile4x1<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        nint s1 = xs, s2 = 2 * xs, s3 = 3 * xs;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c10 = TStart.Start<TSimd, TVec>(c + (1 * ldc), bias);
        TVec c20 = TStart.Start<TSimd, TVec>(c + (2 * ldc), bias);
        TVec c30 = TStart.Start<TSimd, TVec>(c + (3 * ldc), bias);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                y += yq;
                xa += xq;
            }

            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                TVec a1 = TSimd.Broadcast(xa + s1);
                c10 = TSimd.MultiplyAdd(a1, b0, c10);
                TVec a2 = TSimd.Broadcast(xa + s2);
                c20 = TSimd.MultiplyAdd(a2, b0, c20);
                TVec a3 = TSimd.Broadcast(xa + s3);
                c30 = TSimd.MultiplyAdd(a3, b0, c30);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            TVec a1 = TSimd.Broadcast(xa + s1);
            c10 = TSimd.MultiplyAdd(a1, b0, c10);
            TVec a2 = TSimd.Broadcast(xa + s2);
            c20 = TSimd.MultiplyAdd(a2, b0, c20);
            TVec a3 = TSimd.Broadcast(xa + s3);
            c30 = TSimd.MultiplyAdd(a3, b0, c30);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + (1 * ldc), epilogue.Apply<TSimd, TVec>(c10, z + (1 * ldz)));
        TSimd.Store(c + (2 * ldc), epilogue.Apply<TSimd, TVec>(c20, z + (2 * ldz)));
        TSimd.Store(c + (3 * ldc), epilogue.Apply<TSimd, TVec>(c30, z + (3 * ldz)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile1x1<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                y += yq;
                xa += xq;
            }

            {
                TVec b0 = TSimd.Load(y);
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, b0, c00);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec b0 = TSimd.Load(y);
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, b0, c00);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile1x8<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c01 = TStart.Start<TSimd, TVec>(c + lanes, bias + lanes);
        TVec c02 = TStart.Start<TSimd, TVec>(c + (2 * lanes), bias + (2 * lanes));
        TVec c03 = TStart.Start<TSimd, TVec>(c + (3 * lanes), bias + (3 * lanes));
        TVec c04 = TStart.Start<TSimd, TVec>(c + (4 * lanes), bias + (4 * lanes));
        TVec c05 = TStart.Start<TSimd, TVec>(c + (5 * lanes), bias + (5 * lanes));
        TVec c06 = TStart.Start<TSimd, TVec>(c + (6 * lanes), bias + (6 * lanes));
        TVec c07 = TStart.Start<TSimd, TVec>(c + (7 * lanes), bias + (7 * lanes));
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
                c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
                c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
                c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
                c04 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (4 * lanes)), c04);
                c05 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (5 * lanes)), c05);
                c06 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (6 * lanes)), c06);
                c07 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (7 * lanes)), c07);
                y += yq;
                xa += xq;
            }

            {
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
                c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
                c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
                c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
                c04 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (4 * lanes)), c04);
                c05 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (5 * lanes)), c05);
                c06 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (6 * lanes)), c06);
                c07 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (7 * lanes)), c07);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
            c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
            c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
            c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
            c04 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (4 * lanes)), c04);
            c05 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (5 * lanes)), c05);
            c06 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (6 * lanes)), c06);
            c07 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (7 * lanes)), c07);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + lanes, epilogue.Apply<TSimd, TVec>(c01, z + lanes));
        TSimd.Store(c + (2 * lanes), epilogue.Apply<TSimd, TVec>(c02, z + (2 * lanes)));
        TSimd.Store(c + (3 * lanes), epilogue.Apply<TSimd, TVec>(c03, z + (3 * lanes)));
        TSimd.Store(c + (4 * lanes), epilogue.Apply<TSimd, TVec>(c04, z + (4 * lanes)));
        TSimd.Store(c + (5 * lanes), epilogue.Apply<TSimd, TVec>(c05, z + (5 * lanes)));
        TSimd.Store(c + (6 * lanes), epilogue.Apply<TSimd, TVec>(c06, z + (6 * lanes)));
        TSimd.Store(c + (7 * lanes), epilogue.Apply<TSimd, TVec>(c07, z + (7 * lanes)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile1x4<TSimd, TVec, TStart, TEpilogue>(float* x, nint xs, nint xq, float* y, nint yq, int depth, float* c, nint ldc, float* bias, float* z, nint ldz, TEpilogue epilogue)
        where TSimd : ISimd<TVec>
        where TVec : unmanaged
        where TStart : ITileStart
        where TEpilogue : IEpilogue
    {
        nint lanes = TSimd.Lanes;
        float* xa = x;
        TVec c00 = TStart.Start<TSimd, TVec>(c, bias);
        TVec c01 = TStart.Start<TSimd, TVec>(c + lanes, bias + lanes);
        TVec c02 = TStart.Start<TSimd, TVec>(c + (2 * lanes), bias + (2 * lanes));
        TVec c03 = TStart.Start<TSimd, TVec>(c + (3 * lanes), bias + (3 * lanes));
        int q = 0;
        for (; q + 2 <= depth; q += 2)
        {
            {
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
                c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
                c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
                c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
                y += yq;
                xa += xq;
            }

            {
                TVec a0 = TSimd.Broadcast(xa);
                c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
                c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
                c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
                c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
                y += yq;
                xa += xq;
            }
        }

        if (q < depth)
        {
            TVec a0 = TSimd.Broadcast(xa);
            c00 = TSimd.MultiplyAdd(a0, TSimd.Load(y), c00);
            c01 = TSimd.MultiplyAdd(a0, TSimd.Load(y + lanes), c01);
            c02 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (2 * lanes)), c02);
            c03 = TSimd.MultiplyAdd(a0, TSimd.Load(y + (3 * lanes)), c03);
            y += yq;
            xa += xq;
        }

        TSimd.Store(c, epilogue.Apply<TSimd, TVec>(c00, z));
        TSimd.Store(c + lanes, epilogue.Apply<TSimd, TVec>(c01, z + lanes));
        TSimd.Store(c + (2 * lanes), epilogue.Apply<TSimd, TVec>(c02, z + (2 * lanes)));
        TSimd.Store(c + (3 * lanes), epilogue.Apply<TSimd, TVec>(c03, z + (3 * lanes)));
    }
}
