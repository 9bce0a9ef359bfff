using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Tests.Generation;

namespace SteerLM.Npc.Worker.Tests.Server
{
    [NonParallelizable]
    public class TransportTests
    {
        private static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll");

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
        public async Task StandardInputOutput_CarriesTheProtocol()
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { WorkerDll, "serve", "--model", TinyModel.Path_, "--stdio", "--context", "256" })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            try
            {
                var output = process.StandardOutput.BaseStream;
                var listening = (Listening)(await new FrameReader(output).ReadAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
                Assert.That(listening.Port, Is.EqualTo(0));

                using var pipe = new JoinedStream(output, process.StandardInput.BaseStream);
                using var connection = await WorkerConnection.OpenAsync(pipe, listening.Token, AttributeSchemas.Npc);
                var sink = new Sink();
                await connection.SendAsync(new Generate { RequestId = 1, System = "S", PlayerLine = "Hello", Seed = 1, MaxTokens = 6 }, sink);

                Assert.That(await sink.Done.Task.WaitAsync(TimeSpan.FromSeconds(60)), Is.InstanceOf<Complete>());
            }
            finally
            {
                process.Kill();
            }
        }

        [Test]
        public async Task ModelPathWithSpaces_Works()
        {
            var spaced = Path.Combine(Path.GetTempPath(), "steerlm tests " + Guid.NewGuid().ToString("N"), "my model dir");
            Directory.CreateDirectory(spaced);
            try
            {
                foreach (var file in Directory.GetFiles(TinyModel.Path_))
                {
                    File.Copy(file, Path.Combine(spaced, Path.GetFileName(file)));
                }

                using var worker = await WorkerLauncher.StartAsync("dotnet", new[] { WorkerDll }, spaced, null, TimeSpan.FromSeconds(60));
                using var connection = await WorkerConnection.ConnectAsync("127.0.0.1", worker.Listening.Port, worker.Listening.Token);
                Assert.That(connection.Ready.ModelId, Is.EqualTo("my model dir"));
            }
            finally
            {
                Directory.Delete(Path.GetDirectoryName(spaced)!, recursive: true);
            }
        }

        [Test]
        public async Task RemoteHost_NeedsAnExplicitToken_AndAcceptsIt()
        {
            var refused = WorkerProcessRun(WorkerDll, "serve", "--model", TinyModel.Path_, "--host", "0.0.0.0");
            Assert.That(refused.ExitCode, Is.EqualTo(2));
            Assert.That(refused.Error, Does.Contain("--token"));

            using var worker = await WorkerLauncher.StartAsync("dotnet", new[] { WorkerDll }, TinyModel.Path_,
                new[] { "--host", "127.0.0.1", "--port", "0", "--token", "shared-secret" }, TimeSpan.FromSeconds(60));
            Assert.That(worker.Listening.Token, Is.EqualTo("shared-secret"));
            using var connection = await WorkerConnection.ConnectAsync("localhost", worker.Listening.Port, "shared-secret");
            Assert.That(await connection.PingAsync(), Is.GreaterThan(0));
        }

        [Test]
        public async Task SharedWorker_RefusesShutdownFromAClient()
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { WorkerDll, "serve", "--model", TinyModel.Path_, "--token", "t" })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            try
            {
                var listening = (Listening)(await new FrameReader(process.StandardOutput.BaseStream).ReadAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
                using var connection = await WorkerConnection.ConnectAsync("127.0.0.1", listening.Port, "t");
                await connection.SendAsync(new Shutdown());
                await Task.Delay(300);

                Assert.That(process.HasExited, Is.False);
                Assert.That(await connection.PingAsync(), Is.GreaterThan(0));
            }
            finally
            {
                process.Kill();
            }
        }

        private static (int ExitCode, string Error) WorkerProcessRun(params string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in args)
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit(60_000);
            return (process.ExitCode, error);
        }

        /// <summary>A child's standard output (read) and standard input (write) as one stream.</summary>
        private sealed class JoinedStream : Stream
        {
            private readonly Stream _read;
            private readonly Stream _write;

            public JoinedStream(Stream read, Stream write)
            {
                _read = read;
                _write = write;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() => _write.Flush();
            public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);
            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, System.Threading.CancellationToken cancellationToken) => _read.ReadAsync(buffer, offset, count, cancellationToken);
            public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);
            public override async Task WriteAsync(byte[] buffer, int offset, int count, System.Threading.CancellationToken cancellationToken)
            {
                await _write.WriteAsync(buffer, offset, count, cancellationToken);
                await _write.FlushAsync(cancellationToken);
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
