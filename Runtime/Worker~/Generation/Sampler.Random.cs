using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace SteerLM.Npc.Worker.Generation
{
    // The sampler's arithmetic that must come out the same on every platform: its random numbers and its exp.
    public sealed partial class Sampler
    {
        private static ulong PickSeed()
        {
            Span<byte> bytes = stackalloc byte[8];
            RandomNumberGenerator.Fill(bytes);
            return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }

        /// <summary>
        /// e^x (the sampler passes x &lt;= 0) in plain double arithmetic (Cody-Waite reduction, a degree-9 Taylor polynomial, an exact
        /// power-of-two scale), so it rounds the same everywhere, unlike <see cref="Math.Exp"/>, which calls the C
        /// library. Relative error below 1e-11. NaN gives 0 (a weight that cannot be drawn).
        /// </summary>
        internal static double DeterministicExp(double x)
        {
            if (!(x > -700.0))
            {
                return 0.0; // also NaN and -infinity; weights this small do not matter next to the maximum's 1
            }

            if (x == 0.0)
            {
                return 1.0; // the maximum itself; the exact value keeps the common case cheap
            }

            if (x > 700.0)
            {
                return double.PositiveInfinity; // never reached by the sampler, which only passes score - max <= 0
            }

            const double Ln2Hi = 6.93147180369123816490e-01; // ln 2 split so that k * Ln2Hi is exact
            const double Ln2Lo = 1.90821492927058770002e-10;
            const double InvLn2 = 1.44269504088896338700e+00;

            double k = Math.Round(x * InvLn2, MidpointRounding.ToEven);
            double r = (x - (k * Ln2Hi)) - (k * Ln2Lo); // |r| <= ln2 / 2

            // e^r by its Taylor series to r^9 (relative error below 1e-11 for |r| <= ln2/2), in Estrin's scheme so
            // the multiplications run side by side rather than in one long chain.
            double r2 = r * r;
            double r4 = r2 * r2;
            double r8 = r4 * r4;
            double p01 = 1.0 + r;
            double p23 = (1.0 / 2.0) + (r * (1.0 / 6.0));
            double p45 = (1.0 / 24.0) + (r * (1.0 / 120.0));
            double p67 = (1.0 / 720.0) + (r * (1.0 / 5040.0));
            double p89 = (1.0 / 40320.0) + (r * (1.0 / 362880.0));
            double p03 = p01 + (r2 * p23);
            double p47 = p45 + (r2 * p67);
            double p = p03 + (r4 * p47) + (r8 * p89);

            long exponent = (long)k + 1023; // |k| <= 1010 here, so 2^k is a normal double
            return p * BitConverter.Int64BitsToDouble(exponent << 52);
        }

        /// <summary>xoshiro256** (Blackman and Vigna, 2018), seeded by SplitMix64 as its authors recommend.</summary>
        internal struct Xoshiro256StarStar
        {
            private ulong _s0;
            private ulong _s1;
            private ulong _s2;
            private ulong _s3;

            public Xoshiro256StarStar(ulong seed)
            {
                ulong state = seed;
                _s0 = SplitMix64(ref state);
                _s1 = SplitMix64(ref state);
                _s2 = SplitMix64(ref state);
                _s3 = SplitMix64(ref state);
            }

            public ulong NextUInt64()
            {
                ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
                ulong t = _s1 << 17;
                _s2 ^= _s0;
                _s3 ^= _s1;
                _s1 ^= _s2;
                _s0 ^= _s3;
                _s2 ^= t;
                _s3 = BitOperations.RotateLeft(_s3, 45);
                return result;
            }

            /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
            public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

            private static ulong SplitMix64(ref ulong state)
            {
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }
        }
    }
}
