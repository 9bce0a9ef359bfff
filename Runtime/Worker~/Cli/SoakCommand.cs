using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary>
    /// <c>soak --model DIR --lines 10000</c>: generates many short lines, <c>--streams</c> at a time, and prints the
    /// process's resident memory as it goes; memory must stay flat (no tensor outlives its step).
    /// </summary>
    internal static class SoakCommand
    {
        public static int Run(string[] args)
        {
            var line = new CommandLine("soak", args, new[] { "model", "lines", "streams", "max-tokens", "dtype", "threads" }, new[] { "json" });
            var modelPath = line.Required("model");
            var lines = line.Int("lines", 10_000, 1, 10_000_000);
            var streams = line.Int("streams", 8, 1, 256);
            var maxTokens = line.Int("max-tokens", 16, 1, 4096);
            var json = line.Flag("json");

            var dtype = RuntimeOptions.Apply(line);
            using var model = ModelDirectory.Load(modelPath, dtype);
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, streams, Math.Min(512, model.Model.Config.MaxPositionEmbeddings));
            var players = new[] { "Hello!", "A room, please.", "Any news?", "What do you sell?", "Get out of my way.", "Thank you, friend." };
            var samples = new List<(int Lines, double RssMb)>();
            var process = Process.GetCurrentProcess();
            var watch = Stopwatch.StartNew();
            var done = 0;
            var tokens = 0L;
            var nextReport = Math.Min(lines, 1000);
            while (done < lines)
            {
                var batch = Math.Min(streams, lines - done);
                var tasks = new Task<GenerationResult>[batch];
                for (var i = 0; i < batch; i++)
                {
                    var n = done + i;
                    var prompt = model.EncodePrompt("You are Marta, the innkeeper.", new[] { PromptTurn.User(players[n % players.Length]) },
                        model.Schema.Defaults());
                    tasks[i] = scheduler.Submit(new GenerationRequest(prompt, new SamplingSettings(seed: (ulong)n), maxTokens));
                }

                scheduler.RunUntilIdle();
                tokens += tasks.Sum(t => t.Result.Tokens.Count);
                done += batch;
                if (done >= nextReport || done == lines)
                {
                    GC.Collect();
                    process.Refresh();
                    var rss = process.WorkingSet64 / (1024.0 * 1024.0);
                    samples.Add((done, rss));
                    if (!json)
                    {
                        Console.WriteLine($"{done,8} lines  {rss,8:0.0} MB resident  {tokens / watch.Elapsed.TotalSeconds,7:0} tokens/s");
                    }

                    nextReport += 1000;
                }
            }

            // Growth is measured from the first report on, after warm-up allocations (caches, JIT, allocator pools).
            var growth = samples[^1].RssMb - samples[0].RssMb;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["lines"] = done,
                    ["tokens"] = tokens,
                    ["rss_mb"] = samples.Select(s => new Dictionary<string, object> { ["lines"] = s.Lines, ["mb"] = Math.Round(s.RssMb, 1) }).ToArray(),
                    ["growth_mb_after_first_report"] = Math.Round(growth, 1),
                }));
            }
            else
            {
                Console.WriteLine($"growth after the first report: {growth:+0.0;-0.0} MB over {done - samples[0].Lines} lines");
            }

            return 0;
        }
    }
}
