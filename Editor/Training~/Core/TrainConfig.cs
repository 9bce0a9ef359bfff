using System;

namespace SteerLM.Npc.Training.Core
{
    /// <summary>
    /// Settings of one training run, nanoGPT-style: plain values with the defaults we train the shipped model with.
    /// Saved next to every checkpoint so a run resumes with the settings it started with.
    /// </summary>
    public sealed record TrainConfig
    {
        /// <summary>Sequences per optimizer step (before gradient accumulation).</summary>
        public int BatchSize { get; init; } = 16;

        /// <summary>Tokens per sequence.</summary>
        public int SequenceLength { get; init; } = 128;

        /// <summary>Micro-batches summed into one optimizer step.</summary>
        public int GradientAccumulation { get; init; } = 1;

        /// <summary>Optimizer steps in the whole run.</summary>
        public int MaxSteps { get; init; } = 5000;

        /// <summary>Peak learning rate, reached after the warm-up.</summary>
        public double LearningRate { get; init; } = 1e-3;

        /// <summary>Learning rate at the end of the cosine decay.</summary>
        public double MinLearningRate { get; init; } = 1e-4;

        /// <summary>Steps of linear warm-up.</summary>
        public int WarmupSteps { get; init; } = 200;

        /// <summary>AdamW weight decay, applied to matrices only (not to norms).</summary>
        public double WeightDecay { get; init; } = 0.1;

        /// <summary>AdamW beta1.</summary>
        public double Beta1 { get; init; } = 0.9;

        /// <summary>AdamW beta2 (0.95 as nanoGPT: steadier on small batches).</summary>
        public double Beta2 { get; init; } = 0.95;

        /// <summary>Gradient norm clip; 0 turns it off.</summary>
        public double GradClip { get; init; } = 1.0;

        /// <summary>Steps between evaluations of the held-out loss.</summary>
        public int EvalInterval { get; init; } = 250;

        /// <summary>Batches averaged per evaluation.</summary>
        public int EvalBatches { get; init; } = 20;

        /// <summary>Steps between checkpoints (a checkpoint is also written at every evaluation and at the end).</summary>
        public int CheckpointInterval { get; init; } = 250;

        /// <summary>Steps between progress lines.</summary>
        public int LogInterval { get; init; } = 10;

        /// <summary>Seed for initialisation and batch sampling: the same seed and data give the same run.</summary>
        public long Seed { get; init; } = 1337;

        /// <summary>Tokens per optimizer step.</summary>
        public long TokensPerStep => (long)BatchSize * SequenceLength * GradientAccumulation;

        /// <summary>Throws a clear error for a setting out of range.</summary>
        public void Validate()
        {
            Check(BatchSize >= 1, nameof(BatchSize), BatchSize, ">= 1");
            Check(SequenceLength >= 2, nameof(SequenceLength), SequenceLength, ">= 2");
            Check(GradientAccumulation >= 1, nameof(GradientAccumulation), GradientAccumulation, ">= 1");
            Check(MaxSteps >= 1, nameof(MaxSteps), MaxSteps, ">= 1");
            Check(LearningRate > 0 && MinLearningRate >= 0 && MinLearningRate <= LearningRate, nameof(MinLearningRate), MinLearningRate, "0..LearningRate");
            Check(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, ">= 0");
            Check(EvalInterval >= 1 && CheckpointInterval >= 1 && LogInterval >= 1 && EvalBatches >= 1, nameof(EvalInterval), EvalInterval, ">= 1");
        }

        private static void Check(bool ok, string name, object value, string allowed)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} is {value}; it must be {allowed}.");
            }
        }
    }
}
