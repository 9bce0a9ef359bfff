using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SteerLM.Npc.Worker.Cli;

namespace SteerLM.Npc.Worker
{
    /// <summary>
    /// The worker's command line: <c>init</c>, <c>generate</c>, <c>bench</c>. Errors print one line naming the problem
    /// and exit non-zero (2 for a command-line mistake, 1 for anything else).
    /// </summary>
    internal static class Program
    {
        private static readonly Dictionary<string, (string Help, Func<string[], int> Run)> Commands = new Dictionary<string, (string, Func<string[], int>)>
        {
            ["init"] = ("init --preset tiny|small --out DIR [--seed N]: write a randomly initialised model directory", InitCommand.Run),
            ["generate"] = ("generate --model DIR --system TEXT --user TEXT --attributes \"humor:4,toxicity:0\" [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty R] [--seed S] [--dtype float32|bfloat16] [--threads N]: print a reply", GenerateCommand.Run),
            ["bench"] = ("bench --model DIR [--streams 1,4,8,16] [--prompt-tokens 200] [--new-tokens 128] [--repeat 3] [--dtype D] [--threads N] [--json]: measure tokens/s and time to first token", BenchCommand.Run),
            ["serve"] = ("serve --model DIR [--port 0] [--host 127.0.0.1] [--token T] [--stdio] [--max-batch 16] [--context N] [--parent-pid P] [--allow-shutdown] [--dtype D] [--threads N]: serve the wire protocol; writes one Listening frame to standard output", ServeCommand.Run),
            ["soak"] = ("soak --model DIR [--lines 10000] [--streams 8] [--max-tokens 16] [--json]: generate many lines and watch memory stay flat", SoakCommand.Run),
        };

        private static int Main(string[] args)
        {
            NativeThreading.PreferPassiveWaiting(); // before libtorch loads: see NativeThreading
            return Run(args);
        }

        /// <summary>Runs a command; the exit code is 0 for success, 1 for a failure, 2 for a command-line mistake.</summary>
        internal static int Run(string[] args)
        {
            if (args.Length == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help")
            {
                PrintUsage(Console.Out);
                return args.Length == 0 ? 2 : 0;
            }

            if (!Commands.TryGetValue(args[0], out var command))
            {
                Console.Error.WriteLine($"error: unknown command '{args[0]}'; the commands are {string.Join(", ", Commands.Keys)}.");
                return 2;
            }

            try
            {
                return command.Run(args.Skip(1).ToArray());
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is FormatException || e is ArgumentException || e is UnauthorizedAccessException || e is InvalidOperationException)
            {
                Console.Error.WriteLine("error: " + OneLine(e.Message));
                return 1;
            }
        }

        private static string OneLine(string message) => message.Replace("\r", " ").Replace("\n", " ");

        private static void PrintUsage(TextWriter output)
        {
            output.WriteLine("SteerLM.Npc.Worker: the inference worker");
            foreach (var command in Commands.Values)
            {
                output.WriteLine("  " + command.Help);
            }
        }
    }
}
