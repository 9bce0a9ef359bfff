using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;
using SteerLM.Npc.Worker.Model;
using SteerLM.Npc.Worker.Server;
using SteerLM.Npc.Worker.Tests.Generation;

namespace SteerLM.Npc.Worker.Tests.Server
{
    [NonParallelizable]
    public class ScoreAndPriorityTests
    {
        private readonly List<IDisposable> _cleanup = new List<IDisposable>();

        [TearDown]
        public void CleanUp()
        {
            for (var i = _cleanup.Count - 1; i >= 0; i--)
            {
                _cleanup[i].Dispose();
            }

            _cleanup.Clear();
        }

        private sealed class Sink : IRequestSink
        {
            public TaskCompletionSource<Message> Done { get; } = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);

            public void OnText(TextPiece piece)
            {
            }

            public void OnComplete(Complete complete) => Done.TrySetResult(complete);

            public void OnError(Error error) => Done.TrySetResult(error);
        }

        [Test]
        public void WaitingRequests_AreAdmittedHighestPriorityFirst()
        {
            using var model = TinyModel.Load();
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, maxBatch: 1, contextLength: 256);
            var prompt = model.EncodePrompt("S", new[] { PromptTurn.User("Hi") }, model.Schema.Defaults());
            var order = new List<string>();
            GenerationRequest Request(string name, int priority) => new GenerationRequest(prompt, SamplingSettings.Greedy, 3,
                onText: _ => { if (!order.Contains(name)) { order.Add(name); } }, ignoreEndOfTurn: true, priority: priority);

            var first = scheduler.Submit(Request("first", 0));
            scheduler.Step(); // "first" holds the only slot
            scheduler.Submit(Request("low", 0));
            scheduler.Submit(Request("high", 5));
            scheduler.Submit(Request("low2", 0));
            scheduler.RunUntilIdle();

            Assert.That(order, Is.EqualTo(new[] { "first", "high", "low", "low2" }));
        }

        [Test]
        public async Task Score_WithAnApmHead_ReturnsOneValuePerSchemaAttribute()
        {
            var directory = Path.Combine(Path.GetTempPath(), "steerlm-apm-" + Guid.NewGuid().ToString("N"));
            try
            {
                var preset = LlamaConfig.Tiny.WithAttributes(AttributeSchemas.Npc.Names.ToListSafe(), scoreBias: true);
                ModelDirectory.Initialize(directory, preset, Path.Combine(AppContext.BaseDirectory, ModelDirectory.TokenizerFileName), seed: 3);
                using var model = ModelDirectory.Load(directory);
                Assert.That(model.Model.HasScoreHead, Is.True);
                using var connection = await Serve(model);
                Assert.That(connection.Ready.Capabilities, Does.Contain("score"));

                var result = await connection.ScoreAsync(new Score { RequestId = 9, System = "You are Bram.", PlayerLine = "Ale!", Reply = "Get out." });

                Assert.That(result.RequestId, Is.EqualTo(9));
                Assert.That(result.Values.Keys, Is.EquivalentTo(AttributeSchemas.Npc.Names));
                Assert.That(result.Values.Values, Has.All.Not.NaN);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Test]
        public async Task Score_WithoutAnApmHead_IsAClearError()
        {
            using var model = TinyModel.Load();
            using var connection = await Serve(model);
            var error = Assert.ThrowsAsync<InvalidOperationException>(() => connection.ScoreAsync(new Score { RequestId = 4, System = "S", PlayerLine = "P", Reply = "R" }));
            Assert.That(error!.Message, Does.Contain("score.weight"));
        }

        private async Task<WorkerConnection> Serve(ModelDirectory model)
        {
            var scheduler = new Scheduler(model.Model, model.Tokenizer, maxBatch: 2, contextLength: 256);
            scheduler.Start();
            var server = new WorkerServer(model, scheduler, "t");
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            _ = server.ServeAsync(listener);
            var connection = await WorkerConnection.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, "t");
            _cleanup.Add(scheduler);
            _cleanup.Add(server);
            _cleanup.Add(connection);
            return connection;
        }
    }

    internal static class ListExtensions
    {
        public static List<string> ToListSafe(this IEnumerable<string> names) => new List<string>(names);
    }
}
