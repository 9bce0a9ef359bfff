using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Benchmarks
{
    /// <summary>
    /// Ping round trip over loopback TCP, and tokens/s of the same generations through the worker process versus the
    /// scheduler run in this process.
    /// </summary>
    internal static class IpcBenchmark
    {
        public static async Task RunAsync(WorkerHostOptions options, string modelPath, bool json)
        {
            var worker = await WorkerLauncher.StartAsync(options.Executable, options.Arguments, options.ModelDirectory, options.ServeArguments);
            using var _ = worker;
            using var connection = await WorkerConnection.ConnectAsync("127.0.0.1", worker.Listening.Port, worker.Listening.Token);
            for (var i = 0; i < 200; i++)
            {
                await connection.PingAsync();
            }

            var pings = new List<double>();
            for (var i = 0; i < 2000; i++)
            {
                pings.Add(await connection.PingAsync() * 1e6 / Stopwatch.Frequency);
            }

            pings.Sort();
            const int Lines = 12;
            const int Tokens = 48;
            var ipcTokens = 0;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Lines; i++)
            {
                var sink = new Sink();
                await connection.SendAsync(Request(i, Tokens), sink);
                var done = await sink.Done.Task;
                ipcTokens += done.CompletionTokens;
            }

            var ipcRate = ipcTokens / watch.Elapsed.TotalSeconds;

            using var model = ModelDirectory.Load(modelPath);
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, 1, Math.Min(2048, model.Model.Config.MaxPositionEmbeddings));
            var localTokens = 0;
            watch.Restart();
            for (var i = 0; i < Lines; i++)
            {
                var r = Request(i, Tokens);
                var prompt = model.EncodePrompt(r.System, new[] { PromptTurn.User(r.PlayerLine) }, AttributeValues.FromDictionary(model.Schema, r.Attributes));
                localTokens += scheduler.Generate(new GenerationRequest(prompt, new SamplingSettings(r.Temperature, r.TopK, r.TopP, r.RepetitionPenalty, seed: r.Seed), Tokens)).Tokens.Count;
            }

            var localRate = localTokens / watch.Elapsed.TotalSeconds;
            var result = new Dictionary<string, object>
            {
                ["ping_p50_us"] = Math.Round(pings[pings.Count / 2], 1),
                ["ping_p99_us"] = Math.Round(pings[(int)(pings.Count * 0.99)], 1),
                ["ipc_tokens_per_s"] = Math.Round(ipcRate, 1),
                ["inprocess_tokens_per_s"] = Math.Round(localRate, 1),
                ["ipc_vs_inprocess_tokens_ratio"] = Math.Round(ipcRate / localRate, 3),
                ["tokens_compared"] = new[] { ipcTokens, localTokens },
            };
            Console.WriteLine(json ? JsonSerializer.Serialize(result) : string.Join(Environment.NewLine, result.Select(p => $"{p.Key}: {p.Value}")));
        }

        private static Generate Request(int i, int tokens) => new Generate
        {
            RequestId = i + 1,
            CharacterId = "bench",
            System = "You are Marta, the innkeeper.",
            PlayerLine = "Tell me about the road north, line " + i,
            Attributes = new Dictionary<string, int> { ["verbosity"] = 4 },
            Temperature = 0.8f,
            Seed = (ulong)(i + 1),
            MaxTokens = tokens,
        };

        private sealed class Sink : IRequestSink
        {
            public TaskCompletionSource<Complete> Done { get; } = new TaskCompletionSource<Complete>(TaskCreationOptions.RunContinuationsAsynchronously);

            public void OnText(TextPiece piece)
            {
            }

            public void OnComplete(Complete complete) => Done.TrySetResult(complete);

            public void OnError(Error error) => Done.TrySetException(new InvalidOperationException(error.Text));
        }
    }
}
