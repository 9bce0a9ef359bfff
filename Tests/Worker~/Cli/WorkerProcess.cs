using System;
using System.Diagnostics;
using System.IO;

namespace SteerLM.Npc.Worker.Tests.Cli
{
    /// <summary>Runs the real worker executable (built next to the tests) and captures its output.</summary>
    internal static class WorkerProcess
    {
        public static (int ExitCode, string Output, string Error) Run(params string[] args)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll"));
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the worker");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the worker did not exit within 120 s: " + string.Join(" ", args));
            }

            return (process.ExitCode, output.Result, error.Result);
        }
    }
}
