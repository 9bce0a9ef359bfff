using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Worker.Generation;
using SteerLM.Npc.Worker.Server;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary>
    /// <c>serve --model DIR</c>: loads the model, listens on 127.0.0.1 (a free port unless <c>--port</c>), and writes one
    /// <see cref="Listening"/> frame (port, per-launch token, pid) to standard output; logs go to standard error. With
    /// <c>--stdio</c> the protocol runs over standard input/output instead. <c>--host</c> with an explicit <c>--token</c>
    /// serves other machines (a shared inference box). <c>--parent-pid</c> makes the worker exit when its launcher dies;
    /// <c>--allow-shutdown</c> lets a client's Shutdown message stop it (the launcher passes it; a shared worker leaves it off).
    /// </summary>
    internal static class ServeCommand
    {
        public static int Run(string[] args)
        {
            var line = new CommandLine("serve", args,
                new[] { "model", "host", "port", "token", "max-batch", "context", "parent-pid", "handshake-timeout-ms", "dtype", "threads" }, new[] { "stdio", "allow-shutdown" });
            var modelPath = line.Required("model");
            var host = line.Optional("host") ?? "127.0.0.1";
            var port = line.Int("port", 0, 0, 65535);
            var token = line.Optional("token");
            var maxBatch = line.Int("max-batch", 16, 1, 256);
            var context = line.Int("context", 0, 0, 1_000_000);
            var parentPid = line.Int("parent-pid", 0, 0, int.MaxValue);
            var stdio = line.Flag("stdio");
            var handshakeTimeout = TimeSpan.FromMilliseconds(line.Int("handshake-timeout-ms", 5000, 10, 600_000));
            if (!IPAddress.TryParse(host, out var address))
            {
                throw new UsageException($"serve: --host is '{host}'; it takes an IP address such as 127.0.0.1.");
            }

            if (!IPAddress.IsLoopback(address) && string.IsNullOrEmpty(token))
            {
                throw new UsageException("serve: listening beyond the loopback address needs an explicit --token shared with the clients.");
            }

            token ??= stdio ? "" : Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            var dtype = RuntimeOptions.Apply(line);
            var log = Console.Error;
            var watch = Stopwatch.StartNew();
            using var model = ModelDirectory.Load(modelPath, dtype);
            using var scheduler = new Scheduler(model.Model, model.Tokenizer, maxBatch,
                context == 0 ? Math.Min(2048, model.Model.Config.MaxPositionEmbeddings) : context);
            WarmUp(model, scheduler);
            scheduler.Start();
            using var server = new WorkerServer(model, scheduler, token, handshakeTimeout, allowShutdown: line.Flag("allow-shutdown"));
            WatchParent(parentPid, server);
            var stdout = Console.OpenStandardOutput();
            log.WriteLine($"serve: {model.ModelId} loaded and warmed up in {watch.ElapsedMilliseconds} ms");

            if (stdio)
            {
                WireFormat.WriteAsync(stdout, new Listening { Port = 0, Token = token, ProcessId = Environment.ProcessId, ModelId = model.ModelId }).GetAwaiter().GetResult();
                stdout.Flush();
                using var duplex = new DuplexStream(Console.OpenStandardInput(), stdout);
                server.ServeConnectionAsync(duplex).GetAwaiter().GetResult();
                return 0;
            }

            var listener = new TcpListener(address, port);
            listener.Start();
            var actualPort = ((IPEndPoint)listener.LocalEndpoint).Port;
            WireFormat.WriteAsync(stdout, new Listening { Port = actualPort, Token = token, ProcessId = Environment.ProcessId, ModelId = model.ModelId }).GetAwaiter().GetResult();
            stdout.Flush();
            log.WriteLine($"serve: listening on {address}:{actualPort}");
            server.ServeAsync(listener).GetAwaiter().GetResult();
            log.WriteLine("serve: shutting down");
            return 0;
        }

        /// <summary>One short generation before reporting ready, so the first player's line does not pay for JIT and allocator warm-up.</summary>
        private static void WarmUp(ModelDirectory model, Scheduler scheduler)
        {
            var prompt = model.EncodePrompt("You are a character.", new[] { Steering.PromptTurn.User("Hello.") }, model.Schema.Defaults());
            scheduler.Generate(new GenerationRequest(prompt, SamplingSettings.Greedy, 4, ignoreEndOfTurn: true));
        }

        private static void WatchParent(int parentPid, WorkerServer server)
        {
            if (parentPid == 0)
            {
                return;
            }

            Process parent;
            try
            {
                parent = Process.GetProcessById(parentPid);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"serve: --parent-pid {parentPid} is not a running process.");
            }

            Task.Run(async () =>
            {
                await parent.WaitForExitAsync().ConfigureAwait(false);
                Console.Error.WriteLine($"serve: parent process {parentPid} exited; stopping");
                server.Dispose();
                Environment.Exit(0);
            });
        }

        /// <summary>Standard input and output joined into one stream for the protocol.</summary>
        private sealed class DuplexStream : Stream
        {
            private readonly Stream _input;
            private readonly Stream _output;

            public DuplexStream(Stream input, Stream output)
            {
                _input = input;
                _output = output;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() => _output.Flush();
            public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);
            public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);
            public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            {
                await _output.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
