using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker;
using SteerLM.Npc.Worker.Model;

namespace SteerLM.Npc.Benchmarks
{
    /// <summary><c>frames [--model DIR] [--npcs 1,8,32] [--seconds S] [--json]</c> and <c>ipc [--model DIR] [--json]</c>.</summary>
    internal static class Program
    {
        private static async Task<int> Main(string[] args)
        {
            NativeThreading.PreferPassiveWaiting(); // the in-process baseline must run like the worker does
            if (args.Length == 0 || (args[0] != "frames" && args[0] != "ipc"))
            {
                Console.Error.WriteLine("usage: SteerLM.Npc.Benchmarks frames|ipc [--model DIR] [--json] [--npcs 1,8,32] [--seconds 8]");
                return 2;
            }

            string? Option(string name)
            {
                var at = Array.IndexOf(args, name);
                return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            }

            var json = args.Contains("--json");
            var model = Option("--model") ?? TinyModel();
            var options = new WorkerHostOptions("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll") }, model)
                .WithServeArguments("--max-batch", "32");
            if (args[0] == "frames")
            {
                var npcs = (Option("--npcs") ?? "1,8,32").Split(',').Select(int.Parse).ToArray();
                var seconds = double.Parse(Option("--seconds") ?? "8", System.Globalization.CultureInfo.InvariantCulture);
                await FramesBenchmark.RunAsync(options, npcs, seconds, json);
            }
            else
            {
                await IpcBenchmark.RunAsync(options, model, json);
            }

            return 0;
        }

        /// <summary>An untrained tiny model, made once in the temp folder: the plugin's cost does not depend on the model's quality.</summary>
        private static string TinyModel()
        {
            var path = Path.Combine(Path.GetTempPath(), "steerlm-bench-tiny");
            if (!File.Exists(Path.Combine(path, LlamaModel.WeightsFileName)))
            {
                ModelDirectory.Initialize(path, LlamaConfig.Tiny, Path.Combine(AppContext.BaseDirectory, ModelDirectory.TokenizerFileName), seed: 1);
            }

            return path;
        }
    }
}
