using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Training.Cli;
using SteerLM.Npc.Training.Core;
using SteerLM.Npc.Worker;
using SteerLM.Npc.Worker.Model;
using SteerLM.Npc.Worker.Tokenization;
using TorchSharp;

namespace SteerLM.Npc.Training.Stages
{
    /// <summary>
    /// <c>pretrain</c>: causal language modelling on the corpus stage's text. Resumable: run it again with the same
    /// <c>--out</c> and it continues from the last checkpoint. The best held-out model becomes <c>OUT/model</c>, a full
    /// model directory (weights, config, tokenizer, schema) that later stages start from.
    /// </summary>
    internal sealed class PretrainStage : IStage
    {
        private static readonly ArgumentParser Parser = new ArgumentParser(
                "pretrain --corpus DIR --tokenizer FILE --out DIR [--preset tiny|small] [--steps N] [--batch N] [--seq N] [--lr X] [--warmup N] [--eval-interval N] [--seed N] [--threads N] [--fresh]")
            .Option("--corpus", "DIR", "the corpus stage's cache folder (its text/ files are read)")
            .Option("--tokenizer", "FILE", "SentencePiece tokenizer.model")
            .Option("--out", "DIR", "run folder: checkpoints, metrics.jsonl, and the final model/")
            .Option("--preset", "NAME", "model size: tiny (~1.7 M) or small (~10.7 M, default)")
            .Option("--steps", "N", "optimizer steps (default 4000)")
            .Option("--batch", "N", "sequences per step (default 16)")
            .Option("--seq", "N", "tokens per sequence (default 256)")
            .Option("--lr", "X", "peak learning rate (default 1e-3)")
            .Option("--warmup", "N", "warm-up steps (default 200)")
            .Option("--eval-interval", "N", "steps between held-out evaluations and checkpoints (default 250)")
            .Option("--seed", "N", "seed (default 1337)")
            .Option("--threads", "N", "CPU threads for TorchSharp (default: all cores)")
            .Flag("--fresh", "ignore an existing checkpoint in --out and start over");

        public string Name => "pretrain";

        public string Description => "causal language modelling on the corpus (resumable)";

        public int Run(IReadOnlyList<string> args)
        {
            var parsed = Parser.Parse(args);
            if (parsed.HelpRequested)
            {
                Parser.WriteHelp(Console.Out);
                return 0;
            }

            var corpus = parsed.Value("--corpus") ?? throw new UsageException("--corpus is required.");
            var tokenizerPath = parsed.Value("--tokenizer") ?? throw new UsageException("--tokenizer is required.");
            var outDir = parsed.Value("--out") ?? throw new UsageException("--out is required.");
            var preset = (parsed.Value("--preset") ?? "small") switch
            {
                "tiny" => LlamaConfig.Tiny,
                "small" => LlamaConfig.Small,
                var other => throw new UsageException($"--preset is '{other}'; the presets are tiny and small."),
            };
            var seq = (int)(parsed.Int64("--seq", 8) ?? 256);
            var config = new TrainConfig
            {
                MaxSteps = (int)(parsed.Int64("--steps", 1) ?? 4000),
                BatchSize = (int)(parsed.Int64("--batch", 1) ?? 16),
                SequenceLength = seq,
                LearningRate = Double(parsed, "--lr", 1e-3),
                MinLearningRate = Double(parsed, "--lr", 1e-3) / 10,
                WarmupSteps = (int)(parsed.Int64("--warmup", 0) ?? 200),
                EvalInterval = (int)(parsed.Int64("--eval-interval", 1) ?? 250),
                CheckpointInterval = (int)(parsed.Int64("--eval-interval", 1) ?? 250),
                Seed = parsed.Int64("--seed", 0) ?? 1337,
            };
            torch.set_num_threads((int)(parsed.Int64("--threads", 1) ?? Environment.ProcessorCount));

            var textDir = Path.Combine(corpus, "text");
            if (!Directory.Exists(textDir))
            {
                throw new DirectoryNotFoundException($"{textDir} not found: run the corpus stage first.");
            }

            var tokenizer = NpcTokenizer.Load(tokenizerPath);
            var files = Directory.GetFiles(textDir, "*.txt");
            var (train, validation, summary) = TokenizedCorpus.Build(files, tokenizer, tokenizerPath, Path.Combine(outDir, "data"), Console.Out);
            Console.WriteLine(summary);

            torch.manual_seed(config.Seed);
            var modelConfig = preset with
            {
                VocabSize = tokenizer.VocabSize,
                BosTokenId = tokenizer.BosId,
                EosTokenIds = new[] { tokenizer.EosId },
                MaxPositionEmbeddings = Math.Max(preset.MaxPositionEmbeddings, seq),
            };
            using var model = new LlamaModel(modelConfig, torch.ScalarType.Float32, torch.CPU, config.Seed);
            Console.WriteLine($"model: {model.ParameterCount():N0} parameters; {config.TokensPerStep:N0} tokens per step, {config.MaxSteps} steps " +
                $"({config.TokensPerStep * (double)config.MaxSteps / train.TokenCount:0.0} epochs)");
            var trainer = new Trainer(config, outDir);
            var evalRows = Math.Min(config.BatchSize, 8);
            var result = trainer.Run(model, train, i => validation.Sequential(i, evalRows, seq), resume: !parsed.Has("--fresh"));

            var final = Path.Combine(outDir, "model");
            ExportModelDirectory(Directory.Exists(Path.Combine(outDir, "best")) ? Path.Combine(outDir, "best") : result.CheckpointDirectory, final, tokenizerPath);
            Console.WriteLine($"done: {result.Steps} steps, loss {result.FirstLoss:0.000} -> {result.LastLoss:0.000}, " +
                $"best held-out {result.BestValidationLoss:0.000} (perplexity {Math.Exp(result.BestValidationLoss ?? double.NaN):0.0}); model in {final}");
            return 0;
        }

        /// <summary>Copies a checkpoint's weights and config into a full model directory with tokenizer and schema.</summary>
        internal static void ExportModelDirectory(string checkpoint, string target, string tokenizerPath, AttributeSchema? schema = null)
        {
            Directory.CreateDirectory(target);
            File.Copy(Path.Combine(checkpoint, LlamaModel.ConfigFileName), Path.Combine(target, LlamaModel.ConfigFileName), overwrite: true);
            File.Copy(Path.Combine(checkpoint, LlamaModel.WeightsFileName), Path.Combine(target, LlamaModel.WeightsFileName), overwrite: true);
            File.Copy(tokenizerPath, Path.Combine(target, ModelDirectory.TokenizerFileName), overwrite: true);
            (schema ?? AttributeSchemas.Npc).Save(Path.Combine(target, ModelDirectory.SchemaFileName));
        }

        private static double Double(ParsedArguments parsed, string name, double fallback)
        {
            var text = parsed.Value(name);
            if (text == null)
            {
                return fallback;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0 || double.IsInfinity(value))
            {
                throw new UsageException($"option '{name}' needs a positive number, not '{text}'.");
            }

            return value;
        }
    }
}
