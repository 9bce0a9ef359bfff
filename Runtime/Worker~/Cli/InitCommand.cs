using System;
using System.IO;
using SteerLM.Npc.Worker.Model;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary><c>init --preset tiny|small --out DIR [--seed N]</c>: a randomly initialised model directory.</summary>
    internal static class InitCommand
    {
        public static int Run(string[] args)
        {
            var line = new CommandLine("init", args, new[] { "preset", "out", "seed", "tokenizer" }, Array.Empty<string>());
            var presetName = line.Optional("preset") ?? "tiny";
            var preset = presetName switch
            {
                "tiny" => LlamaConfig.Tiny,
                "small" => LlamaConfig.Small,
                _ => throw new UsageException($"init: --preset is '{presetName}'; the presets are tiny and small."),
            };
            var output = line.Required("out");
            var seed = line.Int("seed", 0, 0, int.MaxValue);
            var tokenizer = line.Optional("tokenizer") ?? Path.Combine(AppContext.BaseDirectory, ModelDirectory.TokenizerFileName);
            if (!File.Exists(tokenizer))
            {
                throw new FileNotFoundException($"Tokenizer not found: {tokenizer}", tokenizer);
            }

            ModelDirectory.Initialize(output, preset, tokenizer, seed);
            using var model = ModelDirectory.Load(output);
            Console.WriteLine($"wrote {output}: {presetName} preset, {model.Model.ParameterCount():N0} parameters, vocabulary {model.Tokenizer.VocabSize}");
            return 0;
        }
    }
}
