#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Protocol;

namespace SteerLM.Npc.Hosting
{
    /// <summary>A started worker process and where it listens.</summary>
    public sealed class LaunchedWorker : IDisposable
    {
        internal LaunchedWorker(Process process, Listening listening)
        {
            Process = process;
            Listening = listening;
        }

        /// <summary>The worker process.</summary>
        public Process Process { get; }

        /// <summary>Its port and token.</summary>
        public Listening Listening { get; }

        /// <summary>Ends the worker (the whole process tree) if it is still running.</summary>
        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill();
                    Process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            Process.Dispose();
        }
    }

    /// <summary>
    /// Starts a worker process and waits for its <see cref="Listening"/> frame on standard output (readiness is a protocol
    /// frame, never parsed from text). Paths with spaces are passed as single arguments.
    /// </summary>
    public static class WorkerLauncher
    {
        /// <summary>Starts <c>serve</c> and returns once the worker listens.</summary>
        /// <param name="executable">The worker executable, or <c>dotnet</c> with the worker's dll first in <paramref name="arguments"/>.</param>
        /// <param name="arguments">Arguments before <c>serve</c> (for <c>dotnet</c>: the dll path).</param>
        /// <param name="modelDirectory">The model directory.</param>
        /// <param name="extraArguments">More <c>serve</c> options, e.g. <c>--max-batch 8</c>.</param>
        /// <param name="timeout">How long the model may take to load.</param>
        /// <param name="log">Receives the worker's standard error lines (on a background thread).</param>
        /// <param name="cancellationToken">Cancels the launch (the process is ended).</param>
        public static async Task<LaunchedWorker> StartAsync(string executable, IEnumerable<string> arguments, string modelDirectory,
            IEnumerable<string>? extraArguments = null, TimeSpan? timeout = null, Action<string>? log = null, CancellationToken cancellationToken = default)
        {
            var info = new ProcessStartInfo(executable)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = false,
                CreateNoWindow = true,
            };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            // The worker shares cores with the game: OpenMP threads that spin between operations would starve both.
            if (!info.Environment.ContainsKey("OMP_WAIT_POLICY"))
            {
                info.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
            }

            info.ArgumentList.Add("serve");
            info.ArgumentList.Add("--model");
            info.ArgumentList.Add(modelDirectory);
            info.ArgumentList.Add("--parent-pid");
            info.ArgumentList.Add(Process.GetCurrentProcess().Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add("--allow-shutdown"); // this worker belongs to this game: it may tell it to stop
            foreach (var argument in extraArguments ?? Array.Empty<string>())
            {
                info.ArgumentList.Add(argument);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the worker '{executable}'.");
            var errors = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data == null)
                {
                    return;
                }

                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }

                log?.Invoke(e.Data);
            };
            process.BeginErrorReadLine();
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));

                // Some runtimes (Mono, Windows pipes) ignore cancellation on a pipe read: ending the process ends the read too.
                using var killOnTimeout = limit.Token.Register(() =>
                {
                    try
                    {
                        process.Kill();
                    }
                    catch (InvalidOperationException)
                    {
                    }
                });
                var reader = new FrameReader(process.StandardOutput.BaseStream);
                Message? first;
                try
                {
                    first = await reader.ReadAsync(limit.Token).ConfigureAwait(false);
                }
                catch (Exception e) when ((e is OperationCanceledException || e is IOException || e is ProtocolException) && limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"The worker did not report ready within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0} s. {Tail(errors)}");
                }

                if (first is Listening listening)
                {
                    return new LaunchedWorker(process, listening);
                }

                process.WaitForExit(2000);
                throw new InvalidOperationException(first == null
                    ? $"The worker exited before it was ready (exit code {(process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")}). {Tail(errors)}"
                    : $"The worker's first frame was {first.Type}, not Listening.");
            }
            catch
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                    }
                }
                catch (InvalidOperationException)
                {
                }

                process.Dispose();
                throw;
            }
        }

        private static string Tail(System.Text.StringBuilder errors)
        {
            lock (errors)
            {
                var text = errors.ToString().Trim();
                return text.Length == 0 ? "" : "Its last words: " + (text.Length > 600 ? text.Substring(text.Length - 600) : text);
            }
        }
    }
}
