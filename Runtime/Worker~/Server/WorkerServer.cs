using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Server
{
    /// <summary>
    /// Serves the wire protocol: any number of connections, each a handshake (protocol version and the launch token) and
    /// then requests fed to the batching <see cref="Scheduler"/>, with text streamed back as it is made. Bad input gets an
    /// <see cref="Error"/> message (or, when the framing itself is lost, a closed connection); the server and its other
    /// connections carry on.
    /// </summary>
    public sealed class WorkerServer : IDisposable
    {
        private readonly ModelDirectory _model;
        private readonly Scheduler _scheduler;
        private readonly string _token;
        private readonly TimeSpan _handshakeTimeout;
        private readonly bool _allowShutdown;
        private int _disposed;
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly ConcurrentDictionary<Task, byte> _connections = new ConcurrentDictionary<Task, byte>();

        /// <summary>Creates a server over a loaded model and a started scheduler.</summary>
        /// <param name="model">The loaded model.</param>
        /// <param name="scheduler">The started scheduler.</param>
        /// <param name="token">The token clients must present.</param>
        /// <param name="handshakeTimeout">How long a new connection may take to say hello.</param>
        /// <param name="allowShutdown">Whether a client's <see cref="Shutdown"/> stops the server (for a worker owned by one game).</param>
        public WorkerServer(ModelDirectory model, Scheduler scheduler, string token, TimeSpan? handshakeTimeout = null, bool allowShutdown = false)
        {
            _allowShutdown = allowShutdown;
            _model = model;
            _scheduler = scheduler;
            _token = token ?? throw new ArgumentNullException(nameof(token));
            _handshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(5);
        }

        /// <summary>Completes when a client sent <see cref="Shutdown"/> or <see cref="Dispose"/> was called.</summary>
        public CancellationToken Stopping => _stopping.Token;

        /// <summary>Accepts connections on a listener until stopped.</summary>
        public async Task ServeAsync(TcpListener listener)
        {
            using var registration = _stopping.Token.Register(listener.Stop);
            while (!_stopping.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectDisposedException || e is SocketException || e is OperationCanceledException)
                {
                    break;
                }

                client.NoDelay = true;
                Track(Task.Run(async () =>
                {
                    using (client)
                    {
                        await ServeConnectionAsync(client.GetStream()).ConfigureAwait(false);
                    }
                }));
            }
        }

        /// <summary>Serves one connection (a socket, or standard input/output joined into one stream) until it closes.</summary>
        public async Task ServeConnectionAsync(Stream stream)
        {
            var connection = new Connection(this, stream);
            await connection.RunAsync().ConfigureAwait(false);
        }

        /// <summary>Stops accepting, cancels live requests of all connections.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            _stopping.Cancel();
            try
            {
                Task.WaitAll(new List<Task>(_connections.Keys).ToArray(), TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            _stopping.Dispose();
        }

        /// <summary>Scores token ids with the APM head, on the scheduler's thread (the model is used by one thread at a time).</summary>
        internal float[] ScoreIds(int[] ids) => _scheduler.RunOnModelThread(() =>
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var input = TorchSharp.torch.tensor(Array.ConvertAll(ids, i => (long)i), new long[] { 1, ids.Length }, device: _model.Model.Device);
            using var noGrad = TorchSharp.torch.no_grad();
            return _model.Model.Score(input).data<float>().ToArray();
        }).GetAwaiter().GetResult();

        private void Track(Task task)
        {
            _connections[task] = 0;
            task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }

        /// <summary>One client connection: a read loop, a write loop, and its live requests.</summary>
        private sealed class Connection
        {
            private readonly WorkerServer _server;
            private readonly Stream _stream;
            private readonly Channel<Message> _outgoing = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
            private readonly ConcurrentDictionary<long, CancellationTokenSource> _live = new ConcurrentDictionary<long, CancellationTokenSource>();
            private readonly CancellationTokenSource _closed;

            public Connection(WorkerServer server, Stream stream)
            {
                _server = server;
                _stream = stream;
                _closed = CancellationTokenSource.CreateLinkedTokenSource(server._stopping.Token);
            }

            public async Task RunAsync()
            {
                var writer = Task.Run(WriteLoopAsync);
                try
                {
                    await ReadLoopAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is OperationCanceledException || e is SocketException)
                {
                    // The peer went away or the server is stopping.
                }
                finally
                {
                    foreach (var request in _live.Values)
                    {
                        CancelQuietly(request);
                    }

                    _outgoing.Writer.TryComplete();
                    await writer.ConfigureAwait(false);
                    _closed.Cancel();
                    _closed.Dispose();
                }
            }

            private void Send(Message message) => _outgoing.Writer.TryWrite(message);

            private async Task WriteLoopAsync()
            {
                try
                {
                    await foreach (var message in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
                    {
                        await WireFormat.WriteAsync(_stream, message).ConfigureAwait(false);
                        if (message is Error error && error.RequestId == 0 && error.Code == ErrorCodes.Handshake)
                        {
                            break;
                        }
                    }

                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is SocketException)
                {
                }
            }

            private async Task ReadLoopAsync()
            {
                var reader = new FrameReader(_stream);
                if (!await HandshakeAsync(reader).ConfigureAwait(false))
                {
                    return;
                }

                while (!_closed.IsCancellationRequested)
                {
                    Message? message;
                    try
                    {
                        message = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                    }
                    catch (ProtocolException e)
                    {
                        Send(new Error { Code = e.Code, Text = e.Message });
                        if (e.Code == ErrorCodes.TooLarge || e.Message.Contains("closed inside"))
                        {
                            return; // the framing is lost: nothing after this can be trusted
                        }

                        continue;
                    }

                    if (message == null)
                    {
                        return;
                    }

                    Handle(message);
                }
            }

            private async Task<bool> HandshakeAsync(FrameReader reader)
            {
                Message? first;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token))
                {
                    timeout.CancelAfter(_server._handshakeTimeout);
                    try
                    {
                        first = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!_closed.IsCancellationRequested)
                    {
                        Send(new Error { Code = ErrorCodes.Handshake, Text = $"No hello within {_server._handshakeTimeout.TotalSeconds:0.#} s." });
                        return false;
                    }
                    catch (ProtocolException e)
                    {
                        Send(new Error { Code = ErrorCodes.Handshake, Text = "The first message was not a hello: " + e.Message });
                        return false;
                    }
                }

                if (!(first is Hello hello))
                {
                    if (first != null)
                    {
                        Send(new Error { Code = ErrorCodes.Handshake, Text = $"The first message must be a hello, not {first.Type}." });
                    }

                    return false;
                }

                if (hello.ProtocolVersion != WireFormat.ProtocolVersion)
                {
                    Send(new Error { Code = ErrorCodes.Handshake, Text = $"Protocol version {hello.ProtocolVersion} is not supported; this worker speaks {WireFormat.ProtocolVersion}." });
                    return false;
                }

                if (!FixedTimeEquals(hello.Token, _server._token))
                {
                    Send(new Error { Code = ErrorCodes.Handshake, Text = "Wrong token." });
                    return false;
                }

                var model = _server._model;
                Send(new Ready
                {
                    ModelId = model.ModelId,
                    SchemaJson = model.Schema.ToJson(),
                    ContextLength = _server._scheduler.ContextLength,
                    MaxBatch = _server._scheduler.MaxBatch,
                    Capabilities = new List<string>(model.Model.HasScoreHead ? new[] { "generate", "cancel", "score" } : new[] { "generate", "cancel" })
                    {
                        model.Model.Device.type == TorchSharp.DeviceType.CUDA ? "cuda" : "cpu",
                    },
                });
                return true;
            }

            private void Handle(Message message)
            {
                switch (message)
                {
                    case Generate generate:
                        StartGenerate(generate);
                        break;
                    case Cancel cancel:
                        if (_live.TryGetValue(cancel.RequestId, out var source))
                        {
                            CancelQuietly(source);
                        }

                        break;
                    case Ping ping:
                        // Answered at once, unless the model's thread is stuck on a step: then silence, and the host restarts the worker.
                        if (!_server._scheduler.IsStalled(TimeSpan.FromSeconds(5)))
                        {
                            Send(new Pong { Nonce = ping.Nonce });
                        }

                        break;
                    case Score score:
                        ScoreLine(score);
                        break;
                    case Shutdown _ when _server._allowShutdown:
                        _server._stopping.Cancel();
                        break;
                    case Shutdown _:
                        Send(new Error { Code = ErrorCodes.BadRequest, Text = "This worker is shared: it does not accept shutdown from clients." });
                        break;
                    case Hello _:
                        Send(new Error { Code = ErrorCodes.BadRequest, Text = "The handshake is already done." });
                        break;
                    default:
                        Send(new Error { Code = ErrorCodes.BadRequest, Text = $"A worker does not accept {message.Type} messages." });
                        break;
                }
            }

            private void StartGenerate(Generate request)
            {
                var model = _server._model;
                int[] prompt;
                AttributeValues attributes;
                SamplingSettings settings;
                try
                {
                    attributes = AttributeValues.FromDictionary(model.Schema, request.Attributes);
                }
                catch (ArgumentException e)
                {
                    Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.BadAttributes, Text = e.Message });
                    return;
                }

                try
                {
                    if (request.MaxTokens < 1 || request.MaxTokens > 4096)
                    {
                        throw new ArgumentOutOfRangeException(nameof(request.MaxTokens), request.MaxTokens, $"max_tokens is {request.MaxTokens}; it must lie in 1..4096.");
                    }

                    settings = new SamplingSettings(request.Temperature, request.TopK, request.TopP, request.RepetitionPenalty, seed: request.Seed);
                    var turns = new List<PromptTurn>(request.History.Count + 1);
                    foreach (var turn in request.History)
                    {
                        turns.Add(turn.IsCharacter ? PromptTurn.Assistant(turn.Text, turn.Attributes) : PromptTurn.User(turn.Text));
                    }

                    turns.Add(PromptTurn.User(request.PlayerLine));
                    prompt = model.EncodePrompt(request.System, turns, attributes);
                }
                catch (ArgumentException e)
                {
                    Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.BadRequest, Text = e.Message.Split('\n')[0] });
                    return;
                }

                var cancel = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                if (!_live.TryAdd(request.RequestId, cancel))
                {
                    cancel.Dispose();
                    Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.BadRequest, Text = $"Request {request.RequestId} is already running on this connection." });
                    return;
                }

                var sequence = 0;
                var id = request.RequestId;
                DateTime? deadline = request.DeadlineMs > 0 ? DateTime.UtcNow.AddMilliseconds(request.DeadlineMs) : (DateTime?)null;
                var work = new GenerationRequest(prompt, settings, request.MaxTokens,
                    onText: text => Send(new TextPiece { RequestId = id, Sequence = sequence++, Text = text }),
                    deadline: deadline, cancellationToken: cancel.Token, priority: request.Priority);
                _server._scheduler.Submit(work).ContinueWith(task =>
                {
                    _live.TryRemove(id, out _);
                    cancel.Dispose();
                    var result = task.Result;
                    if (result.FinishReason == FinishReason.Error)
                    {
                        Send(new Error { RequestId = id, Code = ErrorCodes.Internal, Text = result.Error ?? "generation failed" });
                        return;
                    }

                    Send(new Complete
                    {
                        RequestId = id,
                        Sequence = sequence,
                        Text = result.Text,
                        FinishReason = ToWire(result.FinishReason),
                        PromptTokens = result.PromptTokens,
                        CompletionTokens = result.Tokens.Count,
                        TimeToFirstTokenMs = (float)result.TimeToFirstTokenMs,
                        TotalMs = (float)result.TotalMs,
                        Seed = result.Seed,
                    });
                }, TaskScheduler.Default);
            }

            /// <summary>The APM's values for a reply: the model's regression head on the conversation's last token.</summary>
            private void ScoreLine(Score request)
            {
                var model = _server._model;
                if (!model.Model.HasScoreHead)
                {
                    Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.BadRequest, Text = $"Model '{model.ModelId}' has no attribute prediction head (score.weight)." });
                    return;
                }

                Task.Run(() =>
                {
                    try
                    {
                        var text = SteerLMTemplate.FormatConversation(request.System, new[] { PromptTurn.User(request.PlayerLine), PromptTurn.Assistant(request.Reply) });
                        var ids = model.Tokenizer.Encode(text, addBos: true);
                        var values = _server.ScoreIds(ids);
                        var result = new ScoreResult { RequestId = request.RequestId };
                        for (var i = 0; i < values.Length && i < model.Schema.Count; i++)
                        {
                            result.Values[model.Schema[i].Name] = values[i];
                        }

                        Send(result);
                    }
                    catch (ArgumentException e)
                    {
                        Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.BadRequest, Text = e.Message.Split('\n')[0] });
                    }
                    catch (Exception e)
                    {
                        Send(new Error { RequestId = request.RequestId, Code = ErrorCodes.Internal, Text = "Scoring failed: " + e.GetBaseException().Message });
                    }
                });
            }

            /// <summary>A request may finish (and dispose its source) between the lookup and the cancel: that is not an error.</summary>
            private static void CancelQuietly(CancellationTokenSource source)
            {
                try
                {
                    source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }

            private static string ToWire(FinishReason reason) => reason switch
            {
                FinishReason.Stop => "stop",
                FinishReason.StopString => "stop_string",
                FinishReason.Length => "length",
                FinishReason.ContextFull => "context_full",
                FinishReason.Cancelled => "cancelled",
                FinishReason.Deadline => "deadline",
                _ => "error",
            };

            private static bool FixedTimeEquals(string a, string b)
            {
                var x = System.Text.Encoding.UTF8.GetBytes(a ?? "");
                var y = System.Text.Encoding.UTF8.GetBytes(b);
                return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(x, y);
            }
        }
    }
}
