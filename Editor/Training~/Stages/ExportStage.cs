using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Training.Cli;
using SteerLM.Npc.Worker;
using SteerLM.Npc.Worker.Model;
using TorchSharp;

namespace SteerLM.Npc.Training.Stages
{
    /// <summary>
    /// <c>export</c>: turns a training checkpoint into the worker's model directory: weights in the chosen precision,
    /// <c>config.json</c>, <c>tokenizer.model</c>, <c>attributes.json</c>, and a <c>MODEL_CARD.md</c> written from the run's
    /// metrics and the corpus provenance (sources, licences, amounts).
    /// </summary>
    internal sealed class ExportStage : IStage
    {
        private static readonly ArgumentParser Parser = new ArgumentParser(
                "export --checkpoint DIR --tokenizer FILE --out DIR [--dtype bfloat16|float32] [--schema npc|steerlm|FILE] [--run DIR] [--corpus DIR] [--title TEXT] [--notes TEXT]")
            .Option("--checkpoint", "DIR", "a checkpoint folder (config.json + model.safetensors), e.g. RUN/best")
            .Option("--tokenizer", "FILE", "the tokenizer.model the model was trained with")
            .Option("--out", "DIR", "the model directory to write")
            .Option("--dtype", "TYPE", "weight precision on disk: bfloat16 (default, half the size) or float32")
            .Option("--schema", "NAME|FILE", "attribute schema: npc (default), steerlm, or an attributes.json")
            .Option("--run", "DIR", "the training run folder, for the card's metrics (metrics.jsonl, train_config.json)")
            .Option("--corpus", "DIR", "the corpus cache, for the card's sources (provenance.json)")
            .Option("--title", "TEXT", "the card's title")
            .Option("--notes", "TEXT", "a paragraph for the card (what the model is for, what it cannot do yet)");

        public string Name => "export";

        public string Description => "write the worker's model directory (weights, tokenizer, schema, model card)";

        public int Run(IReadOnlyList<string> args)
        {
            var parsed = Parser.Parse(args);
            if (parsed.HelpRequested)
            {
                Parser.WriteHelp(Console.Out);
                return 0;
            }

            var checkpoint = parsed.Value("--checkpoint") ?? throw new UsageException("--checkpoint is required.");
            var tokenizer = parsed.Value("--tokenizer") ?? throw new UsageException("--tokenizer is required.");
            var outDir = parsed.Value("--out") ?? throw new UsageException("--out is required.");
            var dtypeName = parsed.Value("--dtype") ?? "bfloat16";
            torch.ScalarType dtype;
            try
            {
                dtype = ScalarTypes.Parse(dtypeName);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"--dtype is '{dtypeName}'; it takes bfloat16 or float32.");
            }

            var schemaName = parsed.Value("--schema") ?? "npc";
            var schema = schemaName switch
            {
                "npc" => AttributeSchemas.Npc,
                "steerlm" => AttributeSchemas.SteerLM,
                _ => AttributeSchema.Load(schemaName),
            };

            Directory.CreateDirectory(outDir);
            long parameters;
            LlamaConfig config;
            using (var model = LlamaModel.Load(checkpoint, torch.ScalarType.Float32, torch.CPU))
            {
                parameters = model.ParameterCount();
                config = model.Config;
                model.to(dtype);
                model.Save(outDir);
            }

            File.Copy(tokenizer, Path.Combine(outDir, ModelDirectory.TokenizerFileName), overwrite: true);
            schema.Save(Path.Combine(outDir, ModelDirectory.SchemaFileName));
            var card = Card(parsed.Value("--title") ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(outDir)), parsed.Value("--notes"),
                config, parameters, dtype, outDir, schema, parsed.Value("--run"), parsed.Value("--corpus"), checkpoint);
            File.WriteAllText(Path.Combine(outDir, ModelDirectory.CardFileName), card);

            using (var check = ModelDirectory.Load(outDir))
            {
                Console.WriteLine($"wrote {outDir}: {parameters:N0} parameters, {ScalarTypes.ToTorchName(dtype)}, " +
                    $"{new FileInfo(Path.Combine(outDir, LlamaModel.WeightsFileName)).Length / 1e6:0.0} MB of weights; it loads in the worker");
            }

            return 0;
        }

        private static string Card(string title, string? notes, LlamaConfig config, long parameters, torch.ScalarType dtype, string outDir,
            AttributeSchema schema, string? run, string? corpus, string checkpoint)
        {
            var text = new StringBuilder();
            text.AppendLine($"# {title}").AppendLine();
            if (!string.IsNullOrWhiteSpace(notes))
            {
                text.AppendLine(notes).AppendLine();
            }

            text.AppendLine("## Architecture").AppendLine();
            text.AppendLine($"Llama (`LlamaForCausalLM` names and `config.json`): {parameters:N0} parameters, {config.NumHiddenLayers} layers, " +
                $"hidden size {config.HiddenSize}, {config.NumAttentionHeads} attention heads ({config.KeyValueHeads} key/value heads), " +
                $"MLP {config.IntermediateSize}, vocabulary {config.VocabSize} (SentencePiece BPE), context {config.MaxPositionEmbeddings} tokens, " +
                $"{(config.TieWordEmbeddings ? "tied" : "untied")} output head. Weights stored as {ScalarTypes.ToTorchName(dtype)} " +
                $"({new FileInfo(Path.Combine(outDir, LlamaModel.WeightsFileName)).Length / 1e6:0.0} MB). Attribute schema `{schema.Id}`: {string.Join(", ", schema.Names)}.");
            text.AppendLine();

            if (corpus != null && File.Exists(Path.Combine(corpus, "provenance.json")))
            {
                text.AppendLine("## Training data").AppendLine();
                text.AppendLine("| source | packages | licence | words used |").AppendLine("|---|---|---|---|");
                using var provenance = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "provenance.json")));
                long total = 0;
                foreach (var source in provenance.RootElement.GetProperty("sources").EnumerateObject())
                {
                    var value = source.Value;
                    if (value.GetProperty("status").GetString() != "ok" || !value.TryGetProperty("text", out var written) || written.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    var packages = value.GetProperty("packages").EnumerateArray().ToList();
                    var names = packages.Count > 3
                        ? $"{packages.Count} packages ({packages[0].GetProperty("name").GetString()} ... {packages[^1].GetProperty("name").GetString()}, {packages[0].GetProperty("version").GetString()})"
                        : string.Join(", ", packages.Select(p => $"{p.GetProperty("name").GetString()} {p.GetProperty("version").GetString()}"));
                    var licences = string.Join(", ", packages.Select(p => p.GetProperty("licence").GetString()).Distinct());
                    var words = written.GetProperty("words").GetInt64();
                    total += words;
                    text.AppendLine($"| {source.Name} | {names} | {licences} | {words:N0} |");
                }

                text.AppendLine($"| **total** | | | **{total:N0}** |").AppendLine();
                text.AppendLine("Every source's archive checksum, files used and licence file are recorded in the corpus stage's `provenance.json`; " +
                    "the text itself is fetched by `SteerLM.Npc.Training corpus` and is not redistributed with the model.").AppendLine();
            }

            if (run != null && File.Exists(Path.Combine(run, "metrics.jsonl")))
            {
                text.AppendLine("## Training run").AppendLine();
                var rows = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                var last = rows[^1];
                var validation = rows.Where(r => r.TryGetProperty("val_loss", out var v) && v.ValueKind == JsonValueKind.Number)
                    .Select(r => (Step: r.GetProperty("step").GetInt32(), Loss: r.GetProperty("val_loss").GetDouble())).ToList();
                var config2 = File.Exists(Path.Combine(run, "train_config.json")) ? JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "train_config.json"))).RootElement : default;
                if (config2.ValueKind == JsonValueKind.Object)
                {
                    var tokensPerStep = config2.GetProperty("BatchSize").GetInt32() * config2.GetProperty("SequenceLength").GetInt32() * config2.GetProperty("GradientAccumulation").GetInt32();
                    text.AppendLine($"- Steps: {last.GetProperty("step").GetInt32()} of {config2.GetProperty("MaxSteps").GetInt32()} planned " +
                        $"({tokensPerStep:N0} tokens per step, {(long)tokensPerStep * last.GetProperty("step").GetInt32():N0} tokens seen); " +
                        $"AdamW, peak learning rate {config2.GetProperty("LearningRate").GetDouble():g3}, warm-up {config2.GetProperty("WarmupSteps").GetInt32()} steps, cosine decay.");
                }

                // elapsed_s restarts when a run is resumed: add up the segments.
                var seconds = 0.0;
                var segments = 1;
                for (var i = 0; i < rows.Count; i++)
                {
                    var elapsed = rows[i].GetProperty("elapsed_s").GetDouble();
                    if (i + 1 == rows.Count || rows[i + 1].GetProperty("elapsed_s").GetDouble() < elapsed)
                    {
                        seconds += elapsed;
                        segments += i + 1 == rows.Count ? 0 : 1;
                    }
                }

                text.AppendLine($"- Wall time: {seconds / 3600:0.00} h in {segments} process{(segments == 1 ? "" : "es")} (resumed from checkpoints) on {Machine()}, " +
                    "a machine shared with builds and tests while it trained.");
                text.AppendLine($"- Last training loss: {last.GetProperty("train_loss").GetDouble():0.000}.");
                if (validation.Count > 0)
                {
                    var best = validation.OrderBy(v => v.Loss).First();
                    text.AppendLine($"- Held-out loss: best {best.Loss:0.000} at step {best.Step} (perplexity {Math.Exp(best.Loss):0.0}); held-out text is every 100th corpus line.");
                }

                text.AppendLine($"- These weights: the `{Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpoint))}` checkpoint of the run" +
                    (Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpoint)) == "best" ? " (lowest held-out loss)." : "."));

                text.AppendLine();
            }

            text.AppendLine("## Use").AppendLine();
            text.AppendLine("Load it with the worker: `SteerLM.Npc.Worker generate --model <this folder> --system ... --user ... --attributes ...`, " +
                "or point `WorkerHost` at it.").AppendLine();
            return text.ToString();
        }

        private static string Machine()
        {
            var cpu = "unknown CPU";
            try
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line != null)
                {
                    cpu = line.Substring(line.IndexOf(':') + 1).Trim();
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            return $"{Environment.ProcessorCount} CPU cores ({cpu}), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        }
    }
}
