#nullable enable
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Hosting
{
    /// <summary>Receives what the worker sends about one request. Called on the connection's reader thread: hand it on, do not block.</summary>
    public interface IRequestSink
    {
        /// <summary>New text of the line.</summary>
        void OnText(TextPiece piece);

        /// <summary>The line is finished.</summary>
        void OnComplete(Complete complete);

        /// <summary>The request failed (bad attributes, bad settings, an internal error) or the connection was lost.</summary>
        void OnError(Error error);
    }

    /// <summary>The worker refused the handshake or announced something the game cannot use.</summary>
    public sealed class WorkerHandshakeException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public WorkerHandshakeException(string message) : base(message)
        {
        }
    }

    /// <summary>
    /// One connection to a worker: handshake, then requests and their streamed answers. Thread-safe for sending; answers
    /// arrive on a background reader and go to each request's <see cref="IRequestSink"/>.
    /// </summary>
    public sealed class WorkerConnection : IDisposable
    {
        private readonly TcpClient? _client;
        private readonly Stream _stream;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly ConcurrentDictionary<long, IRequestSink> _requests = new ConcurrentDictionary<long, IRequestSink>();
        private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _pings = new ConcurrentDictionary<long, TaskCompletionSource<long>>();
        private readonly ConcurrentDictionary<long, TaskCompletionSource<ScoreResult>> _scores = new ConcurrentDictionary<long, TaskCompletionSource<ScoreResult>>();
        private readonly CancellationTokenSource _closing = new CancellationTokenSource();
        private Task _reader = Task.CompletedTask;
        private long _nextPing;

        private WorkerConnection(TcpClient? client, Stream stream, Ready ready, AttributeSchema schema)
        {
            _client = client;
            _stream = stream;
            Ready = ready;
            Schema = schema;
        }

        /// <summary>What the worker announced: model, context length, batch size, capabilities.</summary>
        public Ready Ready { get; }

        /// <summary>The attribute schema of the worker's model; validate names against it before sending.</summary>
        public AttributeSchema Schema { get; }

        /// <summary>The error text given to live requests when the connection is lost.</summary>
        public const string ConnectionLostText = "The connection to the worker was lost.";

        /// <summary>Raised once when the connection is lost (the worker crashed, exited, or broke the protocol).</summary>
        public event Action<Exception?>? Disconnected;

        /// <summary>Whether the connection is still up.</summary>
        public bool IsConnected => !_reader.IsCompleted;

        /// <summary>Connects over TCP (Nagle off) and completes the handshake.</summary>
        /// <param name="host">The worker's address, usually 127.0.0.1.</param>
        /// <param name="port">Its port.</param>
        /// <param name="token">The token the worker printed in its <see cref="Listening"/> frame (or was started with).</param>
        /// <param name="expectedSchema">When set, the worker's schema must be compatible with it, or the connection is refused.</param>
        /// <param name="cancellationToken">Cancels the attempt.</param>
        public static async Task<WorkerConnection> ConnectAsync(string host, int port, string token, AttributeSchema? expectedSchema = null, CancellationToken cancellationToken = default)
        {
            var client = new TcpClient { NoDelay = true };
            try
            {
                using (cancellationToken.Register(client.Dispose))
                {
                    await client.ConnectAsync(host, port).ConfigureAwait(false);
                }

                return await HandshakeAsync(client, client.GetStream(), token, expectedSchema, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        /// <summary>Completes the handshake over an already connected stream (standard input/output of a worker, or a test pipe).</summary>
        public static Task<WorkerConnection> OpenAsync(Stream stream, string token, AttributeSchema? expectedSchema = null, CancellationToken cancellationToken = default) =>
            HandshakeAsync(null, stream, token, expectedSchema, cancellationToken);

        private static async Task<WorkerConnection> HandshakeAsync(TcpClient? client, Stream stream, string token, AttributeSchema? expectedSchema, CancellationToken cancellationToken)
        {
            await WireFormat.WriteAsync(stream, new Hello { Token = token, ClientName = "SteerLM.Npc" }, cancellationToken).ConfigureAwait(false);
            var reader = new FrameReader(stream);
            var answer = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            switch (answer)
            {
                case Ready ready:
                    if (ready.ProtocolVersion != WireFormat.ProtocolVersion)
                    {
                        throw new WorkerHandshakeException($"The worker speaks protocol {ready.ProtocolVersion}; this game speaks {WireFormat.ProtocolVersion}.");
                    }

                    AttributeSchema schema;
                    try
                    {
                        schema = AttributeSchema.FromJson(ready.SchemaJson, $"schema announced by worker model '{ready.ModelId}'");
                    }
                    catch (FormatException e)
                    {
                        throw new WorkerHandshakeException(e.Message);
                    }

                    if (expectedSchema != null && !schema.IsCompatibleWith(expectedSchema))
                    {
                        throw new WorkerHandshakeException(
                            $"The worker's model '{ready.ModelId}' uses schema '{schema.Id}' ({string.Join(",", schema.Names)}), " +
                            $"but the game expects '{expectedSchema.Id}' ({string.Join(",", expectedSchema.Names)}).");
                    }

                    var connection = new WorkerConnection(client, stream, ready, schema);
                    connection._reader = Task.Run(() => connection.ReadLoopAsync(reader));
                    return connection;
                case Error error:
                    throw new WorkerHandshakeException("The worker refused the connection: " + error.Text);
                case null:
                    throw new WorkerHandshakeException("The worker closed the connection during the handshake.");
                default:
                    throw new WorkerHandshakeException($"The worker answered the hello with {answer.Type}.");
            }
        }

        /// <summary>Sends a request; its answers go to <paramref name="sink"/>. Request ids must be unique among live requests.</summary>
        public Task SendAsync(Generate request, IRequestSink sink, CancellationToken cancellationToken = default)
        {
            if (!_requests.TryAdd(request.RequestId, sink))
            {
                throw new InvalidOperationException($"Request {request.RequestId} is already live on this connection.");
            }

            return SendAsync((Message)request, cancellationToken);
        }

        /// <summary>Asks the worker to stop a request; its completion reports <c>cancelled</c>.</summary>
        public Task CancelAsync(long requestId, CancellationToken cancellationToken = default) =>
            SendAsync(new Cancel { RequestId = requestId }, cancellationToken);

        /// <summary>The attribute prediction model's values for a reply (the worker's model must have an APM head).</summary>
        /// <exception cref="InvalidOperationException">The worker refused (no APM head, bad text); the message says why.</exception>
        public async Task<ScoreResult> ScoreAsync(Score request, CancellationToken cancellationToken = default)
        {
            var answer = new TaskCompletionSource<ScoreResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_scores.TryAdd(request.RequestId, answer))
            {
                throw new InvalidOperationException($"Score request {request.RequestId} is already waiting.");
            }

            await SendAsync(request, cancellationToken).ConfigureAwait(false);
            using (cancellationToken.Register(() => answer.TrySetCanceled()))
            {
                return await answer.Task.ConfigureAwait(false);
            }
        }

        /// <summary>Round trip of a ping, in <see cref="Stopwatch"/> ticks.</summary>
        public async Task<long> PingAsync(CancellationToken cancellationToken = default)
        {
            var nonce = Interlocked.Increment(ref _nextPing);
            var pong = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pings[nonce] = pong;
            var started = Stopwatch.GetTimestamp();
            await SendAsync(new Ping { Nonce = nonce }, cancellationToken).ConfigureAwait(false);
            using (cancellationToken.Register(() => pong.TrySetCanceled()))
            {
                var arrived = await pong.Task.ConfigureAwait(false);
                return arrived - started;
            }
        }

        /// <summary>Sends any message (for tools and tests).</summary>
        public async Task SendAsync(Message message, CancellationToken cancellationToken = default)
        {
            var frame = WireFormat.Encode(message);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        /// <summary>Closes the connection; live requests get an error.</summary>
        public void Dispose()
        {
            _closing.Cancel();
            _stream.Dispose();
            _client?.Dispose();
            try
            {
                _reader.Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }
        }

        private async Task ReadLoopAsync(FrameReader reader)
        {
            Exception? failure = null;
            try
            {
                while (true)
                {
                    var message = await reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                    if (message == null)
                    {
                        break;
                    }

                    Dispatch(message);
                }
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is ProtocolException || e is OperationCanceledException || e is SocketException)
            {
                failure = _closing.IsCancellationRequested ? null : e;
            }

            foreach (var pair in _requests)
            {
                if (_requests.TryRemove(pair.Key, out var sink))
                {
                    sink.OnError(new Error { RequestId = pair.Key, Code = ErrorCodes.Internal, Text = ConnectionLostText });
                }
            }

            foreach (var scoring in _scores.Values)
            {
                scoring.TrySetException(new IOException(ConnectionLostText));
            }

            foreach (var ping in _pings.Values)
            {
                ping.TrySetException(new IOException("The connection to the worker was lost."));
            }

            Disconnected?.Invoke(failure);
        }

        private void Dispatch(Message message)
        {
            switch (message)
            {
                case TextPiece piece when _requests.TryGetValue(piece.RequestId, out var sink):
                    sink.OnText(piece);
                    break;
                case Complete complete when _requests.TryRemove(complete.RequestId, out var sink):
                    sink.OnComplete(complete);
                    break;
                case Error error when error.RequestId != 0 && _requests.TryRemove(error.RequestId, out var sink):
                    sink.OnError(error);
                    break;
                case Error error when error.RequestId != 0 && _scores.TryRemove(error.RequestId, out var scoring):
                    scoring.TrySetException(new InvalidOperationException(error.Text));
                    break;
                case ScoreResult score when _scores.TryRemove(score.RequestId, out var scoring):
                    scoring.TrySetResult(score);
                    break;
                case Pong pong when _pings.TryRemove(pong.Nonce, out var waiting):
                    waiting.TrySetResult(Stopwatch.GetTimestamp());
                    break;
            }
        }
    }
}
