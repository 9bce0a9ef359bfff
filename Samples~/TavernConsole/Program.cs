using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Samples.TavernConsole
{
    /// <summary>
    /// The tavern: three characters with distinct profiles, a 60 Hz game loop that never waits for the model, and the
    /// worker in its own process. Type "name: text" to talk, "/insult name" (or greet, compliment, joke, threaten, help,
    /// gift, attack, ignore) to raise events, "/wait seconds" to pass game time, "/quit" to leave. Without a terminal, or
    /// with --script FILE, it plays a script.
    /// </summary>
    internal static class Program
    {
        private const double FrameSeconds = 1.0 / 60.0;
        private const double PumpBudgetMs = 1.0;

        private static int Main(string[] args)
        {
            try
            {
                return Run(Options.Parse(args));
            }
            catch (OptionsException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                Console.Error.WriteLine("usage: TavernConsole [--model DIR] [--script FILE] [--seed N] [--max-tokens N]");
                return 2;
            }
            catch (Exception e) when (e is InvalidOperationException || e is TimeoutException || e is WorkerHandshakeException || e is IOException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }

        private static int Run(Options options)
        {
            var model = options.Model ?? DefaultModel();
            Console.WriteLine($"The Crooked Lantern. Model: {model}");
            var hostOptions = new WorkerHostOptions("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll") }, model)
                .WithServeArguments("--max-batch", "4")
                .WithPidFile(Path.Combine(Path.GetTempPath(), "steerlm-tavern-worker.pid"));
            using var host = new WorkerHost(hostOptions);
            var watch = Stopwatch.StartNew();
            host.StartAsync().GetAwaiter().GetResult();
            Console.WriteLine($"Worker {host.ProcessId} ready in {watch.ElapsedMilliseconds} ms; schema {host.Schema!.Id}.");
            Console.WriteLine();

            var service = new DialogueService(host);
            var tavern = Tavern.Characters.ToDictionary(p => p.Id, p => (Profile: p, Mood: new NpcMood(p)));
            var input = options.Script != null || Console.IsInputRedirected || !Environment.UserInteractive
                ? Script(options.Script ?? Path.Combine(AppContext.BaseDirectory, "tavern-script.txt"))
                : Keyboard();
            var say = SayOptions.Default.WithMaxTokens(options.MaxTokens).WithSeed(options.Seed);
            var frames = new FrameStats();
            var pending = new List<(string Name, DialogueRequest Request)>();
            var waitUntil = 0.0;
            var gameTime = 0.0;
            var next = Stopwatch.GetTimestamp();
            var scripted = options.Script != null || Console.IsInputRedirected || !Environment.UserInteractive;
            while (true)
            {
                // One frame: game time advances, moods fade, the service applies what the worker sent, within its budget.
                gameTime += FrameSeconds;
                foreach (var character in tavern.Values)
                {
                    character.Mood.Advance(FrameSeconds);
                }

                var pumpStart = Stopwatch.GetTimestamp();
                service.Pump(PumpBudgetMs);
                frames.Add(Stopwatch.GetTimestamp() - pumpStart);
                pending.RemoveAll(p => p.Request.IsDone);

                // Input: scripted lines wait for the previous replies; typed lines go at once.
                if ((!scripted || pending.Count == 0) && gameTime >= waitUntil && input.TryDequeue(out var line))
                {
                    if (line == null || line.Trim() == "/quit")
                    {
                        break;
                    }

                    waitUntil = Handle(line.Trim(), tavern, service, say, pending, gameTime);
                }
                else if (scripted && pending.Count == 0 && input.IsEmpty && Finished(input))
                {
                    break;
                }

                // Sleep to the next 60 Hz tick.
                next += (long)(FrameSeconds * Stopwatch.Frequency);
                var sleep = (next - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (sleep > 0)
                {
                    Thread.Sleep((int)sleep);
                }
                else
                {
                    next = Stopwatch.GetTimestamp();
                }
            }

            Console.WriteLine();
            Console.WriteLine($"{frames.Count} frames at 60 Hz. Time in Pump per frame: p50 {frames.Percentile(0.5):0.000} ms, " +
                $"p99 {frames.Percentile(0.99):0.000} ms, max {frames.Max:0.000} ms (budget {PumpBudgetMs} ms). Worker restarts: {host.Restarts}.");
            return 0;
        }

        private static double Handle(string line, Dictionary<string, (NpcProfile Profile, NpcMood Mood)> tavern, DialogueService service,
            SayOptions say, List<(string, DialogueRequest)> pending, double gameTime)
        {
            if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal))
            {
                return 0;
            }

            if (line.StartsWith("/", StringComparison.Ordinal))
            {
                var parts = line.Substring(1).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts[0] == "wait" && parts.Length == 2 && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                {
                    Console.WriteLine($"  ... {seconds:0} seconds pass ...");
                    foreach (var c in tavern.Values)
                    {
                        c.Mood.Advance(seconds);
                    }

                    return 0;
                }

                if (parts.Length != 2 || !tavern.TryGetValue(parts[1], out var target) || !Enum.TryParse<MoodEvent>(EventName(parts[0]), out var e))
                {
                    Console.WriteLine($"  (unknown command '{line}': try /insult bram, /gift marta, /threaten lys, /wait 30, /quit)");
                    return 0;
                }

                var before = target.Mood.Current;
                target.Mood.Raise(e);
                Console.WriteLine($"  * {e} {target.Profile.Persona.Name}: {before} -> {target.Mood.Current} ({target.Mood.Intensity:0.00})");
                return 0;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0 || !tavern.TryGetValue(line.Substring(0, colon).Trim().ToLowerInvariant(), out var character))
            {
                Console.WriteLine($"  (say \"name: text\"; the regulars are {string.Join(", ", tavern.Keys)})");
                return 0;
            }

            var text = line.Substring(colon + 1).Trim();
            var request = service.Say(character.Profile, character.Mood, text, say);
            var name = character.Profile.Persona.Name;
            Console.WriteLine($"You to {name}: {text}");
            Console.WriteLine($"  [{character.Mood.Current} {character.Mood.Intensity:0.00} | {request.Attributes}]");
            Console.Write($"  {name}: ");
            request.TextReceived += (_, piece) => Console.Write(piece);
            request.Finished += r => Console.WriteLine(r.Status == DialogueStatus.Completed
                ? $"   ({r.FinishReason}, first text after {(r.FirstTextAt - r.SubmittedAt) * 1000:0} ms)"
                : $"   [{r.Status}: {r.Error}]");
            pending.Add((name, request));
            return 0;
        }

        private static string EventName(string verb) => verb switch
        {
            "greet" => "Greeted",
            "compliment" => "Complimented",
            "joke" => "Joked",
            "insult" => "Insulted",
            "threaten" => "Threatened",
            "help" => "Helped",
            "gift" => "Gifted",
            "attack" => "Attacked",
            "ignore" => "Ignored",
            _ => "?",
        };

        private static readonly ConditionalWeakTable<ConcurrentQueue<string?>, object> Done = new ConditionalWeakTable<ConcurrentQueue<string?>, object>();

        private static bool Finished(ConcurrentQueue<string?> input) => Done.TryGetValue(input, out _);

        private static ConcurrentQueue<string?> Script(string path)
        {
            if (!File.Exists(path))
            {
                throw new OptionsException($"script not found: {path}");
            }

            var queue = new ConcurrentQueue<string?>(File.ReadAllLines(path));
            Done.Add(queue, new object());
            return queue;
        }

        private static ConcurrentQueue<string?> Keyboard()
        {
            Console.WriteLine("Talk with \"marta: ...\", \"bram: ...\" or \"lys: ...\"; events: /insult bram, /gift lys, /threaten marta, /wait 30; /quit to leave.");
            var queue = new ConcurrentQueue<string?>();
            var reader = new Thread(() =>
            {
                string? line;
                while ((line = Console.ReadLine()) != null)
                {
                    queue.Enqueue(line);
                }

                queue.Enqueue(null);
            }) { IsBackground = true, Name = "keyboard" };
            reader.Start();
            return queue;
        }

        /// <summary>The shipped model (Models~/default in the package), else the untrained tiny test model.</summary>
        private static string DefaultModel()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                var shipped = Path.Combine(dir.FullName, "Models~", "default");
                if (File.Exists(Path.Combine(shipped, "model.safetensors")))
                {
                    return shipped;
                }
            }

            throw new OptionsException("no model found: pass --model DIR (the package's Models~/default is missing)");
        }

        private sealed class FrameStats
        {
            private readonly List<double> _ms = new List<double>();

            public int Count => _ms.Count;

            public double Max => _ms.Count == 0 ? 0 : _ms.Max();

            public void Add(long ticks) => _ms.Add(ticks * 1000.0 / Stopwatch.Frequency);

            public double Percentile(double p)
            {
                if (_ms.Count == 0)
                {
                    return 0;
                }

                var sorted = _ms.OrderBy(x => x).ToArray();
                return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            }
        }
    }

    internal sealed class OptionsException : Exception
    {
        public OptionsException(string message) : base(message)
        {
        }
    }

    internal sealed class Options
    {
        public string? Model { get; private set; }

        public string? Script { get; private set; }

        public ulong? Seed { get; private set; } = 7;

        public int MaxTokens { get; private set; } = 48;

        public static Options Parse(string[] args)
        {
            var options = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new OptionsException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--model": options.Model = Value(); break;
                    case "--script": options.Script = Value(); break;
                    case "--seed": options.Seed = ulong.TryParse(Value(), out var s) ? s : throw new OptionsException("--seed takes a whole number"); break;
                    case "--max-tokens": options.MaxTokens = int.TryParse(Value(), out var m) && m > 0 ? m : throw new OptionsException("--max-tokens takes a positive number"); break;
                    default: throw new OptionsException($"unknown option {args[i]}");
                }
            }

            return options;
        }
    }
}
