using System;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    /// <summary>
    /// The CPU decode path (managed SIMD kernels) against libtorch: the kernels against plain loops, and decode steps
    /// through <see cref="CpuDecoder"/> against the same steps through the tensor code.
    /// </summary>
    [TestFixture]
    [NonParallelizable] // switches CpuDecoder.Enabled
    public sealed class CpuDecoderTests
    {
        // Odd sizes everywhere: every kernel's vector loop and its tail run; head_dim 10 is not a multiple of 8.
        private static readonly LlamaConfig Odd = new LlamaConfig
        {
            VocabSize = 67,
            HiddenSize = 40,
            IntermediateSize = 44,
            NumHiddenLayers = 2,
            NumAttentionHeads = 6,
            NumKeyValueHeads = 2,
            HeadDimension = 10,
            MaxPositionEmbeddings = 64,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = true,
        };

        [SetUp]
        public void RequireTheKernels()
        {
            if (!CpuDecoder.IsSupported)
            {
                Assert.Ignore("this CPU has no AVX2/FMA: the tensor code decodes");
            }
        }

        [TearDown]
        public void Restore() => CpuDecoder.Enabled = true;

        [TestCase(1, 7, 5)]
        [TestCase(1, 64, 336)]
        [TestCase(1, 13, 344)]
        [TestCase(2, 9, 40)]
        [TestCase(3, 6, 17)]
        [TestCase(5, 33, 48)]
        [TestCase(8, 12, 336)]
        public void MatVec_OfFloat32AndBFloat16Weights_MatchesAPlainLoop(int batch, int rows, int cols)
        {
            var random = new Random(rows * 1000 + cols * 10 + batch);
            float[] w = Enumerable.Range(0, rows * cols).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] x = Enumerable.Range(0, batch * cols).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            ushort[] wBf16 = w.Select(CpuKernels.ToBf16Bits).ToArray();
            var expected = new double[batch * rows];
            var expectedBf16 = new double[batch * rows];
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < rows; o++)
                {
                    for (int i = 0; i < cols; i++)
                    {
                        expected[b * rows + o] += (double)w[o * cols + i] * x[b * cols + i];
                        expectedBf16[b * rows + o] += (double)CpuKernels.FromBf16Bits(wBf16[o * cols + i]) * x[b * cols + i];
                    }
                }
            }

            var y = new float[batch * rows];
            CpuKernels.MatVecF32(w, cols, x, cols, batch, y, rows, 0, rows);
            var split = new float[batch * cols];
            CpuKernels.SplitEvenOdd(x, cols, batch, cols, split);
            var yBf16 = new float[batch * rows];
            CpuKernels.MatVecBf16(wBf16, cols, split, cols, batch, yBf16, rows, 0, rows);

            for (int k = 0; k < y.Length; k++)
            {
                Assert.That(y[k], Is.EqualTo(expected[k]).Within(1e-4), $"float32, output {k}");
                Assert.That(yBf16[k], Is.EqualTo(expectedBf16[k]).Within(1e-4), $"bfloat16, output {k}");
            }
        }

        [Test]
        public void RoundBf16_RoundsToNearestEven_AsATensorConversionDoes()
        {
            var random = new Random(5);
            float[] values = Enumerable.Range(0, 1000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 8)))).ToArray();
            values[0] = 1f + 1f / 256;       // a tie: rounds to even (1.0)
            values[1] = 1f + 3f / 256;       // a tie: rounds to even (1 + 4/256)
            values[2] = float.PositiveInfinity;
            values[3] = -0f;
            using DisposeScope scope = torch.NewDisposeScope();
            float[] viaTorch = torch.tensor(values).to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray();

            var rounded = (float[])values.Clone();
            CpuKernels.RoundBf16(rounded);

            Assert.That(rounded, Is.EqualTo(viaTorch));
            Assert.That(values.Select(CpuKernels.RoundBf16), Is.EqualTo(viaTorch));
        }

        [TestCase(ScalarType.Float32, 1e-4)]
        [TestCase(ScalarType.BFloat16, 0.1)]
        public void DecodeSteps_MatchTheTensorCode(ScalarType dtype, double tolerance)
        {
            foreach (LlamaConfig config in new[] { TestModels.Micro, Odd, TestModels.Micro with { NumKeyValueHeads = 4 } })
            {
                using var model = TestModels.Sharp(config, dtype: dtype);
                using DisposeScope scope = torch.NewDisposeScope();
                using var inference = torch.inference_mode();
                Tensor ids = TestModels.Tokens(12, config.VocabSize, seed: 3); // (1, 12)

                Tensor[] fast = Decode(model, ids, enabled: true);
                Tensor[] reference = Decode(model, ids, enabled: false);

                for (int t = 0; t < fast.Length; t++)
                {
                    Assert.That(TestModels.MaxDifference(fast[t], reference[t]), Is.LessThan(tolerance), $"{config.HiddenSize}/{config.KeyValueHeads}: step {t}");
                }
            }
        }

        [TestCase(ScalarType.Float32, 1e-4)]
        [TestCase(ScalarType.BFloat16, 0.1)]
        public void BatchedDecodeSteps_OfRowsAtDifferentPositionsInScatteredSlots_MatchTheTensorCode(ScalarType dtype, double tolerance)
        {
            using var model = TestModels.Sharp(Odd, dtype: dtype);
            using DisposeScope scope = torch.NewDisposeScope();
            using var inference = torch.inference_mode();
            foreach (int rows in new[] { 2, 3, 5, 9 })
            {
                long[] slots = Enumerable.Range(0, rows).Select(r => (long)((r * 7 + 3) % 11)).ToArray();
                Tensor[][] results = new Tensor[2][];
                foreach (bool enabled in new[] { true, false })
                {
                    CpuDecoder.Enabled = enabled;
                    using var cache = KvCache.For(model, maxBatch: 11, maxSequence: 40);
                    for (int r = 0; r < rows; r++)
                    {
                        model.Forward(TestModels.Tokens(2 + r, Odd.VocabSize, seed: 10 + r), cache, new[] { slots[r] });
                    }
                    var steps = new Tensor[4];
                    for (int s = 0; s < steps.Length; s++)
                    {
                        steps[s] = model.Forward(TestModels.Tokens(1, Odd.VocabSize, seed: 50 + s, batch: rows), cache, slots, lastOnly: true); // (B, V)
                    }
                    for (int r = 0; r < rows; r++)
                    {
                        Assert.That(cache.GetLength((int)slots[r]), Is.EqualTo(2 + r + steps.Length));
                    }
                    results[enabled ? 0 : 1] = steps;
                }
                CpuDecoder.Enabled = true;

                for (int s = 0; s < results[0].Length; s++)
                {
                    Assert.That(results[0][s].shape, Is.EqualTo(new long[] { rows, Odd.VocabSize }));
                    Assert.That(TestModels.MaxDifference(results[0][s], results[1][s]), Is.LessThan(tolerance), $"{rows} rows, step {s}");
                }
            }
        }

        [Test]
        public void ADecodeStep_WithoutLastOnly_ReturnsOnePositionPerRow()
        {
            using var model = TestModels.Sharp(TestModels.Micro);
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 8);
            using DisposeScope scope = torch.NewDisposeScope();

            Tensor logits = model.Forward(TestModels.Tokens(1, 64, seed: 1), cache);

            Assert.That(logits.shape, Is.EqualTo(new long[] { 1, 1, 64 }));
        }

        [Test]
        public void ATokenOutsideTheVocabulary_IsRefused_AndTheCacheIsUnchanged()
        {
            using var model = TestModels.Sharp(TestModels.Micro);
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 8);
            using DisposeScope scope = torch.NewDisposeScope();
            model.Forward(TestModels.Tokens(3, 64, seed: 1), cache);

            Assert.That(() => model.Forward(torch.tensor(new long[] { 64 }, new long[] { 1, 1 }), cache), Throws.InstanceOf<ArgumentException>());
            Assert.That(cache.GetLength(0), Is.EqualTo(3));
        }

        [Test]
        public void Int32Ids_DecodeAsInt64Ids()
        {
            using var model = TestModels.Sharp(TestModels.Micro);
            using DisposeScope scope = torch.NewDisposeScope();
            using var a = KvCache.For(model, maxBatch: 1, maxSequence: 8);
            using var b = KvCache.For(model, maxBatch: 1, maxSequence: 8);

            Tensor wide = model.Forward(torch.tensor(new long[] { 9 }, new long[] { 1, 1 }), a, lastOnly: true);
            Tensor narrow = model.Forward(torch.tensor(new int[] { 9 }, new long[] { 1, 1 }), b, lastOnly: true);

            Assert.That(TestModels.MaxDifference(wide, narrow), Is.EqualTo(0));
        }

        [Test]
        public void DecodeSteps_OnOneThreadAndOnSeveral_GiveIdenticalLogits()
        {
            // Chunks are whole row blocks, so every output is computed by the same code in the same order.
            int before = torch.get_num_threads();
            long parallelBytes = CpuDecoder.ParallelBytes;
            CpuDecoder.ParallelBytes = 0; // split every region, however small
            try
            {
                using var model = TestModels.Sharp(Odd);
                using DisposeScope scope = torch.NewDisposeScope();
                var logits = new Tensor[2];
                foreach (int threads in new[] { 1, 2 })
                {
                    torch.set_num_threads(threads);
                    using var cache = KvCache.For(model, maxBatch: 3, maxSequence: 16);
                    model.Forward(TestModels.Tokens(4, Odd.VocabSize, seed: 8, batch: 3), cache);
                    logits[threads - 1] = model.Forward(TestModels.Tokens(1, Odd.VocabSize, seed: 9, batch: 3), cache, lastOnly: true);
                }

                Assert.That(TestModels.MaxDifference(logits[0], logits[1]), Is.EqualTo(0));
            }
            finally
            {
                torch.set_num_threads(before);
                CpuDecoder.ParallelBytes = parallelBytes;
            }
        }

        [Test]
        public void Workers_RunEveryChunkOnce_AndPassOnAFailure()
        {
            using var workers = new CpuWorkers(3);
            for (int round = 0; round < 200; round++)
            {
                var job = new CountingJob(37 + round % 5);
                workers.Run(job, job.Counts.Length);
                Assert.That(job.Counts, Is.All.EqualTo(1), $"round {round}");
            }

            var failing = new CountingJob(20, failAt: 13);
            Assert.That(() => workers.Run(failing, failing.Counts.Length), Throws.InvalidOperationException.With.Message.Contains("chunk 13"));
            Assert.That(failing.Counts, Is.All.EqualTo(1), "every chunk still ran");
        }

        private sealed class CountingJob : IChunkJob
        {
            private readonly int _failAt;

            public CountingJob(int chunks, int failAt = -1)
            {
                Counts = new int[chunks];
                _failAt = failAt;
            }

            public int[] Counts { get; }

            public void Run(int chunk, int worker)
            {
                System.Threading.Interlocked.Increment(ref Counts[chunk]);
                System.Threading.Thread.SpinWait(200);
                if (chunk == _failAt)
                {
                    throw new InvalidOperationException($"chunk {chunk} failed");
                }
            }
        }

        // Prefill 5 tokens, then decode the rest one at a time; the logits of each decode step.
        private static Tensor[] Decode(LlamaModel model, Tensor ids, bool enabled)
        {
            CpuDecoder.Enabled = enabled;
            try
            {
                using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
                model.Forward(ids.narrow(1, 0, 5), cache);
                var steps = new Tensor[ids.shape[1] - 5];
                for (int t = 0; t < steps.Length; t++)
                {
                    steps[t] = model.Forward(ids.narrow(1, 5 + t, 1), cache, lastOnly: true);
                }
                return steps;
            }
            finally
            {
                CpuDecoder.Enabled = true;
            }
        }
    }
}
