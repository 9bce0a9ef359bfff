using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// SIMD kernels (AVX2 + FMA, 256-bit) for <see cref="CpuDecoder"/>: matrix-vector products over float32 or
    /// bfloat16 weights with float32 accumulation, and the bfloat16 rounding that makes float32 arithmetic give the
    /// values a bfloat16 tensor would hold. Entry points check their spans once; the loops index without bounds checks.
    /// </summary>
    internal static class CpuKernels
    {
        /// <summary>How far ahead of the rows being multiplied the weights are touched, in bytes.</summary>
        /// <remarks>
        /// A decode step streams every weight once, mostly from DRAM; hardware prefetchers alone reach about half the
        /// bandwidth. Loading one element per cache line this far ahead keeps enough misses in flight (measured on
        /// Zen 4, one row: 12-16 GB/s without, 25-29 GB/s with; 4-8 KB ahead are best). A load, unlike a prefetch
        /// instruction, holds up retirement until its line arrives, so kernels that do more work per byte (several
        /// rows at once) keep fewer lines in flight: 4 rows x 4 inputs over the Small model's float32 weights took
        /// 2.7 ms with these loads and 1.5 ms with Sse.Prefetch0, which needs unsafe code (not enabled in this project).
        /// </remarks>
        private const int TouchAheadBytes = 8192;

        /// <summary>True where the kernels run: x86-64 with AVX2 and FMA.</summary>
        public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

        // With AVX-512 the JIT has 32 vector registers, enough for 4 weight rows x 4 inputs (16 accumulators): 40%
        // more FLOP/s than 2 x 4 when several rows decode together (Zen 4: 91 against 64 GFLOP/s). With 16 registers
        // that tile would spill, so AVX2-only CPUs keep 2 x 4. Every tile sums a row in the same order, so the
        // results do not depend on the tiling.
        private static bool WideTiles => Avx512F.VL.IsSupported;

        // ---- float32 weights -------------------------------------------------------------------------------

        /// <summary>
        /// y[b * ldy + o] = sum_i w[o * cols + i] * x[b * ldx + i] for rows o in [rowStart, rowEnd) and b in
        /// [0, batch). <paramref name="w"/> is a row-major (rows, cols) float32 matrix.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static uint MatVecF32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
        {
            CheckMatVec(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
            ref float w0 = ref MemoryMarshal.GetReference(w);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            nuint last = (nuint)w.Length - 1;
            int vectorCols = cols & ~7;
            uint sink = 0;
            int o = rowStart;
            if (batch == 1)
            {
                for (; o + 4 <= rowEnd; o += 4)
                {
                    sink += RowsF32x4(ref w0, last, cols, vectorCols, ref x0, ref y0, o);
                }
            }
            else
            {
                if (WideTiles)
                {
                    for (; o + 4 <= rowEnd; o += 4)
                    {
                        for (int b = 0; b < batch; b += 4)
                        {
                            sink += RowsF32x4Batch4(ref w0, last, cols, vectorCols, ref x0, ldx, batch, b, ref y0, ldy, o, touch: b == 0);
                        }
                    }
                }
                for (; o + 2 <= rowEnd; o += 2)
                {
                    for (int b = 0; b < batch; b += 4)
                    {
                        sink += RowsF32x2Batch4(ref w0, last, cols, vectorCols, ref x0, ldx, batch, b, ref y0, ldy, o, touch: b == 0);
                    }
                }
            }
            for (; o < rowEnd; o++)
            {
                for (int b = 0; b < batch; b++)
                {
                    Unsafe.Add(ref y0, b * ldy + o) = DotF32(ref Unsafe.Add(ref w0, (nint)o * cols), ref Unsafe.Add(ref x0, b * ldx), cols);
                }
            }
            return sink;
        }

        // The kernels below index without bounds checks: the spans must hold every row and input they touch.
        private static void CheckMatVec(int weights, int cols, int inputs, int ldx, int batch, int outputs, int ldy, int rowStart, int rowEnd)
        {
            if (cols <= 0 || batch <= 0 || rowStart < 0 || rowEnd < rowStart || ldx < cols || ldy < rowEnd
                || (long)rowEnd * cols > weights
                || (long)(batch - 1) * ldx + cols > inputs
                || (long)(batch - 1) * ldy + rowEnd > outputs)
            {
                throw new ArgumentException($"a matrix-vector product does not fit its buffers (rows {rowStart}..{rowEnd}, cols {cols}, batch {batch})");
            }
        }

        // The touched values are summed as integers (no floating point assists on denormals) and returned, so the
        // loads are not dropped.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Touch(ref float w, nuint index) => Unsafe.As<float, uint>(ref Unsafe.Add(ref w, index));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsF32x4(ref float w, nuint last, int cols, int vectorCols, ref float x, ref float y, int o)
        {
            nuint r0 = (nuint)o * (nuint)cols, r1 = r0 + (nuint)cols, r2 = r1 + (nuint)cols, r3 = r2 + (nuint)cols;
            nuint touch = r0 + TouchAheadBytes / sizeof(float);
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < vectorCols; i += 8)
            {
                // 4 rows x 8 floats = two cache lines per step: touch two lines ahead.
                sink += Touch(ref w, Math.Min(touch, last)) + Touch(ref w, Math.Min(touch + 16, last));
                touch += 32;
                var xv = Vector256.LoadUnsafe(ref x, (nuint)i);
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r0 + (nuint)i), xv, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r1 + (nuint)i), xv, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r2 + (nuint)i), xv, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r3 + (nuint)i), xv, a3);
            }
            float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
            for (; i < cols; i++)
            {
                float xi = Unsafe.Add(ref x, i);
                s0 += Unsafe.Add(ref w, r0 + (nuint)i) * xi;
                s1 += Unsafe.Add(ref w, r1 + (nuint)i) * xi;
                s2 += Unsafe.Add(ref w, r2 + (nuint)i) * xi;
                s3 += Unsafe.Add(ref w, r3 + (nuint)i) * xi;
            }
            Unsafe.Add(ref y, o) = s0;
            Unsafe.Add(ref y, o + 1) = s1;
            Unsafe.Add(ref y, o + 2) = s2;
            Unsafe.Add(ref y, o + 3) = s3;
            return sink;
        }

        // Two weight rows against up to four input rows (b0..b0+3; missing rows repeat the last one and are not stored).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsF32x2Batch4(ref float w, nuint last, int cols, int vectorCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            int n = Math.Min(4, batch - b0);
            ref float w0 = ref Unsafe.Add(ref w, (nint)o * cols);
            ref float w1 = ref Unsafe.Add(ref w0, cols);
            ref float x0 = ref Unsafe.Add(ref x, b0 * ldx);
            ref float x1 = ref Unsafe.Add(ref x, (b0 + Math.Min(1, n - 1)) * ldx);
            ref float x2 = ref Unsafe.Add(ref x, (b0 + Math.Min(2, n - 1)) * ldx);
            ref float x3 = ref Unsafe.Add(ref x, (b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = (nuint)o * (nuint)cols + TouchAheadBytes / sizeof(float);
            nuint step = touch ? 16u : 0u;
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < vectorCols; i += 8)
            {
                // 2 rows x 8 floats = one cache line per step (touched on the first pass over the batch only).
                sink += Touch(ref w, Math.Min(ahead, last));
                ahead += step;
                var wa = Vector256.LoadUnsafe(ref w0, (nuint)i);
                var wb = Vector256.LoadUnsafe(ref w1, (nuint)i);
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                a00 = Fma.MultiplyAdd(wa, v, a00);
                a10 = Fma.MultiplyAdd(wb, v, a10);
                v = Vector256.LoadUnsafe(ref x1, (nuint)i);
                a01 = Fma.MultiplyAdd(wa, v, a01);
                a11 = Fma.MultiplyAdd(wb, v, a11);
                v = Vector256.LoadUnsafe(ref x2, (nuint)i);
                a02 = Fma.MultiplyAdd(wa, v, a02);
                a12 = Fma.MultiplyAdd(wb, v, a12);
                v = Vector256.LoadUnsafe(ref x3, (nuint)i);
                a03 = Fma.MultiplyAdd(wa, v, a03);
                a13 = Fma.MultiplyAdd(wb, v, a13);
            }
            // Sums first: an accumulator live across a call is kept in memory, inside the loop too.
            float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
            float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
            Store2(ref w0, ref w1, ref x, ldx, b0 + 0, s00, s10, i, cols, ref y, ldy, o);
            if (n > 1)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 1, s01, s11, i, cols, ref y, ldy, o);
            }
            if (n > 2)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 2, s02, s12, i, cols, ref y, ldy, o);
            }
            if (n > 3)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 3, s03, s13, i, cols, ref y, ldy, o);
            }
            return sink;
        }

        // Four weight rows against up to four input rows (missing input rows repeat the last one and are not stored).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsF32x4Batch4(ref float w, nuint last, int cols, int vectorCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            int n = Math.Min(4, batch - b0);
            ref float w0 = ref Unsafe.Add(ref w, (nint)o * cols);
            ref float w1 = ref Unsafe.Add(ref w0, cols);
            ref float w2 = ref Unsafe.Add(ref w1, cols);
            ref float w3 = ref Unsafe.Add(ref w2, cols);
            ref float x0 = ref Unsafe.Add(ref x, b0 * ldx);
            ref float x1 = ref Unsafe.Add(ref x, (b0 + Math.Min(1, n - 1)) * ldx);
            ref float x2 = ref Unsafe.Add(ref x, (b0 + Math.Min(2, n - 1)) * ldx);
            ref float x3 = ref Unsafe.Add(ref x, (b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = (nuint)o * (nuint)cols + TouchAheadBytes / sizeof(float);
            nuint step = touch ? 32u : 0u;
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
            var a20 = Vector256<float>.Zero; var a21 = Vector256<float>.Zero; var a22 = Vector256<float>.Zero; var a23 = Vector256<float>.Zero;
            var a30 = Vector256<float>.Zero; var a31 = Vector256<float>.Zero; var a32 = Vector256<float>.Zero; var a33 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < vectorCols; i += 8)
            {
                // 4 rows x 8 floats = two cache lines per step (touched on the first pass over the batch only).
                sink += Touch(ref w, Math.Min(ahead, last)) + Touch(ref w, Math.Min(ahead + 16, last));
                ahead += step;
                var v0 = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var v1 = Vector256.LoadUnsafe(ref x1, (nuint)i);
                var v2 = Vector256.LoadUnsafe(ref x2, (nuint)i);
                var v3 = Vector256.LoadUnsafe(ref x3, (nuint)i);
                var q = Vector256.LoadUnsafe(ref w0, (nuint)i);
                a00 = Fma.MultiplyAdd(q, v0, a00); a01 = Fma.MultiplyAdd(q, v1, a01); a02 = Fma.MultiplyAdd(q, v2, a02); a03 = Fma.MultiplyAdd(q, v3, a03);
                q = Vector256.LoadUnsafe(ref w1, (nuint)i);
                a10 = Fma.MultiplyAdd(q, v0, a10); a11 = Fma.MultiplyAdd(q, v1, a11); a12 = Fma.MultiplyAdd(q, v2, a12); a13 = Fma.MultiplyAdd(q, v3, a13);
                q = Vector256.LoadUnsafe(ref w2, (nuint)i);
                a20 = Fma.MultiplyAdd(q, v0, a20); a21 = Fma.MultiplyAdd(q, v1, a21); a22 = Fma.MultiplyAdd(q, v2, a22); a23 = Fma.MultiplyAdd(q, v3, a23);
                q = Vector256.LoadUnsafe(ref w3, (nuint)i);
                a30 = Fma.MultiplyAdd(q, v0, a30); a31 = Fma.MultiplyAdd(q, v1, a31); a32 = Fma.MultiplyAdd(q, v2, a32); a33 = Fma.MultiplyAdd(q, v3, a33);
            }
            // Sums first: an accumulator live across a call is kept in memory, inside the loop too.
            float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
            float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
            float s20 = Vector256.Sum(a20), s21 = Vector256.Sum(a21), s22 = Vector256.Sum(a22), s23 = Vector256.Sum(a23);
            float s30 = Vector256.Sum(a30), s31 = Vector256.Sum(a31), s32 = Vector256.Sum(a32), s33 = Vector256.Sum(a33);
            Store2(ref w0, ref w1, ref x, ldx, b0, s00, s10, i, cols, ref y, ldy, o);
            Store2(ref w2, ref w3, ref x, ldx, b0, s20, s30, i, cols, ref y, ldy, o + 2);
            if (n > 1)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 1, s01, s11, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 1, s21, s31, i, cols, ref y, ldy, o + 2);
            }
            if (n > 2)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 2, s02, s12, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 2, s22, s32, i, cols, ref y, ldy, o + 2);
            }
            if (n > 3)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 3, s03, s13, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 3, s23, s33, i, cols, ref y, ldy, o + 2);
            }
            return sink;
        }

        // Finishes input row b0 + j of a two-row block: the vector sums plus the columns past the last full vector.
        private static void Store2(ref float w0, ref float w1, ref float x, int ldx, int row, float t0, float t1, int from, int cols, ref float y, int ldy, int o)
        {
            ref float xr = ref Unsafe.Add(ref x, row * ldx);
            for (int k = from; k < cols; k++)
            {
                float xk = Unsafe.Add(ref xr, k);
                t0 += Unsafe.Add(ref w0, k) * xk;
                t1 += Unsafe.Add(ref w1, k) * xk;
            }
            Unsafe.Add(ref y, row * ldy + o) = t0;
            Unsafe.Add(ref y, row * ldy + o + 1) = t1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float DotF32(ref float w, ref float x, int cols)
        {
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= cols; i += 8)
            {
                acc = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), Vector256.LoadUnsafe(ref x, (nuint)i), acc);
            }
            float sum = Vector256.Sum(acc);
            for (; i < cols; i++)
            {
                sum += Unsafe.Add(ref w, i) * Unsafe.Add(ref x, i);
            }
            return sum;
        }

        // ---- bfloat16 weights ------------------------------------------------------------------------------
        //
        // Sixteen bfloat16 weights load as eight 32-bit lanes, each holding an even element in its low half and
        // the next odd element in its high half: (lane << 16) is the even elements as float32 and
        // (lane & 0xFFFF0000) the odd ones. The input is split the same way once per product
        // (<see cref="SplitEvenOdd"/>), so each 16 weights cost one load, two bit operations and two FMAs.

        /// <summary>The layout the bfloat16 kernels read: per 16 inputs, the 8 even then the 8 odd ones; a tail under 16 stays in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void SplitEvenOdd(ReadOnlySpan<float> x, int cols, int batch, int ldx, Span<float> split)
        {
            if (x.Length < (batch - 1) * ldx + cols || split.Length < (batch - 1) * ldx + cols)
            {
                throw new ArgumentException("the input or the split buffer is too short");
            }
            int blocks = cols & ~15;
            var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            for (int b = 0; b < batch; b++)
            {
                ref float from = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), b * ldx);
                ref float to = ref Unsafe.Add(ref MemoryMarshal.GetReference(split), b * ldx);
                for (int c = 0; c < blocks; c += 16)
                {
                    // [a0 a2 a4 a6 a1 a3 a5 a7] and [b0 b2 ...]: the low halves are the evens, the high halves the odds.
                    var lo = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref from, (nuint)c), order);
                    var hi = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref from, (nuint)c + 8), order);
                    Avx2.Permute2x128(lo, hi, 0x20).StoreUnsafe(ref to, (nuint)c);
                    Avx2.Permute2x128(lo, hi, 0x31).StoreUnsafe(ref to, (nuint)c + 8);
                }
                for (int i = blocks; i < cols; i++)
                {
                    Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
                }
            }
        }

        /// <summary>
        /// As <see cref="MatVecF32"/> for a row-major (rows, cols) bfloat16 matrix; <paramref name="split"/> holds the
        /// inputs as <see cref="SplitEvenOdd"/> lays them out.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static uint MatVecBf16(ReadOnlySpan<ushort> w, int cols, ReadOnlySpan<float> split, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
        {
            CheckMatVec(w.Length, cols, split.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
            ref ushort w0 = ref MemoryMarshal.GetReference(w);
            ref float x0 = ref MemoryMarshal.GetReference(split);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            nuint last = (nuint)w.Length - 1;
            int blockCols = cols & ~15;
            uint sink = 0;
            int o = rowStart;
            if (batch == 1)
            {
                for (; o + 4 <= rowEnd; o += 4)
                {
                    sink += RowsBf16x4(ref w0, last, cols, blockCols, ref x0, ref y0, o);
                }
            }
            else
            {
                if (WideTiles)
                {
                    for (; o + 4 <= rowEnd; o += 4)
                    {
                        for (int b = 0; b < batch; b += 4)
                        {
                            sink += RowsBf16x4Batch4(ref w0, last, cols, blockCols, ref x0, ldx, batch, b, ref y0, ldy, o, touch: b == 0);
                        }
                    }
                }
                for (; o + 2 <= rowEnd; o += 2)
                {
                    for (int b = 0; b < batch; b += 4)
                    {
                        sink += RowsBf16x2Batch4(ref w0, last, cols, blockCols, ref x0, ldx, batch, b, ref y0, ldy, o, touch: b == 0);
                    }
                }
            }
            for (; o < rowEnd; o++)
            {
                for (int b = 0; b < batch; b++)
                {
                    Unsafe.Add(ref y0, b * ldy + o) = DotBf16(ref Unsafe.Add(ref w0, (nint)o * cols), ref Unsafe.Add(ref x0, b * ldx), cols, blockCols);
                }
            }
            return sink;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<uint> LoadPairs(ref ushort w, nuint index) =>
            Vector256.LoadUnsafe(ref Unsafe.As<ushort, uint>(ref Unsafe.Add(ref w, index)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Even(Vector256<uint> pairs) => Avx2.ShiftLeftLogical(pairs, 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Odd(Vector256<uint> pairs) => (pairs & Vector256.Create(0xFFFF0000u)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Bf16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsBf16x4(ref ushort w, nuint last, int cols, int blockCols, ref float x, ref float y, int o)
        {
            nuint r0 = (nuint)o * (nuint)cols, r1 = r0 + (nuint)cols, r2 = r1 + (nuint)cols, r3 = r2 + (nuint)cols;
            nuint touch = r0 + TouchAheadBytes / sizeof(ushort);
            var e0 = Vector256<float>.Zero; var e1 = Vector256<float>.Zero; var e2 = Vector256<float>.Zero; var e3 = Vector256<float>.Zero;
            var d0 = Vector256<float>.Zero; var d1 = Vector256<float>.Zero; var d2 = Vector256<float>.Zero; var d3 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < blockCols; i += 16)
            {
                // 4 rows x 16 bfloat16 = two cache lines per step: touch two lines ahead.
                sink += (uint)Unsafe.Add(ref w, Math.Min(touch, last)) + Unsafe.Add(ref w, Math.Min(touch + 32, last));
                touch += 64;
                var xe = Vector256.LoadUnsafe(ref x, (nuint)i);
                var xo = Vector256.LoadUnsafe(ref x, (nuint)i + 8);
                var p = LoadPairs(ref w, r0 + (nuint)i);
                e0 = Fma.MultiplyAdd(Even(p), xe, e0);
                d0 = Fma.MultiplyAdd(Odd(p), xo, d0);
                p = LoadPairs(ref w, r1 + (nuint)i);
                e1 = Fma.MultiplyAdd(Even(p), xe, e1);
                d1 = Fma.MultiplyAdd(Odd(p), xo, d1);
                p = LoadPairs(ref w, r2 + (nuint)i);
                e2 = Fma.MultiplyAdd(Even(p), xe, e2);
                d2 = Fma.MultiplyAdd(Odd(p), xo, d2);
                p = LoadPairs(ref w, r3 + (nuint)i);
                e3 = Fma.MultiplyAdd(Even(p), xe, e3);
                d3 = Fma.MultiplyAdd(Odd(p), xo, d3);
            }
            float s0 = Vector256.Sum(e0 + d0), s1 = Vector256.Sum(e1 + d1), s2 = Vector256.Sum(e2 + d2), s3 = Vector256.Sum(e3 + d3);
            for (; i < cols; i++)
            {
                float xi = Unsafe.Add(ref x, i);
                s0 += Bf16ToSingle(Unsafe.Add(ref w, r0 + (nuint)i)) * xi;
                s1 += Bf16ToSingle(Unsafe.Add(ref w, r1 + (nuint)i)) * xi;
                s2 += Bf16ToSingle(Unsafe.Add(ref w, r2 + (nuint)i)) * xi;
                s3 += Bf16ToSingle(Unsafe.Add(ref w, r3 + (nuint)i)) * xi;
            }
            Unsafe.Add(ref y, o) = s0;
            Unsafe.Add(ref y, o + 1) = s1;
            Unsafe.Add(ref y, o + 2) = s2;
            Unsafe.Add(ref y, o + 3) = s3;
            return sink;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsBf16x2Batch4(ref ushort w, nuint last, int cols, int blockCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            int n = Math.Min(4, batch - b0);
            ref ushort w0 = ref Unsafe.Add(ref w, (nint)o * cols);
            ref ushort w1 = ref Unsafe.Add(ref w0, cols);
            ref float x0 = ref Unsafe.Add(ref x, b0 * ldx);
            ref float x1 = ref Unsafe.Add(ref x, (b0 + Math.Min(1, n - 1)) * ldx);
            ref float x2 = ref Unsafe.Add(ref x, (b0 + Math.Min(2, n - 1)) * ldx);
            ref float x3 = ref Unsafe.Add(ref x, (b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = (nuint)o * (nuint)cols + TouchAheadBytes / sizeof(ushort);
            nuint step = touch ? 32u : 0u;
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < blockCols; i += 16)
            {
                // 2 rows x 16 bfloat16 = one cache line per step.
                sink += Unsafe.Add(ref w, Math.Min(ahead, last));
                ahead += step;
                var p0 = LoadPairs(ref w0, (nuint)i);
                var p1 = LoadPairs(ref w1, (nuint)i);
                var w0e = Even(p0); var w0o = Odd(p0);
                var w1e = Even(p1); var w1o = Odd(p1);
                var xe = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var xo = Vector256.LoadUnsafe(ref x0, (nuint)i + 8);
                a00 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a00));
                a10 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a10));
                xe = Vector256.LoadUnsafe(ref x1, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x1, (nuint)i + 8);
                a01 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a01));
                a11 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a11));
                xe = Vector256.LoadUnsafe(ref x2, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x2, (nuint)i + 8);
                a02 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a02));
                a12 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a12));
                xe = Vector256.LoadUnsafe(ref x3, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x3, (nuint)i + 8);
                a03 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a03));
                a13 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a13));
            }
            // Sums first: an accumulator live across a call is kept in memory, inside the loop too.
            float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
            float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
            Store2(ref w0, ref w1, ref x, ldx, b0 + 0, s00, s10, i, cols, ref y, ldy, o);
            if (n > 1)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 1, s01, s11, i, cols, ref y, ldy, o);
            }
            if (n > 2)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 2, s02, s12, i, cols, ref y, ldy, o);
            }
            if (n > 3)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 3, s03, s13, i, cols, ref y, ldy, o);
            }
            return sink;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static uint RowsBf16x4Batch4(ref ushort w, nuint last, int cols, int blockCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            int n = Math.Min(4, batch - b0);
            ref ushort w0 = ref Unsafe.Add(ref w, (nint)o * cols);
            ref ushort w1 = ref Unsafe.Add(ref w0, cols);
            ref ushort w2 = ref Unsafe.Add(ref w1, cols);
            ref ushort w3 = ref Unsafe.Add(ref w2, cols);
            ref float x0 = ref Unsafe.Add(ref x, b0 * ldx);
            ref float x1 = ref Unsafe.Add(ref x, (b0 + Math.Min(1, n - 1)) * ldx);
            ref float x2 = ref Unsafe.Add(ref x, (b0 + Math.Min(2, n - 1)) * ldx);
            ref float x3 = ref Unsafe.Add(ref x, (b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = (nuint)o * (nuint)cols + TouchAheadBytes / sizeof(ushort);
            nuint step = touch ? 64u : 0u;
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
            var a20 = Vector256<float>.Zero; var a21 = Vector256<float>.Zero; var a22 = Vector256<float>.Zero; var a23 = Vector256<float>.Zero;
            var a30 = Vector256<float>.Zero; var a31 = Vector256<float>.Zero; var a32 = Vector256<float>.Zero; var a33 = Vector256<float>.Zero;
            uint sink = 0;
            int i = 0;
            for (; i < blockCols; i += 16)
            {
                // 4 rows x 16 bfloat16 = two cache lines per step.
                sink += (uint)Unsafe.Add(ref w, Math.Min(ahead, last)) + Unsafe.Add(ref w, Math.Min(ahead + 32, last));
                ahead += step;
                var p = LoadPairs(ref w0, (nuint)i);
                var e0 = Even(p); var d0 = Odd(p);
                p = LoadPairs(ref w1, (nuint)i);
                var e1 = Even(p); var d1 = Odd(p);
                p = LoadPairs(ref w2, (nuint)i);
                var e2 = Even(p); var d2 = Odd(p);
                p = LoadPairs(ref w3, (nuint)i);
                var e3 = Even(p); var d3 = Odd(p);
                var xe = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var xo = Vector256.LoadUnsafe(ref x0, (nuint)i + 8);
                a00 = Fma.MultiplyAdd(d0, xo, Fma.MultiplyAdd(e0, xe, a00));
                a10 = Fma.MultiplyAdd(d1, xo, Fma.MultiplyAdd(e1, xe, a10));
                a20 = Fma.MultiplyAdd(d2, xo, Fma.MultiplyAdd(e2, xe, a20));
                a30 = Fma.MultiplyAdd(d3, xo, Fma.MultiplyAdd(e3, xe, a30));
                xe = Vector256.LoadUnsafe(ref x1, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x1, (nuint)i + 8);
                a01 = Fma.MultiplyAdd(d0, xo, Fma.MultiplyAdd(e0, xe, a01));
                a11 = Fma.MultiplyAdd(d1, xo, Fma.MultiplyAdd(e1, xe, a11));
                a21 = Fma.MultiplyAdd(d2, xo, Fma.MultiplyAdd(e2, xe, a21));
                a31 = Fma.MultiplyAdd(d3, xo, Fma.MultiplyAdd(e3, xe, a31));
                xe = Vector256.LoadUnsafe(ref x2, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x2, (nuint)i + 8);
                a02 = Fma.MultiplyAdd(d0, xo, Fma.MultiplyAdd(e0, xe, a02));
                a12 = Fma.MultiplyAdd(d1, xo, Fma.MultiplyAdd(e1, xe, a12));
                a22 = Fma.MultiplyAdd(d2, xo, Fma.MultiplyAdd(e2, xe, a22));
                a32 = Fma.MultiplyAdd(d3, xo, Fma.MultiplyAdd(e3, xe, a32));
                xe = Vector256.LoadUnsafe(ref x3, (nuint)i);
                xo = Vector256.LoadUnsafe(ref x3, (nuint)i + 8);
                a03 = Fma.MultiplyAdd(d0, xo, Fma.MultiplyAdd(e0, xe, a03));
                a13 = Fma.MultiplyAdd(d1, xo, Fma.MultiplyAdd(e1, xe, a13));
                a23 = Fma.MultiplyAdd(d2, xo, Fma.MultiplyAdd(e2, xe, a23));
                a33 = Fma.MultiplyAdd(d3, xo, Fma.MultiplyAdd(e3, xe, a33));
            }
            float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
            float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
            float s20 = Vector256.Sum(a20), s21 = Vector256.Sum(a21), s22 = Vector256.Sum(a22), s23 = Vector256.Sum(a23);
            float s30 = Vector256.Sum(a30), s31 = Vector256.Sum(a31), s32 = Vector256.Sum(a32), s33 = Vector256.Sum(a33);
            Store2(ref w0, ref w1, ref x, ldx, b0, s00, s10, i, cols, ref y, ldy, o);
            Store2(ref w2, ref w3, ref x, ldx, b0, s20, s30, i, cols, ref y, ldy, o + 2);
            if (n > 1)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 1, s01, s11, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 1, s21, s31, i, cols, ref y, ldy, o + 2);
            }
            if (n > 2)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 2, s02, s12, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 2, s22, s32, i, cols, ref y, ldy, o + 2);
            }
            if (n > 3)
            {
                Store2(ref w0, ref w1, ref x, ldx, b0 + 3, s03, s13, i, cols, ref y, ldy, o);
                Store2(ref w2, ref w3, ref x, ldx, b0 + 3, s23, s33, i, cols, ref y, ldy, o + 2);
            }
            return sink;
        }

        // As the float32 Store2, for bfloat16 rows (the tail of the split input is in order).
        private static void Store2(ref ushort w0, ref ushort w1, ref float x, int ldx, int row, float t0, float t1, int from, int cols, ref float y, int ldy, int o)
        {
            ref float xr = ref Unsafe.Add(ref x, row * ldx);
            for (int k = from; k < cols; k++)
            {
                float xk = Unsafe.Add(ref xr, k);
                t0 += Bf16ToSingle(Unsafe.Add(ref w0, k)) * xk;
                t1 += Bf16ToSingle(Unsafe.Add(ref w1, k)) * xk;
            }
            Unsafe.Add(ref y, row * ldy + o) = t0;
            Unsafe.Add(ref y, row * ldy + o + 1) = t1;
        }

        private static float DotBf16(ref ushort w, ref float split, int cols, int blockCols)
        {
            var e = Vector256<float>.Zero;
            var d = Vector256<float>.Zero;
            int i = 0;
            for (; i < blockCols; i += 16)
            {
                var p = LoadPairs(ref w, (nuint)i);
                e = Fma.MultiplyAdd(Even(p), Vector256.LoadUnsafe(ref split, (nuint)i), e);
                d = Fma.MultiplyAdd(Odd(p), Vector256.LoadUnsafe(ref split, (nuint)i + 8), d);
            }
            float sum = Vector256.Sum(e + d);
            for (; i < cols; i++)
            {
                sum += Bf16ToSingle(Unsafe.Add(ref w, i)) * Unsafe.Add(ref split, i);
            }
            return sum;
        }

        // ---- element-wise ----------------------------------------------------------------------------------

        /// <summary>float32 to the nearest bfloat16 (ties to even), as float32: what storing into a bfloat16 tensor keeps.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float RoundBf16(float value)
        {
            if (float.IsNaN(value))
            {
                return value;
            }
            uint bits = BitConverter.SingleToUInt32Bits(value);
            bits += 0x7FFFu + ((bits >> 16) & 1u);
            return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
        }

        /// <summary>The bfloat16 bits of a float32 (ties to even).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ushort ToBf16Bits(float value) => (ushort)(BitConverter.SingleToUInt32Bits(RoundBf16(value)) >> 16);

        /// <summary>The bfloat16 bits as float32 (exact).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float FromBf16Bits(ushort bits) => Bf16ToSingle(bits);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> RoundBf16(Vector256<float> v)
        {
            var bits = v.AsUInt32();
            var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF0000u);
            return Vector256.ConditionalSelect(Vector256.Equals(v, v), rounded.AsSingle(), v);
        }

        /// <summary>Rounds every value to the nearest bfloat16 in place.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RoundBf16(Span<float> values)
        {
            ref float v = ref MemoryMarshal.GetReference(values);
            int i = 0;
            for (; i + 8 <= values.Length; i += 8)
            {
                RoundBf16(Vector256.LoadUnsafe(ref v, (nuint)i)).StoreUnsafe(ref v, (nuint)i);
            }
            for (; i < values.Length; i++)
            {
                Unsafe.Add(ref v, i) = RoundBf16(Unsafe.Add(ref v, i));
            }
        }

        /// <summary>x += y, rounded to bfloat16 when <paramref name="bf16"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void AddInPlace(Span<float> x, ReadOnlySpan<float> y, bool bf16)
        {
            if (y.Length < x.Length)
            {
                throw new ArgumentException("the addend is too short", nameof(y));
            }
            ref float a = ref MemoryMarshal.GetReference(x);
            ref float b = ref MemoryMarshal.GetReference(y);
            int i = 0;
            for (; i + 8 <= x.Length; i += 8)
            {
                var sum = Vector256.LoadUnsafe(ref a, (nuint)i) + Vector256.LoadUnsafe(ref b, (nuint)i);
                (bf16 ? RoundBf16(sum) : sum).StoreUnsafe(ref a, (nuint)i);
            }
            for (; i < x.Length; i++)
            {
                float sum = Unsafe.Add(ref a, i) + Unsafe.Add(ref b, i);
                Unsafe.Add(ref a, i) = bf16 ? RoundBf16(sum) : sum;
            }
        }

        /// <summary>gate = silu(gate) * up, with bfloat16 rounding after silu and after the product when <paramref name="bf16"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void SiluMul(Span<float> gate, ReadOnlySpan<float> up, bool bf16)
        {
            if (up.Length < gate.Length)
            {
                throw new ArgumentException("the up projection is too short", nameof(up));
            }
            ref float g = ref MemoryMarshal.GetReference(gate);
            ref float u = ref MemoryMarshal.GetReference(up);
            int i = 0;
            for (; i + 8 <= gate.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref g, (nuint)i);
                var silu = v / (Vector256<float>.One + Vector256.Exp(-v));
                if (bf16)
                {
                    silu = RoundBf16(silu);
                }
                var product = silu * Vector256.LoadUnsafe(ref u, (nuint)i);
                (bf16 ? RoundBf16(product) : product).StoreUnsafe(ref g, (nuint)i);
            }
            for (; i < gate.Length; i++)
            {
                float v = Unsafe.Add(ref g, i);
                float silu = v / (1f + MathF.Exp(-v));
                if (bf16)
                {
                    silu = RoundBf16(silu);
                }
                float product = silu * Unsafe.Add(ref u, i);
                Unsafe.Add(ref g, i) = bf16 ? RoundBf16(product) : product;
            }
        }

        /// <summary>
        /// RMSNorm's scaling of one row: to = (x * r) * w in float32; for bfloat16 weights, to = round(round(x * r) * w)
        /// (the normed row is stored in bfloat16, then multiplied by the bfloat16 weight).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ScaleRow(ReadOnlySpan<float> x, float r, ReadOnlySpan<float> w, Span<float> to)
        {
            int n = x.Length;
            if (w.Length < n || to.Length < n)
            {
                throw new ArgumentException("the weight or the output is too short");
            }
            ref float a = ref MemoryMarshal.GetReference(x);
            ref float g = ref MemoryMarshal.GetReference(w);
            ref float o = ref MemoryMarshal.GetReference(to);
            var rv = Vector256.Create(r);
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                (Vector256.LoadUnsafe(ref a, (nuint)i) * rv * Vector256.LoadUnsafe(ref g, (nuint)i)).StoreUnsafe(ref o, (nuint)i);
            }
            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = Unsafe.Add(ref a, i) * r * Unsafe.Add(ref g, i);
            }
        }

        /// <summary>As <see cref="ScaleRow(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/> for a bfloat16 weight.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ScaleRow(ReadOnlySpan<float> x, float r, ReadOnlySpan<ushort> w, Span<float> to)
        {
            int n = x.Length;
            if (w.Length < n || to.Length < n)
            {
                throw new ArgumentException("the weight or the output is too short");
            }
            ref float a = ref MemoryMarshal.GetReference(x);
            ref ushort g = ref MemoryMarshal.GetReference(w);
            ref float o = ref MemoryMarshal.GetReference(to);
            var rv = Vector256.Create(r);
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                RoundBf16(RoundBf16(Vector256.LoadUnsafe(ref a, (nuint)i) * rv) * Widen(ref g, i)).StoreUnsafe(ref o, (nuint)i);
            }
            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = RoundBf16(RoundBf16(Unsafe.Add(ref a, i) * r) * Bf16ToSingle(Unsafe.Add(ref g, i)));
            }
        }

        /// <summary>
        /// Rotary embedding of one head in place, Hugging Face's rotate-half convention: x * cos + rotate_half(x) * sin
        /// with rotate_half(x) = (-x2, x1). For bfloat16 the tables, both products and the sum are rounded to
        /// bfloat16, as the tensor code's bfloat16 ops round them.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Rotate(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool bf16)
        {
            int half = x.Length / 2;
            if (cos.Length < x.Length || sin.Length < x.Length)
            {
                throw new ArgumentException("the tables are too short");
            }
            ref float v = ref MemoryMarshal.GetReference(x);
            ref float c = ref MemoryMarshal.GetReference(cos);
            ref float s = ref MemoryMarshal.GetReference(sin);
            int i = 0;
            for (; i + 8 <= half; i += 8)
            {
                nuint lo = (nuint)i, hi = (nuint)(i + half);
                var x1 = Vector256.LoadUnsafe(ref v, lo);
                var x2 = Vector256.LoadUnsafe(ref v, hi);
                Vector256<float> c1 = Vector256.LoadUnsafe(ref c, lo), s1 = Vector256.LoadUnsafe(ref s, lo);
                Vector256<float> c2 = Vector256.LoadUnsafe(ref c, hi), s2 = Vector256.LoadUnsafe(ref s, hi);
                if (bf16)
                {
                    c1 = RoundBf16(c1); s1 = RoundBf16(s1); c2 = RoundBf16(c2); s2 = RoundBf16(s2);
                    RoundBf16(RoundBf16(x1 * c1) + RoundBf16(-x2 * s1)).StoreUnsafe(ref v, lo);
                    RoundBf16(RoundBf16(x2 * c2) + RoundBf16(x1 * s2)).StoreUnsafe(ref v, hi);
                }
                else
                {
                    (x1 * c1 + -x2 * s1).StoreUnsafe(ref v, lo);
                    (x2 * c2 + x1 * s2).StoreUnsafe(ref v, hi);
                }
            }
            for (; i < half; i++)
            {
                float x1 = Unsafe.Add(ref v, i), x2 = Unsafe.Add(ref v, i + half);
                float c1 = Unsafe.Add(ref c, i), s1 = Unsafe.Add(ref s, i);
                float c2 = Unsafe.Add(ref c, i + half), s2 = Unsafe.Add(ref s, i + half);
                if (bf16)
                {
                    c1 = RoundBf16(c1); s1 = RoundBf16(s1); c2 = RoundBf16(c2); s2 = RoundBf16(s2);
                    Unsafe.Add(ref v, i) = RoundBf16(RoundBf16(x1 * c1) + RoundBf16(-x2 * s1));
                    Unsafe.Add(ref v, i + half) = RoundBf16(RoundBf16(x2 * c2) + RoundBf16(x1 * s2));
                }
                else
                {
                    Unsafe.Add(ref v, i) = x1 * c1 + -x2 * s1;
                    Unsafe.Add(ref v, i + half) = x2 * c2 + x1 * s2;
                }
            }
        }

        /// <summary>Sum of squares (float32 accumulation).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float SumOfSquares(ReadOnlySpan<float> x)
        {
            ref float a = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref a, (nuint)i);
                acc = Fma.MultiplyAdd(v, v, acc);
            }
            float sum = Vector256.Sum(acc);
            for (; i < x.Length; i++)
            {
                float v = Unsafe.Add(ref a, i);
                sum += v * v;
            }
            return sum;
        }

        /// <summary>
        /// scores[t] = scale * (q . keys[t]) for the <c>scores.Length</c> rows of <paramref name="keys"/> (rows of
        /// q.Length float32 values, one after another); returns the largest score.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Scores(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, float scale, Span<float> scores)
        {
            int width = q.Length, length = scores.Length;
            if (keys.Length < length * width)
            {
                throw new ArgumentException("too few keys", nameof(keys));
            }
            ref float qr = ref MemoryMarshal.GetReference(q);
            ref float k = ref MemoryMarshal.GetReference(keys);
            ref float s = ref MemoryMarshal.GetReference(scores);
            float max = float.NegativeInfinity;
            for (int t = 0; t < length; t++)
            {
                float score = DotF32(ref Unsafe.Add(ref k, t * width), ref qr, width) * scale;
                Unsafe.Add(ref s, t) = score;
                max = Math.Max(max, score);
            }
            return max;
        }

        /// <summary>As <see cref="Scores(ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float})"/> for bfloat16 keys.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Scores(ReadOnlySpan<float> q, ReadOnlySpan<ushort> keys, float scale, Span<float> scores)
        {
            int width = q.Length, length = scores.Length;
            if (keys.Length < length * width)
            {
                throw new ArgumentException("too few keys", nameof(keys));
            }
            ref float qr = ref MemoryMarshal.GetReference(q);
            ref ushort k = ref MemoryMarshal.GetReference(keys);
            ref float s = ref MemoryMarshal.GetReference(scores);
            float max = float.NegativeInfinity;
            for (int t = 0; t < length; t++)
            {
                float score = DotBf16Row(ref Unsafe.Add(ref k, t * width), ref qr, width) * scale;
                Unsafe.Add(ref s, t) = score;
                max = Math.Max(max, score);
            }
            return max;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float DotBf16Row(ref ushort k, ref float q, int width)
        {
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= width; i += 8)
            {
                acc = Fma.MultiplyAdd(Widen(ref k, i), Vector256.LoadUnsafe(ref q, (nuint)i), acc);
            }
            float sum = Vector256.Sum(acc);
            for (; i < width; i++)
            {
                sum += Bf16ToSingle(Unsafe.Add(ref k, i)) * Unsafe.Add(ref q, i);
            }
            return sum;
        }

        /// <summary>output = sum_t weights[t] * values[t] over the <c>weights.Length</c> rows of <paramref name="values"/> (float32).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void WeightedSum(ReadOnlySpan<float> weights, ReadOnlySpan<float> values, Span<float> output)
        {
            int width = output.Length, length = weights.Length;
            if (values.Length < length * width)
            {
                throw new ArgumentException("too few values", nameof(values));
            }
            ref float p = ref MemoryMarshal.GetReference(weights);
            ref float v = ref MemoryMarshal.GetReference(values);
            ref float o = ref MemoryMarshal.GetReference(output);
            int i = 0;
            for (; i + 8 <= width; i += 8)
            {
                // Four partial sums over t, so the FMAs do not wait on each other.
                var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero; var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
                int t = 0;
                for (; t + 4 <= length; t += 4)
                {
                    nuint at = (nuint)(t * width + i);
                    a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref v, at), Vector256.Create(Unsafe.Add(ref p, t)), a0);
                    a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref v, at + (nuint)width), Vector256.Create(Unsafe.Add(ref p, t + 1)), a1);
                    a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref v, at + (nuint)(2 * width)), Vector256.Create(Unsafe.Add(ref p, t + 2)), a2);
                    a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref v, at + (nuint)(3 * width)), Vector256.Create(Unsafe.Add(ref p, t + 3)), a3);
                }
                for (; t < length; t++)
                {
                    a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref v, (nuint)(t * width + i)), Vector256.Create(Unsafe.Add(ref p, t)), a0);
                }
                ((a0 + a1) + (a2 + a3)).StoreUnsafe(ref o, (nuint)i);
            }
            for (; i < width; i++)
            {
                float sum = 0;
                for (int t = 0; t < length; t++)
                {
                    sum += Unsafe.Add(ref p, t) * Unsafe.Add(ref v, t * width + i);
                }
                Unsafe.Add(ref o, i) = sum;
            }
        }

        /// <summary>As <see cref="WeightedSum(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> for bfloat16 values.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void WeightedSum(ReadOnlySpan<float> weights, ReadOnlySpan<ushort> values, Span<float> output)
        {
            int width = output.Length, length = weights.Length;
            if (values.Length < length * width)
            {
                throw new ArgumentException("too few values", nameof(values));
            }
            ref float p = ref MemoryMarshal.GetReference(weights);
            ref ushort v = ref MemoryMarshal.GetReference(values);
            ref float o = ref MemoryMarshal.GetReference(output);
            int i = 0;
            for (; i + 8 <= width; i += 8)
            {
                var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero; var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
                int t = 0;
                for (; t + 4 <= length; t += 4)
                {
                    int at = t * width + i;
                    a0 = Fma.MultiplyAdd(Widen(ref v, at), Vector256.Create(Unsafe.Add(ref p, t)), a0);
                    a1 = Fma.MultiplyAdd(Widen(ref v, at + width), Vector256.Create(Unsafe.Add(ref p, t + 1)), a1);
                    a2 = Fma.MultiplyAdd(Widen(ref v, at + 2 * width), Vector256.Create(Unsafe.Add(ref p, t + 2)), a2);
                    a3 = Fma.MultiplyAdd(Widen(ref v, at + 3 * width), Vector256.Create(Unsafe.Add(ref p, t + 3)), a3);
                }
                for (; t < length; t++)
                {
                    a0 = Fma.MultiplyAdd(Widen(ref v, t * width + i), Vector256.Create(Unsafe.Add(ref p, t)), a0);
                }
                ((a0 + a1) + (a2 + a3)).StoreUnsafe(ref o, (nuint)i);
            }
            for (; i < width; i++)
            {
                float sum = 0;
                for (int t = 0; t < length; t++)
                {
                    sum += Unsafe.Add(ref p, t) * Bf16ToSingle(Unsafe.Add(ref v, t * width + i));
                }
                Unsafe.Add(ref o, i) = sum;
            }
        }

        /// <summary>Eight bfloat16 values as float32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Widen(ref ushort source, int index) =>
            Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source, (nuint)index)), 16).AsSingle();

        /// <summary>In place: e[t] = exp(e[t] - max), returning the sum of the e[t].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float ExpShifted(Span<float> e, float max)
        {
            ref float a = ref MemoryMarshal.GetReference(e);
            var m = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= e.Length; i += 8)
            {
                var v = Vector256.Exp(Vector256.LoadUnsafe(ref a, (nuint)i) - m);
                v.StoreUnsafe(ref a, (nuint)i);
                acc += v;
            }
            float sum = Vector256.Sum(acc);
            for (; i < e.Length; i++)
            {
                float v = MathF.Exp(Unsafe.Add(ref a, i) - max);
                Unsafe.Add(ref a, i) = v;
                sum += v;
            }
            return sum;
        }

        /// <summary>x *= s, rounded to bfloat16 when <paramref name="bf16"/>.</summary>
        public static void Scale(Span<float> x, float s, bool bf16)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i] * s;
                x[i] = bf16 ? RoundBf16(v) : v;
            }
        }
    }
}
