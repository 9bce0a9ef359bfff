using System;
using System.IO;
using SteerLM.Npc.Worker;
using SteerLM.Npc.Worker.Model;

namespace SteerLM.Npc.Worker.Tests.Generation
{
    /// <summary>A randomly initialised tiny model directory, made once per test run in a temporary folder.</summary>
    internal static class TinyModel
    {
        private static readonly Lazy<string> Directory = new Lazy<string>(() =>
        {
            var path = Path.Combine(Path.GetTempPath(), "steerlm-tests-tiny-" + Environment.ProcessId);
            ModelDirectory.Initialize(path, LlamaConfig.Tiny, Path.Combine(AppContext.BaseDirectory, ModelDirectory.TokenizerFileName), seed: 7);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    System.IO.Directory.Delete(path, recursive: true);
                }
                catch (IOException)
                {
                }
            };
            return path;
        });

        public static string Path_ => Directory.Value;

        public static ModelDirectory Load() => ModelDirectory.Load(Directory.Value);
    }
}
