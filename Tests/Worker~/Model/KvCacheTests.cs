using System;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    [TestFixture]
    public sealed class KvCacheTests
    {
        private static LlamaConfig Grouped => TestModels.Micro;                                // 4 query heads share 2 key/value heads
        private static LlamaConfig Ungrouped => TestModels.Micro with { NumKeyValueHeads = 4 }; // one key/value head per query head

        private static LlamaConfig ConfigNamed(string name) => name == "grouped" ? Grouped : Ungrouped;

        [TestCase("grouped")]
        [TestCase("ungrouped")]
        public void DecodingTokenByToken_WithTheCache_GivesTheLogitsOfAFullRecompute(string attention)
        {
            using var model = TestModels.Sharp(ConfigNamed(attention));
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
            using DisposeScope scope = torch.NewDisposeScope();
            using var inference = torch.inference_mode();
            Tensor ids = TestModels.Tokens(12, 64, seed: 11);   // (1, 12)
            Tensor full = model.FullForward(ids);                 // (1, 12, V)

            Tensor prefill = model.Forward(ids.narrow(1, 0, 5), cache);
            Assert.That(TestModels.MaxDifference(prefill, full.narrow(1, 0, 5)), Is.LessThan(1e-4));
            for (int t = 5; t < 12; t++)
            {
                Tensor step = model.Forward(ids.narrow(1, t, 1), cache, lastOnly: true); // (1, V)
                Assert.That(step.shape, Is.EqualTo(new long[] { 1, 64 }));
                Assert.That(TestModels.MaxDifference(step, full.select(1, t)), Is.LessThan(1e-4), $"position {t}");
            }
            Assert.That(cache.GetLength(0), Is.EqualTo(12));
        }

        [Test]
        public void PrefillWithLastOnly_ReturnsTheLastPositionsLogits()
        {
            using var model = TestModels.Sharp(Grouped);
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(9, 64, seed: 12);

            Tensor last = model.Forward(ids, cache, lastOnly: true);
            Tensor uncached = model.Forward(ids, lastOnly: true);

            Assert.That(last.shape, Is.EqualTo(new long[] { 1, 64 }));
            Assert.That(TestModels.MaxDifference(last, model.FullForward(ids).select(1, 8)), Is.LessThan(1e-4));
            Assert.That(TestModels.MaxDifference(uncached, last), Is.LessThan(1e-4));
        }

        [TestCase("grouped")]
        [TestCase("ungrouped")]
        public void BatchedDecode_OfRowsWithDifferentLengths_GivesTheLogitsOfEachRowAlone(string attention)
        {
            using var model = TestModels.Sharp(ConfigNamed(attention));
            using DisposeScope scope = torch.NewDisposeScope();
            using var inference = torch.inference_mode();
            int[] prompts = { 5, 9, 2 };
            long[] slots = { 2, 0, 3 };      // not in order, and slot 1 stays empty
            const int steps = 4;
            Tensor[] rows = new Tensor[prompts.Length];
            for (int r = 0; r < rows.Length; r++)
            {
                rows[r] = TestModels.Tokens(prompts[r] + steps, 64, seed: 100 + r); // (1, prompt + steps)
            }

            using var shared = KvCache.For(model, maxBatch: 4, maxSequence: 32);
            for (int r = 0; r < rows.Length; r++)
            {
                model.Forward(rows[r].narrow(1, 0, prompts[r]), shared, new[] { slots[r] });
            }
            for (int s = 0; s < steps; s++)
            {
                Tensor next = torch.cat(new[]
                {
                    rows[0].narrow(1, prompts[0] + s, 1), rows[1].narrow(1, prompts[1] + s, 1), rows[2].narrow(1, prompts[2] + s, 1),
                }, 0);                                                           // (3, 1)
                Tensor batched = model.Forward(next, shared, slots, lastOnly: true); // (3, V)

                for (int r = 0; r < rows.Length; r++)
                {
                    Tensor alone = model.FullForward(rows[r].narrow(1, 0, prompts[r] + s + 1)).select(1, prompts[r] + s); // (1, V)
                    Assert.That(TestModels.MaxDifference(batched.narrow(0, r, 1), alone), Is.LessThan(1e-4), $"row {r}, step {s}");
                }
            }
            Assert.That(shared.GetLength(2), Is.EqualTo(9));
            Assert.That(shared.GetLength(0), Is.EqualTo(13));
            Assert.That(shared.GetLength(3), Is.EqualTo(6));
            Assert.That(shared.GetLength(1), Is.EqualTo(0));
        }

        [Test]
        public void BatchedDecode_InConsecutiveSlots_GivesTheLogitsOfEachRowAlone()
        {
            using var model = TestModels.Sharp(Grouped);
            using DisposeScope scope = torch.NewDisposeScope();
            using var batchedCache = KvCache.For(model, maxBatch: 2, maxSequence: 32);
            using var aloneCache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
            Tensor a = TestModels.Tokens(7, 64, seed: 21);
            Tensor b = TestModels.Tokens(3, 64, seed: 22);
            model.Forward(a.narrow(1, 0, 6), batchedCache, new long[] { 0 });
            model.Forward(b.narrow(1, 0, 2), batchedCache, new long[] { 1 });

            Tensor both = model.Forward(torch.cat(new[] { a.narrow(1, 6, 1), b.narrow(1, 2, 1) }, 0), batchedCache, lastOnly: true);
            model.Forward(b.narrow(1, 0, 2), aloneCache);
            Tensor bAlone = model.Forward(b.narrow(1, 2, 1), aloneCache, lastOnly: true);

            Assert.That(TestModels.MaxDifference(both.narrow(0, 1, 1), bAlone), Is.LessThan(1e-4));
            Assert.That(TestModels.MaxDifference(both.narrow(0, 0, 1), model.FullForward(a).select(1, 6)), Is.LessThan(1e-4));
        }

        [Test]
        public void PrefillOfSeveralRowsAtOnce_GivesTheLogitsOfEachRowAlone()
        {
            using var model = TestModels.Sharp(Grouped);
            using var cache = KvCache.For(model, maxBatch: 3, maxSequence: 32);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(6, 64, seed: 31, batch: 3); // (3, 6)

            Tensor logits = model.Forward(ids, cache, new long[] { 2, 1, 0 });

            Assert.That(TestModels.MaxDifference(logits, model.FullForward(ids)), Is.LessThan(1e-4));
            Assert.That(cache.GetLength(0), Is.EqualTo(6));
        }

        [Test]
        public void TruncatingASlot_RollsItBack_SoDecodingAgainGivesTheSameLogits()
        {
            using var model = TestModels.Sharp(Grouped);
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(8, 64, seed: 41);
            model.Forward(ids.narrow(1, 0, 6), cache);
            Tensor first = model.Forward(ids.narrow(1, 6, 2), cache);
            model.Forward(TestModels.Tokens(3, 64, seed: 42), cache); // a detour to throw away

            cache.Truncate(0, 6);
            Tensor again = model.Forward(ids.narrow(1, 6, 2), cache);

            Assert.That(TestModels.MaxDifference(first, again), Is.EqualTo(0));
            Assert.That(cache.GetLength(0), Is.EqualTo(8));
        }

        [Test]
        public void ClearingASlot_StartsANewSequenceThere()
        {
            using var model = TestModels.Sharp(Grouped);
            using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 32);
            using DisposeScope scope = torch.NewDisposeScope();
            model.Forward(TestModels.Tokens(10, 64, seed: 51), cache);
            Tensor ids = TestModels.Tokens(4, 64, seed: 52);

            cache.Clear(0);
            Tensor logits = model.Forward(ids, cache);

            Assert.That(TestModels.MaxDifference(logits, model.FullForward(ids)), Is.LessThan(1e-4));
        }

        [Test]
        public void StartingPastASlotsLength_OrRunningPastTheCache_IsRefused()
        {
            using var model = TestModels.Sharp(Grouped);
            using var cache = KvCache.For(model, maxBatch: 2, maxSequence: 8);
            using DisposeScope scope = torch.NewDisposeScope();
            model.Forward(TestModels.Tokens(3, 64, seed: 61), cache, new long[] { 0 });

            Assert.That(() => model.Forward(TestModels.Tokens(1, 64, seed: 62), cache, new long[] { 0 }, new long[] { 5 }),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("slot 0 holds 3 tokens"));
            Assert.That(() => model.Forward(TestModels.Tokens(6, 64, seed: 63), cache, new long[] { 0 }),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("do not fit"));
            Assert.That(() => model.Forward(TestModels.Tokens(1, 64, seed: 64, batch: 2), cache, new long[] { 1, 1 }),
                Throws.ArgumentException.With.Message.Contains("twice"));
            Assert.That(cache.GetLength(0), Is.EqualTo(3), "a refused pass changes nothing");
        }

        [Test]
        public void ACacheMadeInInferenceMode_CanBeUsedOutsideIt()
        {
            using var model = TestModels.Sharp(Grouped);
            KvCache cache;
            using (torch.inference_mode())
            {
                cache = KvCache.For(model, maxBatch: 1, maxSequence: 8);
            }
            using DisposeScope scope = torch.NewDisposeScope();

            Assert.That(() => model.Forward(TestModels.Tokens(3, 64, seed: 71), cache), Throws.Nothing);
            cache.Dispose();
        }

        [Test]
        public void TheCache_HasOneKeyAndOneValueTensorPerLayer_OfTheDocumentedShape()
        {
            using var cache = new KvCache(LlamaConfig.Small, maxBatch: 4, maxSequence: 256, ScalarType.BFloat16, torch.CPU);

            // (maxBatch, n_kv_heads, maxSeq, head_dim) x 2 x layers, 2 bytes each
            Assert.That(cache.SizeInBytes, Is.EqualTo(4L * 2 * 256 * 56 * 2 * 6 * 2));
            Assert.That(cache.Layers, Is.EqualTo(6));
        }
    }
}
