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
    /// values a bfloat16 tensor would hold. Callers check sizes; the kernels index without bounds checks.
    /// </summary>
    internal static class CpuKernels
    {
        /// <summary>How far ahead of the rows being multiplied the weights are touched, in bytes.</summary>
        /// <remarks>
        /// A decode step streams every weight once, mostly from DRAM; hardware prefetchers alone reach about half the
        /// bandwidth. Loading one element per cache line this far ahead keeps enough misses in flight (measured on
        /// Zen 4: 12-14 GB/s without, 20-25 GB/s with; 4-8 KB ahead are best).
        /// </remarks>
        private const int TouchAheadBytes = 8192;

        /// <summary>True where the kernels run: x86-64 with AVX2 and FMA.</summary>
        public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

        // ---- float32 weights -------------------------------------------------------------------------------

        /// <summary>
        /// y[b * ldy + o] = sum_i w[o * cols + i] * x[b * ldx + i] for rows o in [rowStart, rowEnd) and b in
        /// [0, batch). <paramref name="w"/> is a row-major (rows, cols) float32 matrix.
        /// </summary>
        public static float MatVecF32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
        {
            ref float w0 = ref MemoryMarshal.GetReference(w);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            nuint last = (nuint)w.Length - 1;
            int vectorCols = cols & ~7;
            float sink = 0;
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

        private static float RowsF32x4(ref float w, nuint last, int cols, int vectorCols, ref float x, ref float y, int o)
        {
            nuint r0 = (nuint)o * (nuint)cols, r1 = r0 + (nuint)cols, r2 = r1 + (nuint)cols, r3 = r2 + (nuint)cols;
            nuint touch = r0 + TouchAheadBytes / sizeof(float);
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            float sink = 0;
            int i = 0;
            for (; i < vectorCols; i += 8)
            {
                // 4 rows x 8 floats = two cache lines per step: touch two lines ahead.
                sink += Unsafe.Add(ref w, Math.Min(touch, last)) + Unsafe.Add(ref w, Math.Min(touch + 16, last));
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
        private static float RowsF32x2Batch4(ref float w, nuint last, int cols, int vectorCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            nuint r0 = (nuint)o * (nuint)cols, r1 = r0 + (nuint)cols;
            int n = Math.Min(4, batch - b0);
            nuint x0 = (nuint)(b0 * ldx), x1 = (nuint)((b0 + Math.Min(1, n - 1)) * ldx), x2 = (nuint)((b0 + Math.Min(2, n - 1)) * ldx), x3 = (nuint)((b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = r0 + TouchAheadBytes / sizeof(float);
            nuint step = touch ? 16u : 0u;
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
            float sink = 0;
            int i = 0;
            for (; i < vectorCols; i += 8)
            {
                // 2 rows x 8 floats = one cache line per step (touched on the first pass over the batch only).
                sink += Unsafe.Add(ref w, Math.Min(ahead, last));
                ahead += step;
                var w0 = Vector256.LoadUnsafe(ref w, r0 + (nuint)i);
                var w1 = Vector256.LoadUnsafe(ref w, r1 + (nuint)i);
                var v = Vector256.LoadUnsafe(ref x, x0 + (nuint)i);
                a00 = Fma.MultiplyAdd(w0, v, a00);
                a10 = Fma.MultiplyAdd(w1, v, a10);
                v = Vector256.LoadUnsafe(ref x, x1 + (nuint)i);
                a01 = Fma.MultiplyAdd(w0, v, a01);
                a11 = Fma.MultiplyAdd(w1, v, a11);
                v = Vector256.LoadUnsafe(ref x, x2 + (nuint)i);
                a02 = Fma.MultiplyAdd(w0, v, a02);
                a12 = Fma.MultiplyAdd(w1, v, a12);
                v = Vector256.LoadUnsafe(ref x, x3 + (nuint)i);
                a03 = Fma.MultiplyAdd(w0, v, a03);
                a13 = Fma.MultiplyAdd(w1, v, a13);
            }
            Span<float> s = stackalloc float[8];
            s[0] = Vector256.Sum(a00); s[1] = Vector256.Sum(a01); s[2] = Vector256.Sum(a02); s[3] = Vector256.Sum(a03);
            s[4] = Vector256.Sum(a10); s[5] = Vector256.Sum(a11); s[6] = Vector256.Sum(a12); s[7] = Vector256.Sum(a13);
            for (int j = 0; j < n; j++)
            {
                nuint xr = (nuint)((b0 + j) * ldx);
                float t0 = s[j], t1 = s[4 + j];
                for (int k = i; k < cols; k++)
                {
                    float xk = Unsafe.Add(ref x, xr + (nuint)k);
                    t0 += Unsafe.Add(ref w, r0 + (nuint)k) * xk;
                    t1 += Unsafe.Add(ref w, r1 + (nuint)k) * xk;
                }
                Unsafe.Add(ref y, (b0 + j) * ldy + o) = t0;
                Unsafe.Add(ref y, (b0 + j) * ldy + o + 1) = t1;
            }
            return sink;
        }

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
        public static void SplitEvenOdd(ReadOnlySpan<float> x, int cols, int batch, int ldx, Span<float> split)
        {
            int blocks = cols & ~15;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> row = x.Slice(b * ldx, cols);
                Span<float> to = split.Slice(b * ldx, cols);
                for (int c = 0; c < blocks; c += 16)
                {
                    for (int k = 0; k < 8; k++)
                    {
                        to[c + k] = row[c + 2 * k];
                        to[c + 8 + k] = row[c + 2 * k + 1];
                    }
                }
                row.Slice(blocks).CopyTo(to.Slice(blocks));
            }
        }

        /// <summary>
        /// As <see cref="MatVecF32"/> for a row-major (rows, cols) bfloat16 matrix; <paramref name="split"/> holds the
        /// inputs as <see cref="SplitEvenOdd"/> lays them out.
        /// </summary>
        public static float MatVecBf16(ReadOnlySpan<ushort> w, int cols, ReadOnlySpan<float> split, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
        {
            ref ushort w0 = ref MemoryMarshal.GetReference(w);
            ref float x0 = ref MemoryMarshal.GetReference(split);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            nuint last = (nuint)w.Length - 1;
            int blockCols = cols & ~15;
            float sink = 0;
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

        private static float RowsBf16x4(ref ushort w, nuint last, int cols, int blockCols, ref float x, ref float y, int o)
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

        private static float RowsBf16x2Batch4(ref ushort w, nuint last, int cols, int blockCols, ref float x, int ldx, int batch, int b0, ref float y, int ldy, int o, bool touch)
        {
            nuint r0 = (nuint)o * (nuint)cols, r1 = r0 + (nuint)cols;
            int n = Math.Min(4, batch - b0);
            nuint x0 = (nuint)(b0 * ldx), x1 = (nuint)((b0 + Math.Min(1, n - 1)) * ldx), x2 = (nuint)((b0 + Math.Min(2, n - 1)) * ldx), x3 = (nuint)((b0 + Math.Min(3, n - 1)) * ldx);
            nuint ahead = r0 + TouchAheadBytes / sizeof(ushort);
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
                var p0 = LoadPairs(ref w, r0 + (nuint)i);
                var p1 = LoadPairs(ref w, r1 + (nuint)i);
                var w0e = Even(p0); var w0o = Odd(p0);
                var w1e = Even(p1); var w1o = Odd(p1);
                var xe = Vector256.LoadUnsafe(ref x, x0 + (nuint)i);
                var xo = Vector256.LoadUnsafe(ref x, x0 + (nuint)i + 8);
                a00 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a00));
                a10 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a10));
                xe = Vector256.LoadUnsafe(ref x, x1 + (nuint)i);
                xo = Vector256.LoadUnsafe(ref x, x1 + (nuint)i + 8);
                a01 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a01));
                a11 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a11));
                xe = Vector256.LoadUnsafe(ref x, x2 + (nuint)i);
                xo = Vector256.LoadUnsafe(ref x, x2 + (nuint)i + 8);
                a02 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a02));
                a12 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a12));
                xe = Vector256.LoadUnsafe(ref x, x3 + (nuint)i);
                xo = Vector256.LoadUnsafe(ref x, x3 + (nuint)i + 8);
                a03 = Fma.MultiplyAdd(w0o, xo, Fma.MultiplyAdd(w0e, xe, a03));
                a13 = Fma.MultiplyAdd(w1o, xo, Fma.MultiplyAdd(w1e, xe, a13));
            }
            Span<float> s = stackalloc float[8];
            s[0] = Vector256.Sum(a00); s[1] = Vector256.Sum(a01); s[2] = Vector256.Sum(a02); s[3] = Vector256.Sum(a03);
            s[4] = Vector256.Sum(a10); s[5] = Vector256.Sum(a11); s[6] = Vector256.Sum(a12); s[7] = Vector256.Sum(a13);
            for (int j = 0; j < n; j++)
            {
                nuint xr = (nuint)((b0 + j) * ldx);
                float t0 = s[j], t1 = s[4 + j];
                for (int k = i; k < cols; k++)
                {
                    float xk = Unsafe.Add(ref x, xr + (nuint)k);
                    t0 += Bf16ToSingle(Unsafe.Add(ref w, r0 + (nuint)k)) * xk;
                    t1 += Bf16ToSingle(Unsafe.Add(ref w, r1 + (nuint)k)) * xk;
                }
                Unsafe.Add(ref y, (b0 + j) * ldy + o) = t0;
                Unsafe.Add(ref y, (b0 + j) * ldy + o + 1) = t1;
            }
            return sink;
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
        public static void AddInPlace(Span<float> x, ReadOnlySpan<float> y, bool bf16)
        {
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
        public static void SiluMul(Span<float> gate, ReadOnlySpan<float> up, bool bf16)
        {
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

        /// <summary>Sum of squares (float32 accumulation).</summary>
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

        /// <summary>Dot product of float32 <paramref name="q"/> with a float32 or bfloat16 row (float32 accumulation).</summary>
        public static float Dot(ReadOnlySpan<float> q, ReadOnlySpan<float> k)
        {
            return DotF32(ref MemoryMarshal.GetReference(k), ref MemoryMarshal.GetReference(q), q.Length);
        }

        /// <summary>Dot product of float32 <paramref name="q"/> with a bfloat16 row.</summary>
        public static float Dot(ReadOnlySpan<float> q, ReadOnlySpan<ushort> k)
        {
            ref float a = ref MemoryMarshal.GetReference(q);
            ref ushort b = ref MemoryMarshal.GetReference(k);
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= q.Length; i += 8)
            {
                acc = Fma.MultiplyAdd(Widen(ref b, i), Vector256.LoadUnsafe(ref a, (nuint)i), acc);
            }
            float sum = Vector256.Sum(acc);
            for (; i < q.Length; i++)
            {
                sum += Bf16ToSingle(Unsafe.Add(ref b, i)) * Unsafe.Add(ref a, i);
            }
            return sum;
        }

        /// <summary>acc += p * v for a float32 row.</summary>
        public static void AddScaled(Span<float> acc, float p, ReadOnlySpan<float> v)
        {
            ref float a = ref MemoryMarshal.GetReference(acc);
            ref float b = ref MemoryMarshal.GetReference(v);
            var pv = Vector256.Create(p);
            int i = 0;
            for (; i + 8 <= acc.Length; i += 8)
            {
                Fma.MultiplyAdd(Vector256.LoadUnsafe(ref b, (nuint)i), pv, Vector256.LoadUnsafe(ref a, (nuint)i)).StoreUnsafe(ref a, (nuint)i);
            }
            for (; i < acc.Length; i++)
            {
                Unsafe.Add(ref a, i) += p * Unsafe.Add(ref b, i);
            }
        }

        /// <summary>acc += p * v for a bfloat16 row.</summary>
        public static void AddScaled(Span<float> acc, float p, ReadOnlySpan<ushort> v)
        {
            ref float a = ref MemoryMarshal.GetReference(acc);
            ref ushort b = ref MemoryMarshal.GetReference(v);
            var pv = Vector256.Create(p);
            int i = 0;
            for (; i + 8 <= acc.Length; i += 8)
            {
                Fma.MultiplyAdd(Widen(ref b, i), pv, Vector256.LoadUnsafe(ref a, (nuint)i)).StoreUnsafe(ref a, (nuint)i);
            }
            for (; i < acc.Length; i++)
            {
                Unsafe.Add(ref a, i) += p * Bf16ToSingle(Unsafe.Add(ref b, i));
            }
        }

        /// <summary>Eight bfloat16 values as float32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Widen(ref ushort source, int index) =>
            Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source, (nuint)index)), 16).AsSingle();

        /// <summary>In place: e[t] = exp(e[t] - max), returning the sum of the e[t].</summary>
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
