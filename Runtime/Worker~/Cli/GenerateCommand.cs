using System;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary><c>generate --model DIR --system TEXT --user TEXT --attributes "humor:4"</c>: streams one reply to standard output.</summary>
    internal static class GenerateCommand
    {
        public static int Run(string[] args)
        {
            var line = new CommandLine("generate", args,
                new[] { "model", "system", "user", "attributes", "max-tokens", "temperature", "top-k", "top-p", "repetition-penalty", "seed", "context", "dtype", "threads" },
                new[] { "quiet" });
            var modelPath = line.Required("model");
            var system = line.Required("system");
            var user = line.Required("user");
            var attributesText = line.Optional("attributes") ?? "";
            var maxTokens = line.Int("max-tokens", 128, 1, 100_000);
            SamplingSettings settings;
            try
            {
                settings = new SamplingSettings(
                    temperature: line.Float("temperature", SamplingSettings.Default.Temperature),
                    topK: line.Int("top-k", SamplingSettings.Default.TopK, 0, int.MaxValue),
                    topP: line.Float("top-p", SamplingSettings.Default.TopP),
                    repetitionPenalty: line.Float("repetition-penalty", SamplingSettings.Default.RepetitionPenalty),
                    seed: line.ULong("seed"));
            }
            catch (ArgumentException e)
            {
                throw new UsageException("generate: " + e.Message.Split('\n')[0]);
            }

            var context = line.Int("context", 0, 0, 1_000_000);
            var dtype = RuntimeOptions.Apply(line);
            using var model = ModelDirectory.Load(modelPath, dtype);
            AttributeValues attributes;
            try
            {
                attributes = AttributeValues.Parse(model.Schema, attributesText);
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException)
            {
                throw new UsageException("generate: --attributes: " + e.Message.Split('\n')[0]);
            }

            var prompt = model.EncodePrompt(system, new[] { PromptTurn.User(user) }, attributes);
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, maxBatch: 1, contextLength: context == 0 ? null : context);
            var request = new GenerationRequest(prompt, settings, maxTokens, onText: text => Console.Out.Write(text));
            var result = scheduler.Generate(request);
            Console.Out.WriteLine();
            if (result.FinishReason == FinishReason.Error)
            {
                throw new InvalidOperationException(result.Error);
            }

            if (!line.Flag("quiet"))
            {
                Console.Error.WriteLine($"[{attributes.ToAttributeString()}] {result.Tokens.Count} tokens, {result.FinishReason}, seed {result.Seed}, " +
                    $"first token {result.TimeToFirstTokenMs:0} ms, total {result.TotalMs:0} ms");
            }

            return 0;
        }
    }
}
