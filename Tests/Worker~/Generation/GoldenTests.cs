using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using NUnit.Framework;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;
using SteerLM.Npc.Worker.Model;
using TorchSharp;

namespace SteerLM.Npc.Worker.Tests.Generation
{
    /// <summary>
    /// llama2.c's test_all.py, for this worker: a checked-in tiny model must produce exactly the checked-in tokens at
    /// temperature 0. Any change to the model code, the cache, the tokenizer or the scheduler that changes a single
    /// token fails it. The model is random but "peaky" (its weights are scaled up), so greedy choices have wide
    /// margins and do not flip with thread count or summation order.
    /// </summary>
    [NonParallelizable]
    public class GoldenTests
    {
        private const int Tokens = 32;

        private static string GoldenDirectory([CallerFilePath] string thisFile = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Assets", "golden-tiny"));

        private static int[] Prompt(ModelDirectory model) => model.EncodePrompt(
            "You are Old Bram, the gruff barkeep of the Crooked Lantern.",
            new[] { PromptTurn.User("Pour me an ale, and tell me the news.") },
            AttributeValues.Parse(model.Schema, "humor:1,toxicity:2,verbosity:1,anger:2"));

        private static GenerationResult Run(ModelDirectory model)
        {
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, maxBatch: 1, contextLength: 256);
            return scheduler.Generate(new GenerationRequest(Prompt(model), SamplingSettings.Greedy.WithRepetitionPenalty(1f), Tokens, ignoreEndOfTurn: true));
        }

        [Test]
        public void GreedyGeneration_OfTheGoldenModel_GivesTheCheckedInTokens()
        {
            var expected = File.ReadAllLines(Path.Combine(GoldenDirectory(), "golden-tokens.txt"))[0]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            using var model = ModelDirectory.Load(GoldenDirectory(), torch.ScalarType.Float32);

            var result = Run(model);

            Assert.That(result.Tokens, Is.EqualTo(expected));
            Assert.That(result.Text, Is.EqualTo(model.Tokenizer.Decode(expected)));
        }

        [Test]
        [Explicit("Regenerates Tests/Worker~/Assets/golden-tiny; run only when a change to the outputs is intended, and review the diff.")]
        public void Regenerate()
        {
            var directory = GoldenDirectory();
            var tokenizer = Path.Combine(AppContext.BaseDirectory, ModelDirectory.TokenizerFileName);
            ModelDirectory.Initialize(directory, LlamaConfig.Tiny, tokenizer, seed: 20261125);
            using (var model = LlamaModel.Load(directory, torch.ScalarType.Float32))
            {
                using (torch.no_grad())
                {
                    foreach (var (name, parameter) in model.named_parameters())
                    {
                        // Embedding x25: wide logit margins. Layer matrices x8: each layer changes the residual
                        // stream a lot, so the output depends on the whole context and varies from step to step.
                        parameter.mul_(name == "model.embed_tokens.weight" ? 25.0 : parameter.dim() >= 2 ? 8.0 : 1.0);
                    }
                }

                model.to(torch.ScalarType.BFloat16);
                model.Save(directory);
            }

            File.WriteAllText(Path.Combine(directory, ModelDirectory.CardFileName),
                "# Golden test model\n\nRandom Llama (tiny preset, seed 20261125) with its tied embedding scaled by 25 and its layer matrices by 8, stored in bfloat16 and " +
                "loaded in float32 by GoldenTests. Made by `GoldenTests.Regenerate`. It exists only so that greedy generation has a fixed, " +
                "checked-in answer; it produces noise, not dialogue.\n");
            using var reloaded = ModelDirectory.Load(directory, torch.ScalarType.Float32);
            var result = Run(reloaded);
            File.WriteAllText(Path.Combine(directory, "golden-tokens.txt"),
                string.Join(" ", result.Tokens) + "\n" + result.Text.Replace("\n", "\\n") + "\n");
        }
    }
}
