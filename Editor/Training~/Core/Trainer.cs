using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SteerLM.Npc.Training.Core
{
    /// <summary>What a finished (or stopped) run reports.</summary>
    public sealed record TrainResult(int Steps, double FirstLoss, double LastLoss, double? BestValidationLoss, double TokensPerSecond, string CheckpointDirectory);

    /// <summary>
    /// The training loop every stage uses (pretraining, APM, SFT): AdamW with linear warm-up and cosine decay, gradient
    /// clipping, held-out loss at intervals, resumable checkpoints (weights, optimizer state and step) in
    /// <c>OUT/last</c> and the best held-out model in <c>OUT/best</c>, a progress line, and <c>OUT/metrics.jsonl</c>.
    /// </summary>
    public sealed class Trainer
    {
        private const string StateFile = "trainer_state.json";
        private const string OptimizerFile = "optimizer.bin";

        private readonly TrainConfig _config;
        private readonly string _outDir;
        private readonly Func<LlamaModel, Batch, Tensor> _loss;
        private readonly TextWriter _log;

        /// <summary>Creates a trainer.</summary>
        /// <param name="config">Run settings.</param>
        /// <param name="outDir">Run folder (checkpoints and metrics).</param>
        /// <param name="loss">The loss of a batch: a scalar tensor with gradients (<see cref="LanguageModelLoss"/> for pretraining and SFT).</param>
        /// <param name="log">Where progress lines go.</param>
        public Trainer(TrainConfig config, string outDir, Func<LlamaModel, Batch, Tensor>? loss = null, TextWriter? log = null)
        {
            config.Validate();
            _config = config;
            _outDir = outDir;
            _loss = loss ?? LanguageModelLoss;
            _log = log ?? Console.Out;
        }

        /// <summary>Next-token cross-entropy over the positions whose target is not -100.</summary>
        public static Tensor LanguageModelLoss(LlamaModel model, Batch batch)
        {
            using var inputs = torch.tensor(batch.Inputs, new long[] { batch.Rows, batch.Columns }, device: model.Device);   // (B, T)
            using var targets = torch.tensor(batch.Targets, new long[] { batch.Rows * batch.Columns }, device: model.Device); // (B*T)
            var logits = model.FullForward(inputs);                                                                          // (B, T, V)
            return nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), targets, ignore_index: MaskedExamples.Ignore);
        }

        /// <summary>Learning rate at a step: linear warm-up, then cosine decay to the minimum (nanoGPT's get_lr).</summary>
        public static double GetLr(TrainConfig config, int step)
        {
            if (step < config.WarmupSteps)
            {
                return config.LearningRate * (step + 1) / config.WarmupSteps;
            }

            if (step >= config.MaxSteps)
            {
                return config.MinLearningRate;
            }

            var progress = (double)(step - config.WarmupSteps) / Math.Max(1, config.MaxSteps - config.WarmupSteps);
            var coefficient = 0.5 * (1.0 + Math.Cos(Math.PI * progress));
            return config.MinLearningRate + coefficient * (config.LearningRate - config.MinLearningRate);
        }

        /// <summary>Mean loss over a fixed set of held-out batches (the same batches at every evaluation).</summary>
        public double EstimateLoss(LlamaModel model, Func<int, Batch> batches)
        {
            model.eval();
            try
            {
                using var noGrad = torch.no_grad();
                var total = 0.0;
                for (var i = 0; i < _config.EvalBatches; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    total += _loss(model, batches(i)).item<float>();
                }

                return total / _config.EvalBatches;
            }
            finally
            {
                model.train();
            }
        }

        /// <summary>
        /// Trains <paramref name="model"/> (or the checkpoint in <c>OUT/last</c> when <paramref name="resume"/> and one exists)
        /// until <see cref="TrainConfig.MaxSteps"/>.
        /// </summary>
        /// <param name="model">The starting model (ignored when resuming from a checkpoint).</param>
        /// <param name="train">Training batches.</param>
        /// <param name="validation">Held-out batch i, or null for none.</param>
        /// <param name="resume">Continue from <c>OUT/last</c> if it holds a checkpoint.</param>
        /// <param name="stopAfterSteps">Stop (with a checkpoint) after this many steps of this call, for tests of resuming.</param>
        public TrainResult Run(LlamaModel model, IBatchSource train, Func<int, Batch>? validation, bool resume = true, int? stopAfterSteps = null)
        {
            Directory.CreateDirectory(_outDir);
            var last = Path.Combine(_outDir, "last");
            var best = Path.Combine(_outDir, "best");
            var step = 0;
            double? bestValidation = null;
            var ownsModel = false;
            if (resume && File.Exists(Path.Combine(last, StateFile)))
            {
                model = LlamaModel.Load(last, model.DType, model.Device);
                ownsModel = true;
                var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(last, StateFile))).RootElement;
                step = state.GetProperty("step").GetInt32();
                bestValidation = state.TryGetProperty("best_validation_loss", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetDouble() : null;
                _log.WriteLine($"resuming from {last} at step {step}");
            }

            File.WriteAllText(Path.Combine(_outDir, "train_config.json"), JsonSerializer.Serialize(_config, new JsonSerializerOptions { WriteIndented = true }));
            model.train();
            using var optimizer = CreateOptimizer(model);
            if (step > 0 && File.Exists(Path.Combine(last, OptimizerFile)))
            {
                optimizer.load_state_dict(Path.Combine(last, OptimizerFile));
            }

            // A resumed run appends to its metrics; a fresh run starts them over.
            using var metrics = new StreamWriter(Path.Combine(_outDir, "metrics.jsonl"), append: step > 0);
            var watch = Stopwatch.StartNew();
            var windowWatch = Stopwatch.StartNew();
            var windowTokens = 0L;
            double? firstLoss = null;
            var lastLoss = double.NaN;
            var stepsThisCall = 0;
            var runTokens = 0L;
            while (step < _config.MaxSteps)
            {
                var lr = GetLr(_config, step);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }

                var stepLoss = 0.0;
                using (var scope = torch.NewDisposeScope())
                {
                    optimizer.zero_grad();
                    for (var micro = 0; micro < _config.GradientAccumulation; micro++)
                    {
                        var batch = train.Get(_config.Seed, (long)step * _config.GradientAccumulation + micro, _config.BatchSize, _config.SequenceLength);
                        var loss = _loss(model, batch) / _config.GradientAccumulation;
                        loss.backward();
                        stepLoss += loss.item<float>();
                    }

                    if (_config.GradClip > 0)
                    {
                        nn.utils.clip_grad_norm_(model.parameters(), _config.GradClip);
                    }

                    optimizer.step();
                }

                if (double.IsNaN(stepLoss) || double.IsInfinity(stepLoss))
                {
                    throw new InvalidOperationException($"The loss became {stepLoss} at step {step}; lower the learning rate (now {lr:g3}).");
                }

                firstLoss ??= stepLoss;
                lastLoss = stepLoss;
                step++;
                stepsThisCall++;
                windowTokens += _config.TokensPerStep;
                runTokens += _config.TokensPerStep;

                var evaluate = validation != null && (step % _config.EvalInterval == 0 || step == _config.MaxSteps);
                double? validationLoss = null;
                if (evaluate)
                {
                    validationLoss = EstimateLoss(model, validation!);
                    if (bestValidation == null || validationLoss < bestValidation)
                    {
                        bestValidation = validationLoss;
                        model.Save(best);
                    }
                }

                if (step % _config.LogInterval == 0 || evaluate || step == _config.MaxSteps)
                {
                    var tokensPerSecond = windowTokens / Math.Max(1e-9, windowWatch.Elapsed.TotalSeconds);
                    var left = TimeSpan.FromSeconds((_config.MaxSteps - step) * _config.TokensPerStep / Math.Max(1.0, tokensPerSecond));
                    _log.WriteLine(string.Format(CultureInfo.InvariantCulture,
                        "step {0,6}/{1} | loss {2:0.0000}{3} | lr {4:0.00e0} | {5,6:0} tok/s | {6} left",
                        step, _config.MaxSteps, stepLoss, validationLoss is double v ? $" | val {v:0.0000}" : "", lr, tokensPerSecond, Format(left)));
                    metrics.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["step"] = step, ["train_loss"] = Math.Round(stepLoss, 5), ["val_loss"] = validationLoss is double vl ? Math.Round(vl, 5) : null,
                        ["lr"] = lr, ["tokens_per_s"] = Math.Round(tokensPerSecond, 1), ["elapsed_s"] = Math.Round(watch.Elapsed.TotalSeconds, 1),
                    }));
                    metrics.Flush();
                    windowTokens = 0;
                    windowWatch.Restart();
                }

                var stopNow = stopAfterSteps is int limit && stepsThisCall >= limit;
                if (step % _config.CheckpointInterval == 0 || evaluate || step == _config.MaxSteps || stopNow)
                {
                    SaveCheckpoint(model, optimizer, last, step, bestValidation);
                }

                if (stopNow)
                {
                    break;
                }
            }

            var result = new TrainResult(step, firstLoss ?? double.NaN, lastLoss, bestValidation,
                runTokens / Math.Max(1e-9, watch.Elapsed.TotalSeconds), last);
            if (ownsModel)
            {
                model.Dispose();
            }

            return result;
        }

        private OptimizerHelper CreateOptimizer(LlamaModel model)
        {
            // Weight decay on matrices only; norms (1-D) are left alone, as nanoGPT does.
            var decay = model.parameters().Where(p => p.dim() >= 2).ToList();
            var noDecay = model.parameters().Where(p => p.dim() < 2).ToList();
            var groups = new List<AdamW.ParamGroup>
            {
                new AdamW.ParamGroup(decay, new AdamW.Options { weight_decay = _config.WeightDecay }),
                new AdamW.ParamGroup(noDecay, new AdamW.Options { weight_decay = 0.0 }),
            };
            return optim.AdamW(groups, _config.LearningRate, _config.Beta1, _config.Beta2);
        }

        private void SaveCheckpoint(LlamaModel model, OptimizerHelper optimizer, string directory, int step, double? bestValidation)
        {
            // Write to a temporary folder and swap, so a crash mid-save never leaves a half checkpoint.
            var temporary = directory + ".tmp";
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            model.Save(temporary);
            optimizer.save_state_dict(Path.Combine(temporary, OptimizerFile));
            File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["step"] = step, ["best_validation_loss"] = bestValidation, ["seed"] = _config.Seed,
            }));
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.Move(temporary, directory);
        }

        private static string Format(TimeSpan span) =>
            span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m" : $"{span.Minutes}m{span.Seconds:00}s";
    }
}
