#nullable enable
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Hosting
{
    /// <summary>How <see cref="WorkerHost"/> starts and watches the worker. Immutable; change with <c>With...</c>.</summary>
    public sealed class WorkerHostOptions
    {
        /// <summary>Creates options.</summary>
        /// <param name="executable">The worker executable, or <c>dotnet</c> with the worker dll in <paramref name="arguments"/>.</param>
        /// <param name="arguments">Arguments before <c>serve</c>.</param>
        /// <param name="modelDirectory">The model directory.</param>
        public WorkerHostOptions(string executable, IReadOnlyList<string> arguments, string modelDirectory)
        {
            Executable = executable;
            Arguments = arguments;
            ModelDirectory = modelDirectory;
        }

        /// <summary>The worker executable.</summary>
        public string Executable { get; }

        /// <summary>Arguments before <c>serve</c>.</summary>
        public IReadOnlyList<string> Arguments { get; }

        /// <summary>The model directory.</summary>
        public string ModelDirectory { get; }

        /// <summary>More <c>serve</c> options.</summary>
        public IReadOnlyList<string> ServeArguments { get; private set; } = Array.Empty<string>();

        /// <summary>Where the worker's process id is kept, so an orphan left by a crashed editor is ended on the next start; null for none.</summary>
        public string? PidFile { get; private set; }

        /// <summary>The schema the game expects; a worker with another is refused. Null accepts any.</summary>
        public AttributeSchema? ExpectedSchema { get; private set; }

        /// <summary>Seconds between pings.</summary>
        public double PingIntervalSeconds { get; private set; } = 1.0;

        /// <summary>Seconds without a pong after which the worker counts as hung and is restarted.</summary>
        public double HangTimeoutSeconds { get; private set; } = 10.0;

        /// <summary>Seconds the model may take to load.</summary>
        public double StartTimeoutSeconds { get; private set; } = 120.0;

        /// <summary>A copy with more serve arguments.</summary>
        public WorkerHostOptions WithServeArguments(params string[] arguments) => With(o => o.ServeArguments = arguments);

        /// <summary>A copy with a pid file.</summary>
        public WorkerHostOptions WithPidFile(string? path) => With(o => o.PidFile = path);

        /// <summary>A copy that requires a schema.</summary>
        public WorkerHostOptions WithExpectedSchema(AttributeSchema? schema) => With(o => o.ExpectedSchema = schema);

        /// <summary>A copy with other watchdog timings.</summary>
        public WorkerHostOptions WithWatchdog(double pingIntervalSeconds, double hangTimeoutSeconds) =>
            With(o => { o.PingIntervalSeconds = pingIntervalSeconds; o.HangTimeoutSeconds = hangTimeoutSeconds; });

        private WorkerHostOptions With(Action<WorkerHostOptions> change)
        {
            var copy = (WorkerHostOptions)MemberwiseClone();
            change(copy);
            return copy;
        }
    }

    /// <summary>
    /// Runs the worker for the game: starts it (ending an orphan from a previous crashed run first), connects, pings it,
    /// notices a crash or a hang, restarts it with backoff and sends the requests that were in flight again, so none is
    /// lost. Every request carries a seed, so a replayed line is the same line. Implements <see cref="IDialogueBackend"/>.
    /// </summary>
    public sealed class WorkerHost : IDialogueBackend, IDisposable
    {
        private static readonly TimeSpan[] Backoff =
        {
            TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8),
        };

        /// <summary>How many times a request is sent again after worker restarts before it fails.</summary>
        public const int MaxReplays = 3;

        private readonly WorkerHostOptions _options;
        private readonly ConcurrentDictionary<long, int> _attempts = new ConcurrentDictionary<long, int>();
        private readonly ConcurrentDictionary<long, (Generate Request, IRequestSink Sink)> _inFlight = new ConcurrentDictionary<long, (Generate, IRequestSink)>();
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly object _gate = new object();
        private LaunchedWorker? _worker;
        private WorkerConnection? _connection;
        private Task? _supervisor;
        private AttributeSchema? _schema;
        private int _disposed;
        private readonly ConcurrentQueue<Outgoing> _outbox = new ConcurrentQueue<Outgoing>();
        private readonly SemaphoreSlim _outboxSignal = new SemaphoreSlim(0);
        private Task? _sender;

        /// <summary>Creates a host; call <see cref="StartAsync"/> (at scene load: the model load and warm-up take a moment).</summary>
        public WorkerHost(WorkerHostOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

        /// <summary>Lines about starts, crashes and restarts (raised on background threads).</summary>
        public event Action<string>? Log;

        /// <inheritdoc />
        public AttributeSchema? Schema => _schema;

        /// <summary>Whether a worker is connected now.</summary>
        public bool IsReady => _connection?.IsConnected == true;

        /// <summary>How many times the worker was restarted.</summary>
        public int Restarts { get; private set; }

        /// <summary>The worker process id, or 0.</summary>
        public int ProcessId => _worker?.Listening.ProcessId ?? 0;

        /// <summary>Requests sent and not yet finished.</summary>
        public int InFlightCount => _inFlight.Count;

        /// <summary>Starts the worker and completes when it is ready; then keeps it running until disposed.</summary>
        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            EndOrphan();
            await LaunchAsync(cancellationToken).ConfigureAwait(false);
            _supervisor = Task.Run(SuperviseAsync);
            _sender = Task.Run(SendLoopAsync);
        }

        /// <inheritdoc />
        /// <remarks>Never blocks and does no I/O on the caller's thread: the request goes to an ordered outbox that a background loop sends.</remarks>
        public void Send(Generate request, IRequestSink sink)
        {
            var relay = new Relay(this, request.RequestId, sink);
            _inFlight[request.RequestId] = (request, relay);
            _outbox.Enqueue(new Outgoing(request, relay, 0));
            _outboxSignal.Release();
        }

        /// <inheritdoc />
        public void Cancel(long requestId)
        {
            if (_inFlight.TryRemove(requestId, out _))
            {
                _outbox.Enqueue(new Outgoing(null, null, requestId));
                _outboxSignal.Release();
            }
        }

        /// <summary>Kills the worker process now (for tests of crash recovery).</summary>
        public void KillWorkerForTest() => _worker?.Process.Kill();

        /// <summary>Asks the worker to shut down, ends it if it does not, and removes the pid file.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            _stopping.Cancel();
            var connection = _connection;
            if (connection != null && connection.IsConnected)
            {
                try
                {
                    connection.SendAsync(new Shutdown()).Wait(TimeSpan.FromSeconds(1));
                }
                catch (AggregateException)
                {
                }
            }

            try
            {
                _supervisor?.Wait(TimeSpan.FromSeconds(5));
                _sender?.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            connection?.Dispose();
            _worker?.Dispose();
            if (_options.PidFile != null)
            {
                try
                {
                    File.Delete(_options.PidFile);
                }
                catch (IOException)
                {
                }
            }

            _stopping.Dispose();
        }

        private async Task LaunchAsync(CancellationToken cancellationToken)
        {
            var worker = await WorkerLauncher.StartAsync(_options.Executable, _options.Arguments, _options.ModelDirectory, _options.ServeArguments,
                TimeSpan.FromSeconds(_options.StartTimeoutSeconds), line => Log?.Invoke("worker: " + line), cancellationToken).ConfigureAwait(false);
            WorkerConnection connection;
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshake.CancelAfter(TimeSpan.FromSeconds(30));
                using (handshake.Token.Register(() => { try { worker.Process.Kill(); } catch (InvalidOperationException) { } }))
                {
                    connection = await WorkerConnection.ConnectAsync("127.0.0.1", worker.Listening.Port, worker.Listening.Token, _options.ExpectedSchema, handshake.Token)
                        .ConfigureAwait(false);
                }
            }
            catch
            {
                worker.Dispose();
                throw;
            }

            lock (_gate)
            {
                _worker?.Dispose();
                _worker = worker;
                _connection = connection;
                _schema = connection.Schema;
            }

            Log?.Invoke($"worker {worker.Listening.ProcessId} ready on port {worker.Listening.Port} ({connection.Ready.ModelId})");
            foreach (var pair in _inFlight)
            {
                var attempts = _attempts.AddOrUpdate(pair.Key, 1, (_, n) => n + 1);
                if (attempts > MaxReplays)
                {
                    // A request that was in flight through several crashes may be what crashes the worker: give up on it.
                    if (_inFlight.TryRemove(pair.Key, out var given))
                    {
                        given.Sink.OnError(new Error { RequestId = pair.Key, Code = ErrorCodes.Internal, Text = $"The worker failed {MaxReplays} times while making this line." });
                    }

                    continue;
                }

                _ = SendQuietly(connection, pair.Value.Request, pair.Value.Sink);
            }

            try
            {
                WritePidFile(worker);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log?.Invoke("could not write the pid file: " + e.Message);
            }
        }

        /// <summary>Sends the outbox in order. While the worker is down, requests stay in flight and are sent again after the restart.</summary>
        private async Task SendLoopAsync()
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    await _outboxSignal.WaitAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                while (_outbox.TryDequeue(out var item))
                {
                    var connection = _connection;
                    if (connection == null || !connection.IsConnected)
                    {
                        continue; // LaunchAsync resends everything still in flight once a worker is back
                    }

                    try
                    {
                        if (item.Request != null)
                        {
                            if (_inFlight.ContainsKey(item.Request.RequestId))
                            {
                                await connection.SendAsync(item.Request, item.Sink!).ConfigureAwait(false);
                            }
                        }
                        else
                        {
                            await connection.CancelAsync(item.CancelId).ConfigureAwait(false);
                        }
                    }
                    catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
                    {
                        // The connection is going down; the supervisor restarts the worker and resends what is in flight.
                    }
                }
            }
        }

        private readonly struct Outgoing
        {
            public Outgoing(Generate? request, IRequestSink? sink, long cancelId)
            {
                Request = request;
                Sink = sink;
                CancelId = cancelId;
            }

            public Generate? Request { get; }

            public IRequestSink? Sink { get; }

            public long CancelId { get; }
        }

        private async Task SuperviseAsync()
        {
            var failures = 0;
            while (!_stopping.IsCancellationRequested)
            {
                var connection = _connection;
                var healthy = connection != null && connection.IsConnected && await PingsInTime(connection).ConfigureAwait(false);
                if (healthy)
                {
                    failures = 0;
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(_options.PingIntervalSeconds), _stopping.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }

                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                Log?.Invoke(connection != null && connection.IsConnected ? "worker hung: restarting" : "worker lost: restarting");
                connection?.Dispose();
                _worker?.Dispose();
                _worker = null;
                _connection = null;
                try
                {
                    await Task.Delay(Backoff[Math.Min(failures, Backoff.Length - 1)], _stopping.Token).ConfigureAwait(false);
                    await LaunchAsync(_stopping.Token).ConfigureAwait(false);
                    Restarts++;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e)
                {
                    // Whatever went wrong, the supervisor must live on: log, back off, try again.
                    failures++;
                    Log?.Invoke($"worker restart failed ({failures}): {e.Message}");
                }
            }
        }

        private async Task<bool> PingsInTime(WorkerConnection connection)
        {
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                limit.CancelAfter(TimeSpan.FromSeconds(_options.HangTimeoutSeconds));
                await connection.PingAsync(limit.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is OperationCanceledException || e is IOException || e is ObjectDisposedException)
            {
                return false;
            }
        }

        private static async Task SendQuietly(WorkerConnection connection, Generate request, IRequestSink sink)
        {
            try
            {
                await connection.SendAsync(request, sink).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
            {
                // The connection is going down; the supervisor resends the request after the restart.
            }
        }

        private void EndOrphan()
        {
            if (_options.PidFile == null || !File.Exists(_options.PidFile))
            {
                return;
            }

            try
            {
                // "workerPid workerStart ownerPid ownerStart": a worker is an orphan only when the host that started it is gone
                // (or is this process). Another live editor or game instance sharing the path keeps its worker.
                var parts = File.ReadAllText(_options.PidFile).Split(' ');
                var pid = int.Parse(parts[0], CultureInfo.InvariantCulture);
                var started = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts.Length >= 4 && IsRunning(int.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture))
                    && int.Parse(parts[2], CultureInfo.InvariantCulture) != Process.GetCurrentProcess().Id)
                {
                    Log?.Invoke($"worker {pid} in {_options.PidFile} belongs to another running host; leaving it");
                    return;
                }

                using var orphan = Process.GetProcessById(pid);
                if (orphan.StartTime.ToUniversalTime().Ticks == started)
                {
                    Log?.Invoke($"ending orphaned worker {pid} from an earlier run");
                    orphan.Kill();
                    orphan.WaitForExit(5000);
                }
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException || e is IndexOutOfRangeException || e is InvalidOperationException
                                      || e is IOException || e is System.ComponentModel.Win32Exception || e is OverflowException)
            {
                // No such process any more, or a stale or foreign file: nothing to end.
            }
        }

        private static bool IsRunning(int pid, long startTicks)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return process.StartTime.ToUniversalTime().Ticks == startTicks;
            }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }

        private void WritePidFile(LaunchedWorker worker)
        {
            if (_options.PidFile == null)
            {
                return;
            }

            var self = Process.GetCurrentProcess();
            File.WriteAllText(_options.PidFile, string.Join(" ",
                worker.Listening.ProcessId.ToString(CultureInfo.InvariantCulture),
                worker.Process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture),
                self.Id.ToString(CultureInfo.InvariantCulture),
                self.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture)));
        }

        /// <summary>Passes answers on, and forgets a request once it is finished; a lost connection is not passed on (the request is resent).</summary>
        private sealed class Relay : IRequestSink
        {
            private readonly WorkerHost _host;
            private readonly long _id;
            private readonly IRequestSink _inner;

            public Relay(WorkerHost host, long id, IRequestSink inner)
            {
                _host = host;
                _id = id;
                _inner = inner;
            }

            public void OnText(TextPiece piece) => _inner.OnText(piece);

            public void OnComplete(Complete complete)
            {
                _host._inFlight.TryRemove(_id, out _);
                _host._attempts.TryRemove(_id, out _);
                _inner.OnComplete(complete);
            }

            public void OnError(Error error)
            {
                if (error.Code == ErrorCodes.Internal && error.Text == WorkerConnection.ConnectionLostText && !_host._stopping.IsCancellationRequested)
                {
                    return; // resent after the restart
                }

                _host._inFlight.TryRemove(_id, out _);
                _host._attempts.TryRemove(_id, out _);
                _inner.OnError(error);
            }
        }
    }
}
