using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Linq;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>Runs the external tools the corpus stage needs (apt-get, dpkg-deb, npm, tar).</summary>
    internal interface IProcessRunner
    {
        /// <summary>Runs <paramref name="fileName"/> and returns its standard output; throws <see cref="CorpusException"/> when it fails.</summary>
        string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory);
    }

    /// <summary>Runs processes for real, without a shell (arguments are passed as they are).</summary>
    internal sealed class ProcessRunner : IProcessRunner
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

        public string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
        {
            var command = FormatCommand(fileName, arguments, workingDirectory);
            var info = new ProcessStartInfo(fileName)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            Process process;
            try
            {
                process = Process.Start(info) ?? throw new CorpusException($"could not start {fileName}.", command);
            }
            catch (Win32Exception e)
            {
                throw new CorpusException($"could not start {fileName}: {e.Message}", command);
            }

            using (process)
            {
                var error = process.StandardError.ReadToEndAsync();
                var output = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(Timeout))
                {
                    process.Kill(entireProcessTree: true);
                    throw new CorpusException($"{fileName} did not finish within {Timeout.TotalMinutes} minutes.", command);
                }

                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    var detail = LastLine(error.Result) ?? LastLine(output.Result) ?? "no message";
                    throw new CorpusException($"{fileName} exited with code {process.ExitCode}: {detail}", command);
                }

                return output.Result;
            }
        }

        /// <summary>The command as a person would type it in a shell: <c>(cd DIR &amp;&amp; apt-get download fortunes)</c>.</summary>
        public static string FormatCommand(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
        {
            var line = string.Join(" ", new[] { fileName }.Concat(arguments).Select(Quote));
            return $"(cd {Quote(workingDirectory)} && {line})";
        }

        private static string Quote(string argument) =>
            argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./=@:%+,".Contains(c))
                ? argument
                : "'" + argument.Replace("'", "'\\''") + "'";

        private static string? LastLine(string text)
        {
            var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            return lines.Count > 0 ? lines[lines.Count - 1] : null;
        }
    }
}
