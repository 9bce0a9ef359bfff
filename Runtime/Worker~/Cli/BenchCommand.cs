using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary>
    /// <c>bench --model DIR --streams 1,4,8,16 --json</c>: for each stream count, that many requests with a prompt of
    /// <c>--prompt-tokens</c> tokens decode <c>--new-tokens</c> tokens each, together; prints aggregate tokens/s, mean time
    /// to first token, and the process's peak memory.
    /// </summary>
    internal static class BenchCommand
    {
        public static int Run(string[] args)
        {
            var line = new CommandLine("bench", args, new[] { "model", "streams", "prompt-tokens", "new-tokens", "repeat", "dtype", "threads" }, new[] { "json" });
            var modelPath = line.Required("model");
            var streams = line.IntList("streams", new[] { 1, 4, 8, 16 }, 1, 256);
            var promptTokens = line.Int("prompt-tokens", 200, 8, 100_000);
            var newTokens = line.Int("new-tokens", 128, 1, 100_000);
            var repeat = line.Int("repeat", 3, 1, 100);
            var json = line.Flag("json");

            var dtype = RuntimeOptions.Apply(line);
            using var model = ModelDirectory.Load(modelPath, dtype);
            var prompt = BuildPrompt(model, promptTokens);
            var context = Math.Min(model.Model.Config.MaxPositionEmbeddings, promptTokens + newTokens + 1);
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, streams.Max(), context);

            Run(scheduler, prompt, 1, Math.Min(8, newTokens)); // warm-up: first-call costs of TorchSharp and the JIT
            var results = new List<(int Streams, double TokensPerSecond, double TtftMs)>();
            foreach (var count in streams)
            {
                var best = (TokensPerSecond: 0.0, TtftMs: double.MaxValue);
                for (var r = 0; r < repeat; r++)
                {
                    var run = Run(scheduler, prompt, count, newTokens);
                    best = (Math.Max(best.TokensPerSecond, run.TokensPerSecond), Math.Min(best.TtftMs, run.TtftMs));
                }

                results.Add((count, best.TokensPerSecond, best.TtftMs));
                if (!json)
                {
                    Console.WriteLine($"{count,3} streams: {best.TokensPerSecond,8:0.0} tokens/s aggregate, time to first token {best.TtftMs,6:0.0} ms");
                }
            }

            var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
            if (json)
            {
                using var stream = Console.OpenStandardOutput();
                using var writer = new Utf8JsonWriter(stream);
                writer.WriteStartObject();
                writer.WriteString("model", model.ModelId);
                writer.WriteNumber("parameters", model.Model.ParameterCount());
                writer.WriteNumber("prompt_tokens", prompt.Length);
                writer.WriteNumber("new_tokens", newTokens);
                writer.WriteStartObject("streams");
                foreach (var (count, tps, ttft) in results)
                {
                    writer.WriteStartObject(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    writer.WriteNumber("tokens_per_s", Math.Round(tps, 1));
                    writer.WriteNumber("ttft_ms", Math.Round(ttft, 2));
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                writer.WriteNumber("peak_memory_mb", Math.Round(peakMb, 1));
                writer.WriteNumber("threads", TorchSharp.torch.get_num_threads());
                writer.WriteString("dtype", SteerLM.Npc.Worker.Model.ScalarTypes.ToTorchName(model.Model.DType));
                writer.WriteEndObject();
                writer.Flush();
                stream.WriteByte((byte)'\n');
            }
            else
            {
                Console.WriteLine($"peak memory {peakMb:0} MB, {TorchSharp.torch.get_num_threads()} threads, prompt {prompt.Length} tokens, {newTokens} new tokens per stream");
            }

            return 0;
        }

        private static (double TokensPerSecond, double TtftMs) Run(Scheduler scheduler, int[] prompt, int streams, int newTokens)
        {
            var tasks = new Task<GenerationResult>[streams];
            var watch = Stopwatch.StartNew();
            for (var s = 0; s < streams; s++)
            {
                var settings = new SamplingSettings(temperature: 0.8f, seed: (ulong)(s + 1));
                tasks[s] = scheduler.Submit(new GenerationRequest(prompt, settings, newTokens, ignoreEndOfTurn: true));
            }

            scheduler.RunUntilIdle();
            watch.Stop();
            var results = tasks.Select(t => t.GetAwaiter().GetResult()).ToArray();
            var failed = results.FirstOrDefault(r => r.FinishReason == FinishReason.Error);
            if (failed != null)
            {
                throw new InvalidOperationException("bench: generation failed: " + failed.Error);
            }

            var tokens = results.Sum(r => r.Tokens.Count);
            return (tokens / watch.Elapsed.TotalSeconds, results.Average(r => r.TimeToFirstTokenMs));
        }

        /// <summary>A real SteerLM prompt, its persona repeated until the prompt has exactly <paramref name="tokens"/> tokens.</summary>
        private static int[] BuildPrompt(ModelDirectory model, int tokens)
        {
            var persona = new StringBuilder("You are Marta Hollis, innkeeper of the Crooked Lantern in Millbrook.");
            int[] ids;
            do
            {
                persona.Append(" She has run the inn for twenty years, knows every traveller's business, and keeps a sharp eye on the till.");
                ids = model.EncodePrompt(persona.ToString(), new[] { PromptTurn.User("Good evening! Any rooms free tonight?") }, model.Schema.Defaults());
            }
            while (ids.Length < tokens);

            // Keep the end of the prompt (the turn headers and attributes) and trim the persona's middle.
            var head = ids.Take(tokens / 2);
            var tail = ids.Skip(ids.Length - (tokens - tokens / 2));
            return head.Concat(tail).ToArray();
        }
    }
}
