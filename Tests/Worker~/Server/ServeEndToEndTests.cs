using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Tests.Generation;

namespace SteerLM.Npc.Worker.Tests.Server
{
    /// <summary>End-to-end: a real worker process serving the tiny model over loopback TCP.</summary>
    [NonParallelizable]
    public class ServeEndToEndTests
    {
        private LaunchedWorker _worker = null!;

        [OneTimeSetUp]
        public async Task StartWorker()
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll");
            _worker = await WorkerLauncher.StartAsync("dotnet", new[] { dll }, TinyModel.Path_,
                new[] { "--max-batch", "4", "--context", "512", "--handshake-timeout-ms", "500" }, TimeSpan.FromSeconds(90));
        }

        [OneTimeTearDown]
        public void StopWorker() => _worker.Dispose();

        private Task<WorkerConnection> Connect(AttributeSchema? expected = null, string? token = null) =>
            WorkerConnection.ConnectAsync("127.0.0.1", _worker.Listening.Port, token ?? _worker.Listening.Token, expected);

        private sealed class Sink : IRequestSink
        {
            private readonly TaskCompletionSource<Message> _done = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);

            public ConcurrentQueue<TextPiece> Pieces { get; } = new ConcurrentQueue<TextPiece>();

            public Action<TextPiece>? OnFirstPiece { get; set; }

            public Task<Message> Done => _done.Task;

            public void OnText(TextPiece piece)
            {
                Pieces.Enqueue(piece);
                if (Pieces.Count == 1)
                {
                    OnFirstPiece?.Invoke(piece);
                }
            }

            public void OnComplete(Complete complete) => _done.TrySetResult(complete);

            public void OnError(Error error) => _done.TrySetResult(error);
        }

        private static Generate Request(long id, string line, int maxTokens = 24, Dictionary<string, int>? attributes = null) => new Generate
        {
            RequestId = id,
            CharacterId = "npc-" + id,
            System = "You are a character in a tavern.",
            PlayerLine = line,
            Attributes = attributes ?? new Dictionary<string, int> { ["humor"] = 2, ["anger"] = 1 },
            Temperature = 0.9f,
            Seed = (ulong)id,
            MaxTokens = maxTokens,
        };

        [Test]
        public void Listening_ReportsAPortAndAPerLaunchToken()
        {
            Assert.That(_worker.Listening.Port, Is.GreaterThan(0));
            Assert.That(_worker.Listening.Token, Has.Length.EqualTo(32));
            Assert.That(_worker.Listening.ProcessId, Is.EqualTo(_worker.Process.Id));
        }

        [Test]
        public async Task SeveralCharactersAtOnce_EachGetTheirWholeLine_StreamedInOrder()
        {
            using var connection = await Connect(AttributeSchemas.Npc);
            var sinks = Enumerable.Range(1, 3).Select(_ => new Sink()).ToArray();
            for (var i = 0; i < sinks.Length; i++)
            {
                await connection.SendAsync(Request(100 + i, "Hello number " + i), sinks[i]);
            }

            foreach (var sink in sinks)
            {
                var done = await sink.Done.WaitAsync(TimeSpan.FromSeconds(60));
                Assert.That(done, Is.InstanceOf<Complete>(), (done as Error)?.Text);
                var complete = (Complete)done;
                var pieces = sink.Pieces.ToArray();
                Assert.That(pieces.Select(p => p.Sequence), Is.EqualTo(Enumerable.Range(0, pieces.Length)), "sequence numbers have no gap");
                Assert.That(string.Concat(pieces.Select(p => p.Text)), Is.EqualTo(complete.Text), "pieces are new text only");
                Assert.That(complete.Sequence, Is.EqualTo(pieces.Length));
                Assert.That(complete.FinishReason, Is.AnyOf("stop", "length"));
                Assert.That(complete.PromptTokens, Is.GreaterThan(10));
            }
        }

        [Test]
        public async Task SameSeed_OverTheWire_GivesTheSameLine()
        {
            using var connection = await Connect();
            var a = new Sink();
            var b = new Sink();
            await connection.SendAsync(Request(200, "Same words"), a);
            var first = (Complete)await a.Done.WaitAsync(TimeSpan.FromSeconds(60));
            var again = Request(201, "Same words");
            again.Seed = 200;
            await connection.SendAsync(again, b);
            var second = (Complete)await b.Done.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(second.Text, Is.EqualTo(first.Text));
        }

        [Test]
        public async Task Cancel_EndsALongLineEarly()
        {
            using var connection = await Connect();
            var sink = new Sink();
            var request = Request(300, "Tell me everything.", maxTokens: 400);
            request.Temperature = 1.5f;
            request.TopK = 0;
            request.TopP = 1f;
            sink.OnFirstPiece = _ => connection.CancelAsync(300);
            await connection.SendAsync(request, sink);

            var done = (Complete)await sink.Done.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(done.FinishReason, Is.AnyOf("cancelled", "stop"));
            Assert.That(done.CompletionTokens, Is.LessThan(400));
        }

        [Test]
        public async Task Deadline_AlreadyPassed_EndsWithDeadline()
        {
            using var connection = await Connect();
            var sink = new Sink();
            var request = Request(400, "Quick!");
            request.DeadlineMs = 1;
            await Task.Delay(5);
            await connection.SendAsync(request, sink);

            var done = await sink.Done.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(((Complete)done).FinishReason, Is.EqualTo("deadline"));
        }

        [Test]
        public async Task UnknownAttribute_IsAnErrorListingTheNames_AndTheConnectionCarriesOn()
        {
            using var connection = await Connect();
            var bad = new Sink();
            await connection.SendAsync(Request(500, "Hi", attributes: new Dictionary<string, int> { ["humour"] = 3 }), bad);
            var error = (Error)await bad.Done.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(error.Code, Is.EqualTo(ErrorCodes.BadAttributes));
            Assert.That(error.Text, Does.Contain("'humour'").And.Contain("humor, toxicity"));

            var good = new Sink();
            await connection.SendAsync(Request(501, "Hi"), good);
            Assert.That(await good.Done.WaitAsync(TimeSpan.FromSeconds(60)), Is.InstanceOf<Complete>());
        }

        [Test]
        public async Task InvalidSamplingSettings_AreAnErrorNamingTheField()
        {
            using var connection = await Connect();
            var sink = new Sink();
            var request = Request(600, "Hi");
            request.TopP = 1.5f;
            await connection.SendAsync(request, sink);
            var error = (Error)await sink.Done.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(error.Code, Is.EqualTo(ErrorCodes.BadRequest));
            Assert.That(error.Text, Does.Contain("TopP"));
        }

        [Test]
        public void WrongToken_IsRefused()
        {
            var error = Assert.ThrowsAsync<WorkerHandshakeException>(() => Connect(token: "not-the-token"));
            Assert.That(error!.Message, Does.Contain("Wrong token"));
        }

        [Test]
        public void SchemaMismatch_IsReportedWithBothSchemas()
        {
            var error = Assert.ThrowsAsync<WorkerHandshakeException>(() => Connect(AttributeSchemas.SteerLM));
            Assert.That(error!.Message, Does.Contain("npc-v1").And.Contain("steerlm-v1"));
        }

        [Test]
        public async Task Ping_IsAnswered()
        {
            using var connection = await Connect();
            var ticks = await connection.PingAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(ticks, Is.GreaterThan(0));
        }

        [Test]
        public async Task SilentClient_IsDisconnectedAfterTheHandshakeTimeout_AndOthersCarryOn()
        {
            using var silent = new TcpClient();
            await silent.ConnectAsync("127.0.0.1", _worker.Listening.Port);
            var stream = silent.GetStream();
            var reader = new FrameReader(stream);
            var first = await reader.ReadAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(first, Is.InstanceOf<Error>());
            Assert.That(((Error)first!).Code, Is.EqualTo(ErrorCodes.Handshake));

            using var connection = await Connect();
            Assert.That(await connection.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.GreaterThan(0));
        }

        [Test]
        public async Task MalformedAndUnknownFrames_GetErrors_AndTheWorkerServesOthers()
        {
            using var connection = await Connect();
            using (var raw = new TcpClient())
            {
                await raw.ConnectAsync("127.0.0.1", _worker.Listening.Port);
                var stream = raw.GetStream();
                await WireFormat.WriteAsync(stream, new Hello { Token = _worker.Listening.Token });
                var reader = new FrameReader(stream);
                Assert.That(await reader.ReadAsync(), Is.InstanceOf<Ready>());

                await stream.WriteAsync(new byte[] { 3, 0, 0, 0, 250, 0x90, 0x90 }); // unknown type 250
                var unknown = (Error)(await reader.ReadAsync())!;
                Assert.That(unknown.Code, Is.EqualTo(ErrorCodes.UnknownType));

                await stream.WriteAsync(new byte[] { 3, 0, 0, 0, (byte)MessageType.Generate, 0xc1, 0xc1 }); // 0xc1 is never valid
                var malformed = (Error)(await reader.ReadAsync())!;
                Assert.That(malformed.Code, Is.EqualTo(ErrorCodes.Malformed));

                await stream.WriteAsync(new byte[] { 0xff, 0xff, 0xff, 0x7f }); // a 2 GiB frame
                var tooLarge = (Error)(await reader.ReadAsync())!;
                Assert.That(tooLarge.Code, Is.EqualTo(ErrorCodes.TooLarge));
                Assert.That(await reader.ReadAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.Null, "the connection is closed after framing is lost");
            }

            var sink = new Sink();
            await connection.SendAsync(Request(700, "Still there?"), sink);
            Assert.That(await sink.Done.WaitAsync(TimeSpan.FromSeconds(60)), Is.InstanceOf<Complete>());
        }

        [Test]
        public async Task DeeplyNestedFrameBeforeTheHandshake_DoesNotKillTheWorker()
        {
            using (var raw = new TcpClient())
            {
                await raw.ConnectAsync("127.0.0.1", _worker.Listening.Port);
                var body = new List<byte> { (byte)MessageType.Hello, 0x94, 0x01, 0xa1, (byte)'x', 0xa1, (byte)'y' };
                for (var i = 0; i < 500_000; i++)
                {
                    body.Add(0x91);
                }

                body.Add(0x00);
                var stream = raw.GetStream();
                await stream.WriteAsync(BitConverter.GetBytes(body.Count));
                await stream.WriteAsync(body.ToArray());
                var answer = await new FrameReader(stream).ReadAsync().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.That(((Error)answer!).Code, Is.EqualTo(ErrorCodes.Handshake));
            }

            Assert.That(_worker.Process.HasExited, Is.False);
            using var connection = await Connect();
            Assert.That(await connection.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.GreaterThan(0));
        }

        [Test]
        public async Task TenThousandRandomAndMutatedFrames_NeverTakeTheWorkerDown()
        {
            var random = new Random(99);
            var valid = WireFormat.Encode(Request(1, "Hello there", 4));
            var sent = 0;
            for (var round = 0; round < 20; round++)
            {
                using var raw = new TcpClient();
                await raw.ConnectAsync("127.0.0.1", _worker.Listening.Port);
                var stream = raw.GetStream();
                await WireFormat.WriteAsync(stream, new Hello { Token = _worker.Listening.Token });
                var bytes = new List<byte>();
                for (var i = 0; i < 500; i++, sent++)
                {
                    byte[] body;
                    if (i % 2 == 0)
                    {
                        body = new byte[random.Next(1, 40)];
                        random.NextBytes(body);
                    }
                    else
                    {
                        // A valid Generate frame's payload with a few bytes changed: mostly well-framed but wrong inside.
                        body = valid.AsSpan(4).ToArray();
                        for (var m = random.Next(1, 4); m > 0; m--)
                        {
                            body[random.Next(body.Length)] = (byte)random.Next(256);
                        }
                    }

                    if (body[0] == (byte)MessageType.Shutdown)
                    {
                        body[0] = 0xEE; // a real shutdown command is not bad input
                    }

                    bytes.AddRange(BitConverter.GetBytes(body.Length));
                    bytes.AddRange(body);
                }

                try
                {
                    await stream.WriteAsync(bytes.ToArray());
                    await Task.Delay(20);
                }
                catch (IOException)
                {
                    // The worker may close a connection whose frames make no sense: allowed.
                }
            }

            Assert.That(sent, Is.EqualTo(10_000));
            Assert.That(_worker.Process.HasExited, Is.False);
            using var connection = await Connect();
            Assert.That(await connection.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.GreaterThan(0));
        }
    }
}
