using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SteerLM.Npc.Training.Cli;
using SteerLM.Npc.Training.Stages;

namespace SteerLM.Npc.Training
{
    /// <summary>
    /// The training tool's command line: <c>SteerLM.Npc.Training &lt;stage&gt; [options]</c>. Each stage is an
    /// <see cref="IStage"/> in Stages/. Exit codes: 0 success, 1 the stage failed, 2 a command-line mistake.
    /// </summary>
    internal static class Program
    {
        /// <summary>Every stage, in pipeline order. Later stages (tokenizer, pretrain, apm, annotate, sft, bootstrap,
        /// evaluate, export) are added here as they are written.</summary>
        internal static readonly IReadOnlyList<IStage> Stages = new IStage[]
        {
            new CorpusStage(),
            new PretrainStage(),
            new ExportStage(),
        };

        private static int Main(string[] args)
        {
            Worker.NativeThreading.PreferPassiveWaiting(); // before libtorch loads: OpenMP threads must not spin on shared cores
            return Run(args, Console.Out, Console.Error);
        }

        /// <summary>Dispatches <paramref name="args"/> to a stage; the writers receive usage text and errors.</summary>
        internal static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            if (args.Count == 0)
            {
                PrintUsage(error);
                return 2;
            }

            if (args[0] == "--help" || args[0] == "-h" || args[0] == "help")
            {
                PrintUsage(output);
                return 0;
            }

            var stage = Stages.FirstOrDefault(s => s.Name == args[0]);
            if (stage == null)
            {
                error.WriteLine($"error: unknown command '{args[0]}'.");
                PrintUsage(error);
                return 2;
            }

            try
            {
                return stage.Run(args.Skip(1).ToArray());
            }
            catch (UsageException e)
            {
                error.WriteLine($"error: {stage.Name}: {e.Message}");
                error.WriteLine($"Run '{stage.Name} --help' for its options.");
                return 2;
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException || e is InvalidOperationException)
            {
                error.WriteLine($"error: {stage.Name}: {OneLine(e.Message)}");
                return 1;
            }
        }

        private static string OneLine(string message) => message.Replace("\r", " ").Replace("\n", " ");

        private static void PrintUsage(TextWriter writer)
        {
            writer.WriteLine("usage: SteerLM.Npc.Training <command> [options]   (<command> --help for its options)");
            writer.WriteLine();
            writer.WriteLine("commands:");
            var width = Stages.Max(s => s.Name.Length);
            foreach (var stage in Stages)
            {
                writer.WriteLine($"  {stage.Name.PadRight(width)}  {stage.Description}");
            }
        }
    }
}
