using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Tests.Sampling
{
    [TestFixture]
    public class SamplerTests
    {
        private static readonly SamplingSettings PlainSampling =
            new SamplingSettings(temperature: 1f, topK: 0, topP: 1f, repetitionPenalty: 1f, seed: 42);

        [Test]
        public void Greedy_PicksTheHighestLogit()
        {
            var sampler = new Sampler(5, SamplingSettings.Greedy);

            Assert.That(sampler.Sample(new[] { 0.1f, -3f, 7.5f, 7.4f, 2f }), Is.EqualTo(2));
        }

        [Test]
        public void Greedy_OnATie_PicksTheLowestId()
        {
            var sampler = new Sampler(4, SamplingSettings.Greedy);

            Assert.That(sampler.Sample(new[] { 1f, 3f, 3f, float.NaN }), Is.EqualTo(1));
        }

        [Test]
        public void TheSameSeed_GivesTheSameTokens()
        {
            float[] logits = RandomLogits(1000, seed: 7);
            var settings = SamplingSettings.Default.WithSeed(12345);

            int[] first = Draw(new Sampler(1000, settings), logits, 200);
            int[] second = Draw(new Sampler(1000, settings), logits, 200);

            Assert.That(second, Is.EqualTo(first));
        }

        [Test]
        public void DifferentSeeds_GiveDifferentTokens()
        {
            float[] logits = RandomLogits(1000, seed: 7);

            int[] first = Draw(new Sampler(1000, PlainSampling.WithSeed(1)), logits, 50);
            int[] second = Draw(new Sampler(1000, PlainSampling.WithSeed(2)), logits, 50);

            Assert.That(second, Is.Not.EqualTo(first));
        }

        // Drawn by an independent Python model of the sampler (xoshiro256** + SplitMix64, softmax, cumulative search).
        private static readonly int[] RecordedTokensForSeed2026 = { 13, 11, 15, 15, 15, 15, 15, 15, 15, 10, 15, 11, 15, 14, 13, 14 };

        [Test]
        public void ASeed_GivesTheTokensRecordedForIt_OnEveryPlatform()
        {
            // The sampler uses only its own RNG and exp, so any platform and runtime must draw exactly these.
            float[] logits = Enumerable.Range(0, 16).Select(i => i * 0.25f).ToArray();
            var sampler = new Sampler(16, PlainSampling.WithSeed(2026));

            Assert.That(Draw(sampler, logits, 16), Is.EqualTo(RecordedTokensForSeed2026));
        }

        [Test]
        public void TheRandomNumbers_AreXoshiro256StarStarSeededBySplitMix64()
        {
            // Reference values from an independent implementation of the published algorithms.
            var seed0 = new Sampler.Xoshiro256StarStar(0);
            var seed42 = new Sampler.Xoshiro256StarStar(42);

            Assert.That(new[] { seed0.NextUInt64(), seed0.NextUInt64(), seed0.NextUInt64() }, Is.EqualTo(new[] { 0x99ec5f36cb75f2b4UL, 0xbf6e1f784956452aUL, 0x1a5f849d4933e6e0UL }));
            Assert.That(new[] { seed42.NextUInt64(), seed42.NextUInt64() }, Is.EqualTo(new[] { 0x15780b2e0c2ec716UL, 0x6104d9866d113a7eUL }));
        }

        [Test]
        public void Reset_StartsTheSameTokensAgain()
        {
            float[] logits = RandomLogits(100, seed: 3);
            var sampler = new Sampler(100, PlainSampling);

            int[] first = Draw(sampler, logits, 30);
            sampler.Reset();

            Assert.That(Draw(sampler, logits, 30), Is.EqualTo(first));
        }

        [Test]
        public void WithoutASeed_EachSamplerPicksOneAndReportsIt()
        {
            var settings = PlainSampling.WithSeed(null);

            var first = new Sampler(10, settings);
            var second = new Sampler(10, settings);

            Assert.That(first.Seed, Is.Not.EqualTo(second.Seed));
            Assert.That(Draw(new Sampler(10, settings.WithSeed(first.Seed)), RandomLogits(10, 1), 20), Is.EqualTo(Draw(first, RandomLogits(10, 1), 20)));
        }

        [Test]
        public void TopKOfOne_PicksWhatGreedyPicks()
        {
            var topOne = new Sampler(500, PlainSampling.WithTopK(1).WithTopP(0.95f));
            var greedy = new Sampler(500, SamplingSettings.Greedy);

            for (int step = 0; step < 100; step++)
            {
                float[] logits = RandomLogits(500, seed: step);
                Assert.That(topOne.Sample(logits), Is.EqualTo(greedy.Sample(logits)), $"step {step}");
            }
        }

        [Test]
        public void TopK_DrawsOnlyFromTheKMostLikelyTokens()
        {
            float[] logits = new float[50];
            logits[10] = 3f;
            logits[20] = 2.9f;
            logits[30] = 2.8f;
            logits[40] = 2.7f; // fourth: cut by top-k = 3
            var sampler = new Sampler(50, PlainSampling.WithTopK(3));

            var drawn = Draw(sampler, logits, 2000).ToHashSet();

            Assert.That(drawn, Is.EquivalentTo(new[] { 10, 20, 30 }));
        }

        [TestCase(0.45f, new[] { 0 })]
        [TestCase(0.75f, new[] { 0, 1 })]
        [TestCase(0.9f, new[] { 0, 1, 2 })]
        [TestCase(0.99f, new[] { 0, 1, 2, 3 })]
        public void TopP_DrawsFromTheSmallestSetOfLikelyTokensReachingP(float topP, int[] expected)
        {
            // Probabilities 0.5, 0.3, 0.15, 0.05: cumulative 0.5, 0.8, 0.95, 1.
            float[] logits = new[] { 0.5f, 0.3f, 0.15f, 0.05f }.Select(p => MathF.Log(p)).ToArray();
            var sampler = new Sampler(4, PlainSampling.WithTopP(topP));

            var drawn = Draw(sampler, logits, 3000).ToHashSet();

            Assert.That(drawn, Is.EquivalentTo(expected));
        }

        [Test]
        public void TopKSelection_KeepsTheKBestIdsBestFirst_LowerIdWinningATie()
        {
            for (int seed = 0; seed < 50; seed++)
            {
                // Coarse values so that ties are common.
                float[] scores = RandomLogits(300, seed).Select(x => MathF.Round(x * 2) / 2).ToArray();
                int k = 1 + (seed * 7 % 60);
                int[] expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();

                int[] best = new int[scores.Length];
                int count = Sampler.SelectTopK(scores, k, best);

                Assert.That(best.Take(count), Is.EqualTo(expected), $"seed {seed}, k {k}");
            }
        }

        [Test]
        public void NucleusSelection_KeepsTheFewestMostLikelyIdsReachingP()
        {
            for (int seed = 0; seed < 50; seed++)
            {
                float[] scores = RandomLogits(500, seed).Select(x => x * (1 + (seed % 4))).ToArray();
                float max = scores.Max();
                double[] weights = scores.Select(x => Math.Exp(x - max)).ToArray();
                double threshold = (0.05 + (seed % 19) * 0.05) * weights.Sum();

                // Brute force: sort everything, take the shortest prefix reaching the threshold.
                int[] sorted = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
                double sum = 0;
                int size = 0;
                while (sum < threshold)
                {
                    sum += weights[sorted[size++]];
                }

                int[] order = new int[scores.Length];
                int kept = Sampler.SelectNucleus(scores, weights, threshold, order, out double keptMass);

                Assert.That(order.Take(kept), Is.EquivalentTo(sorted.Take(size)), $"seed {seed}");
                Assert.That(keptMass, Is.EqualTo(sum).Within(1e-9 * sum));
            }
        }

        [Test]
        public void TopP_IsMeasuredOnWhatTopKLeft()
        {
            // After top-k = 2 the two survivors have 0.625 and 0.375, so top-p = 0.6 keeps only the first.
            float[] logits = new[] { 0.5f, 0.3f, 0.15f, 0.05f }.Select(p => MathF.Log(p)).ToArray();
            var sampler = new Sampler(4, PlainSampling.WithTopK(2).WithTopP(0.6f));

            Assert.That(Draw(sampler, logits, 500).Distinct(), Is.EquivalentTo(new[] { 0 }));
        }

        [Test]
        public void Sampling_DrawsTokensAsOftenAsTheirProbability()
        {
            float[] logits = new[] { 0.5f, 0.3f, 0.2f }.Select(p => MathF.Log(p)).ToArray();
            var sampler = new Sampler(3, PlainSampling);

            int[] draws = Draw(sampler, logits, 20000);

            Assert.That(draws.Count(t => t == 0) / 20000.0, Is.EqualTo(0.5).Within(0.02));
            Assert.That(draws.Count(t => t == 1) / 20000.0, Is.EqualTo(0.3).Within(0.02));
            Assert.That(draws.Count(t => t == 2) / 20000.0, Is.EqualTo(0.2).Within(0.02));
        }

        [Test]
        public void ALowTemperature_AlmostAlwaysPicksTheTopToken_AndAHighOneSpreadsTheDraws()
        {
            float[] logits = { 2f, 1.5f, 1f, 0.5f };

            int[] cold = Draw(new Sampler(4, PlainSampling.WithTemperature(0.05f)), logits, 1000);
            int[] hot = Draw(new Sampler(4, PlainSampling.WithTemperature(5f)), logits, 1000);

            Assert.That(cold.Count(t => t == 0), Is.GreaterThan(990));
            Assert.That(hot.Count(t => t == 0), Is.LessThan(400));
        }

        [Test]
        public void RepetitionPenalty_DividesAPositiveLogitOfARepeatedToken()
        {
            var sampler = new Sampler(3, SamplingSettings.Greedy.WithRepetitionPenalty(1.1f));
            float[] logits = { 2.0f, 1.9f, -1f };

            Assert.That(sampler.Sample(logits), Is.EqualTo(0));
            Assert.That(sampler.Sample(logits, new[] { 0 }), Is.EqualTo(1), "2.0 / 1.1 = 1.82 falls below 1.9");
        }

        [Test]
        public void RepetitionPenalty_MultipliesANegativeLogitOfARepeatedToken()
        {
            var sampler = new Sampler(3, SamplingSettings.Greedy.WithRepetitionPenalty(1.1f));
            float[] logits = { -1.0f, -1.05f, -5f };

            Assert.That(sampler.Sample(logits, new[] { 0 }), Is.EqualTo(1), "-1.0 * 1.1 = -1.1 falls below -1.05");
        }

        [Test]
        public void RepetitionPenalty_CountsATokenOnceHoweverOftenItRepeats()
        {
            var sampler = new Sampler(2, SamplingSettings.Greedy.WithRepetitionPenalty(1.1f));

            // Applied once: 2.0 / 1.1 = 1.82 > 1.7. Applied three times it would be 1.50.
            Assert.That(sampler.Sample(new[] { 2.0f, 1.7f }, new[] { 0, 0, 0 }), Is.EqualTo(0));
        }

        [Test]
        public void RepetitionPenalty_LeavesExemptTokensAlone()
        {
            // Token 0 plays <extra_id_1>: in every prompt, and must stay as likely as the model says.
            var sampler = new Sampler(3, SamplingSettings.Greedy.WithRepetitionPenalty(2f), penaltyExemptTokens: new[] { 0 });

            Assert.That(sampler.Sample(new[] { 2.0f, 1.9f, 0f }, new[] { 0, 1 }), Is.EqualTo(0));
            Assert.That(sampler.Sample(new[] { 1.9f, 2.0f, 0f }, new[] { 0, 1 }), Is.EqualTo(0), "token 1 is penalised, token 0 is not");
        }

        [Test]
        public void AnExemptTokenOutsideTheVocabulary_IsRejected()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(3, SamplingSettings.Default, penaltyExemptTokens: new[] { 3 }));
        }

        [Test]
        public void RepetitionPenalty_LooksOnlyAtTheLatestWindowOfTokens()
        {
            var sampler = new Sampler(3, SamplingSettings.Greedy.WithRepetitionPenalty(2f).WithRepetitionWindow(2));
            float[] logits = { 2.0f, 1.9f, 0f };

            Assert.That(sampler.Sample(logits, new[] { 0, 2, 2 }), Is.EqualTo(0), "token 0 is outside the last 2");
            Assert.That(sampler.Sample(logits, new[] { 2, 0, 2 }), Is.EqualTo(1), "token 0 is inside the last 2");
        }

        [Test]
        public void Sample_LeavesTheCallersLogitsAlone()
        {
            float[] logits = { 2f, 1f, 0.5f };
            var sampler = new Sampler(3, SamplingSettings.Default.WithSeed(1).WithRepetitionPenalty(3f));

            sampler.Sample(logits, new[] { 0, 1 });

            Assert.That(logits, Is.EqualTo(new[] { 2f, 1f, 0.5f }));
        }

        [Test]
        public void Sample_AllocatesNothingPerToken()
        {
            float[] logits = RandomLogits(8000, seed: 5);
            int[] previous = Enumerable.Range(0, 64).Select(i => i * 97).ToArray();
            var samplers = new[]
            {
                new Sampler(8000, SamplingSettings.Default.WithSeed(1)),
                new Sampler(8000, PlainSampling),
                new Sampler(8000, PlainSampling.WithTopP(0.9f)),
                new Sampler(8000, SamplingSettings.Greedy),
            };
            foreach (Sampler warm in samplers)
            {
                warm.Sample(logits, previous);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (Sampler sampler in samplers)
            {
                for (int i = 0; i < 50; i++)
                {
                    sampler.Sample(logits, previous);
                }
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        }

        [Test]
        public void Sample_ARowOfTheWrongLength_Throws()
        {
            var sampler = new Sampler(4, SamplingSettings.Default);

            var error = Assert.Throws<ArgumentException>(() => sampler.Sample(new float[5]));

            Assert.That(error!.Message, Does.Contain("5").And.Contain("4"));
        }

        [Test]
        public void Sample_APreviousTokenOutsideTheVocabulary_Throws()
        {
            var sampler = new Sampler(4, SamplingSettings.Default);

            Assert.Throws<ArgumentException>(() => sampler.Sample(new float[4], new[] { 1, 4 }));
        }

        [TestCase(0f)]
        [TestCase(1f)]
        public void Sample_ARowWithNoFiniteValue_Throws(float temperature)
        {
            var sampler = new Sampler(3, PlainSampling.WithTemperature(temperature).WithTopK(2));

            Assert.Throws<ArgumentException>(() => sampler.Sample(new[] { float.NaN, float.NegativeInfinity, float.NaN }));
        }

        [Test]
        public void ANegativeInfinityLogit_IsNeverDrawn()
        {
            float[] logits = { float.NegativeInfinity, 0f, float.NegativeInfinity, 0f };

            foreach (SamplingSettings settings in new[] { PlainSampling, PlainSampling.WithTopP(0.999f), PlainSampling.WithTopK(3) })
            {
                Assert.That(Draw(new Sampler(4, settings), logits, 500).Distinct(), Is.EquivalentTo(new[] { 1, 3 }), settings.ToString());
            }
        }

        [Test]
        public void DeterministicExp_MatchesMathExp()
        {
            for (double x = -745; x <= 0; x += 0.37)
            {
                double expected = Math.Exp(x);
                Assert.That(Sampler.DeterministicExp(x), Is.EqualTo(expected).Within(Math.Max(expected * 1e-11, 1e-300)), $"x = {x}");
            }

            Assert.That(Sampler.DeterministicExp(0), Is.EqualTo(1.0));
            Assert.That(Sampler.DeterministicExp(double.NegativeInfinity), Is.EqualTo(0.0));
            Assert.That(Sampler.DeterministicExp(double.NaN), Is.EqualTo(0.0));
        }

        [Test]
        public void TheConstructor_RejectsAnEmptyVocabulary()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(0, SamplingSettings.Default));
        }

        private static int[] Draw(Sampler sampler, float[] logits, int count)
        {
            var tokens = new int[count];
            for (int i = 0; i < count; i++)
            {
                tokens[i] = sampler.Sample(logits);
            }

            return tokens;
        }

        private static float[] RandomLogits(int size, int seed)
        {
            var random = new Random(seed);
            return Enumerable.Range(0, size).Select(_ => (float)((random.NextDouble() * 8) - 4)).ToArray();
        }
    }
}
