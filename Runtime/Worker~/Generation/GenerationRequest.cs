using System;
using System.Collections.Generic;
using System.Threading;

namespace SteerLM.Npc.Worker.Generation
{
    /// <summary>Why a generation ended.</summary>
    public enum FinishReason
    {
        /// <summary>The model closed its turn (<c>&lt;extra_id_1&gt;</c>) or produced end of sequence.</summary>
        Stop,

        /// <summary>A stop string appeared (it is not part of the text).</summary>
        StopString,

        /// <summary>The request's maximum number of new tokens was reached.</summary>
        Length,

        /// <summary>The model's context is full.</summary>
        ContextFull,

        /// <summary>The request was cancelled.</summary>
        Cancelled,

        /// <summary>The request's deadline passed.</summary>
        Deadline,

        /// <summary>Generation failed; see <see cref="GenerationResult.Error"/>.</summary>
        Error,
    }

    /// <summary>One generation to run: a prompt already tokenized, and how to sample and stop.</summary>
    public sealed class GenerationRequest
    {
        /// <summary>Creates a request.</summary>
        /// <param name="promptIds">The prompt's token ids (with BOS), at least one.</param>
        /// <param name="settings">How to sample.</param>
        /// <param name="maxNewTokens">Most tokens to generate, &gt;= 1.</param>
        /// <param name="stopStrings">Texts that end the reply when they appear (not included in it).</param>
        /// <param name="onText">Called with each new piece of text, on the scheduler's thread; keep it short.</param>
        /// <param name="ignoreEndOfTurn">Keep generating through end-of-turn and end-of-sequence tokens (benchmarks only).</param>
        /// <param name="deadline">Time (UTC) after which the request ends with <see cref="FinishReason.Deadline"/>; null for none.</param>
        /// <param name="cancellationToken">Ends the request with <see cref="FinishReason.Cancelled"/> between steps.</param>
        /// <param name="priority">Higher is admitted first when requests wait for a free slot.</param>
        public GenerationRequest(
            IReadOnlyList<int> promptIds,
            SamplingSettings settings,
            int maxNewTokens,
            IReadOnlyList<string>? stopStrings = null,
            Action<string>? onText = null,
            bool ignoreEndOfTurn = false,
            DateTime? deadline = null,
            CancellationToken cancellationToken = default,
            int priority = 0)
        {
            Priority = priority;
            if (promptIds == null || promptIds.Count == 0)
            {
                throw new ArgumentException("A generation request needs at least one prompt token.", nameof(promptIds));
            }

            if (maxNewTokens < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "max_tokens must be at least 1.");
            }

            PromptIds = promptIds;
            Settings = settings ?? throw new ArgumentNullException(nameof(settings));
            MaxNewTokens = maxNewTokens;
            StopStrings = stopStrings ?? Array.Empty<string>();
            foreach (var stop in StopStrings)
            {
                if (string.IsNullOrEmpty(stop))
                {
                    throw new ArgumentException("A stop string must not be empty.", nameof(stopStrings));
                }
            }

            OnText = onText;
            IgnoreEndOfTurn = ignoreEndOfTurn;
            Deadline = deadline;
            CancellationToken = cancellationToken;
        }

        /// <summary>The prompt's token ids.</summary>
        public IReadOnlyList<int> PromptIds { get; }

        /// <summary>How to sample.</summary>
        public SamplingSettings Settings { get; }

        /// <summary>Most tokens to generate.</summary>
        public int MaxNewTokens { get; }

        /// <summary>Texts that end the reply.</summary>
        public IReadOnlyList<string> StopStrings { get; }

        /// <summary>Receives each new piece of text.</summary>
        public Action<string>? OnText { get; }

        /// <summary>Whether to generate through end-of-turn tokens (benchmarks).</summary>
        public bool IgnoreEndOfTurn { get; }

        /// <summary>Admission priority: higher goes first when requests wait for a slot.</summary>
        public int Priority { get; }

        /// <summary>UTC deadline, or null.</summary>
        public DateTime? Deadline { get; }

        /// <summary>Cancels the request between steps.</summary>
        public CancellationToken CancellationToken { get; }
    }

    /// <summary>What a generation produced.</summary>
    public sealed class GenerationResult
    {
        internal GenerationResult(string text, IReadOnlyList<int> tokens, FinishReason reason, int promptTokens,
            double timeToFirstTokenMs, double totalMs, ulong seed, string? error)
        {
            Text = text;
            Tokens = tokens;
            FinishReason = reason;
            PromptTokens = promptTokens;
            TimeToFirstTokenMs = timeToFirstTokenMs;
            TotalMs = totalMs;
            Seed = seed;
            Error = error;
        }

        /// <summary>The reply text (without the stop token or stop string).</summary>
        public string Text { get; }

        /// <summary>The generated token ids (without the closing stop token).</summary>
        public IReadOnlyList<int> Tokens { get; }

        /// <summary>Why it ended.</summary>
        public FinishReason FinishReason { get; }

        /// <summary>Prompt length in tokens.</summary>
        public int PromptTokens { get; }

        /// <summary>From submission to the first new token (queueing included); -1 when none was produced.</summary>
        public double TimeToFirstTokenMs { get; }

        /// <summary>From submission to completion.</summary>
        public double TotalMs { get; }

        /// <summary>The sampler's seed (replay a line with it).</summary>
        public ulong Seed { get; }

        /// <summary>The error message when <see cref="FinishReason"/> is <see cref="FinishReason.Error"/>.</summary>
        public string? Error { get; }
    }
}
