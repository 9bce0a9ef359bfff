using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Hosting;

namespace SteerLM.Npc.Benchmarks
{
    /// <summary>
    /// A 60 Hz game loop with N characters talking continuously (each asks for a new line as soon as its last one ends).
    /// Per frame it measures the time in Pump (callbacks included; the issue's figure), the time in Say separately, and the
    /// bytes the game thread allocated in both, split into idle frames (nothing arrived, nothing asked) and busy frames.
    /// </summary>
    internal static class FramesBenchmark
    {
        private const double PumpBudgetMs = 0.1;

        public static async Task RunAsync(WorkerHostOptions options, int[] npcCounts, double seconds, bool json)
        {
            using var host = new WorkerHost(options);
            await host.StartAsync();
            var results = new Dictionary<string, object>();
            Run(host, npcCounts[0], 1.0, json: true); // warm-up (JIT, connection buffers), not reported
            foreach (var count in npcCounts)
            {
                results[count.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Run(host, count, seconds, json);
            }

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["npcs"] = results, ["pump_budget_ms"] = PumpBudgetMs }));
            }
        }

        private static Dictionary<string, object> Run(WorkerHost host, int count, double seconds, bool json)
        {
            var service = new DialogueService(host);
            var profiles = Enumerable.Range(0, count).Select(i => new NpcProfile("npc" + i, new Persona("Villager " + i, "a villager"))).ToArray();
            var moods = profiles.Select(p => new NpcMood(p)).ToArray();
            var lines = new DialogueRequest?[count];
            var say = SayOptions.Default.WithMaxTokens(24);
            var ms = new List<double>();
            var sayMs = new List<double>();
            var idleBytes = new List<long>();
            var busyBytes = new List<long>();
            var completed = 0;
            var frame = TimeSpan.FromSeconds(1.0 / 60.0);
            var total = Stopwatch.StartNew();
            var next = Stopwatch.GetTimestamp();
            while (total.Elapsed.TotalSeconds < seconds)
            {
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var sayStarted = Stopwatch.GetTimestamp();
                var asked = false;
                for (var i = 0; i < count; i++)
                {
                    if (lines[i] == null || lines[i]!.IsDone)
                    {
                        if (lines[i]?.Status == DialogueStatus.Completed)
                        {
                            completed++;
                        }

                        lines[i] = service.Say(profiles[i], moods[i], "Any news today?", say);
                        asked = true;
                    }
                }

                var started = Stopwatch.GetTimestamp();
                if (asked)
                {
                    sayMs.Add((started - sayStarted) * 1000.0 / Stopwatch.Frequency);
                }

                var applied = service.Pump(PumpBudgetMs);
                var elapsed = Stopwatch.GetTimestamp() - started;
                var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                ms.Add(elapsed * 1000.0 / Stopwatch.Frequency);
                (applied == 0 && !asked ? idleBytes : busyBytes).Add(allocated);

                next += (long)(frame.TotalSeconds * Stopwatch.Frequency);
                var sleep = (next - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (sleep > 0)
                {
                    Thread.Sleep((int)sleep);
                }
            }

            foreach (var line in lines)
            {
                if (line != null && !line.IsDone)
                {
                    service.Cancel(line);
                }
            }

            ms.Sort();
            double Percentile(double p) => ms[Math.Min(ms.Count - 1, (int)(p * ms.Count))];
            var result = new Dictionary<string, object>
            {
                ["p50_ms"] = Math.Round(Percentile(0.5), 4),
                ["p99_ms"] = Math.Round(Percentile(0.99), 4),
                ["max_ms"] = Math.Round(ms[^1], 4),
                ["bytes_per_idle_frame"] = idleBytes.Count == 0 ? 0 : Math.Round(idleBytes.Average(), 1),
                ["bytes_per_busy_frame"] = busyBytes.Count == 0 ? 0 : Math.Round(busyBytes.Average(), 1),
                ["frames"] = ms.Count,
                ["idle_frames"] = idleBytes.Count,
                ["lines_completed"] = completed,
                ["frames_over_budget"] = ms.Count(m => m > PumpBudgetMs * 2),
                ["say_p50_ms"] = sayMs.Count == 0 ? 0 : Math.Round(sayMs.OrderBy(x => x).ElementAt(sayMs.Count / 2), 4),
                ["say_max_ms"] = sayMs.Count == 0 ? 0 : Math.Round(sayMs.Max(), 4),
            };
            if (!json)
            {
                Console.WriteLine($"{count,3} NPCs: p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms, max {result["max_ms"]} ms; " +
                    $"{result["bytes_per_idle_frame"]} B per idle frame, {result["bytes_per_busy_frame"]} B per busy frame; {completed} lines in {ms.Count} frames");
            }

            return result;
        }
    }
}
