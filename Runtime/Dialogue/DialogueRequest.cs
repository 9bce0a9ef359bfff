#nullable enable
using System;
using System.Threading;
using System.Threading.Tasks;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>Where a line is in its life.</summary>
    public enum DialogueStatus
    {
        /// <summary>Sent; no text yet.</summary>
        Pending,

        /// <summary>Text is arriving.</summary>
        Streaming,

        /// <summary>The line is finished; <see cref="DialogueRequest.FinalText"/> holds it.</summary>
        Completed,

        /// <summary>It failed; <see cref="DialogueRequest.Error"/> says why.</summary>
        Failed,

        /// <summary>The game cancelled it.</summary>
        Cancelled,

        /// <summary>It took longer than its timeout.</summary>
        TimedOut,

        /// <summary>A newer line for the same character replaced it.</summary>
        Superseded,
    }

    /// <summary>
    /// One line a character is saying. Returned at once by <c>DialogueService.Say</c>; its state changes and its
    /// events are raised only inside <see cref="DialogueService.Pump"/>, on the thread that pumps (the game thread).
    /// </summary>
    public sealed class DialogueRequest
    {
        private readonly TaskCompletionSource<string> _completion = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Collections.Generic.List<string> _shown = new System.Collections.Generic.List<string>();
        private readonly System.Text.StringBuilder _text = new System.Text.StringBuilder();
        private string? _textCache = "";

        internal DialogueRequest(long id, string characterId, string playerLine, string attributes, double now)
        {
            Id = id;
            CharacterId = characterId;
            PlayerLine = playerLine;
            Attributes = attributes;
            SubmittedAt = now;
        }

        /// <summary>Raised in <see cref="DialogueService.Pump"/> with each new piece of text.</summary>
        public event Action<DialogueRequest, string>? TextReceived;

        /// <summary>Raised in <see cref="DialogueService.Pump"/> once, when the line reaches a final status.</summary>
        public event Action<DialogueRequest>? Finished;

        /// <summary>The request id (unique per service).</summary>
        public long Id { get; }

        /// <summary>The character speaking.</summary>
        public string CharacterId { get; }

        /// <summary>What the player said.</summary>
        public string PlayerLine { get; }

        /// <summary>The attribute string the line was asked for.</summary>
        public string Attributes { get; }

        /// <summary>Current status.</summary>
        public DialogueStatus Status { get; private set; }

        /// <summary>Whether the line reached a final status.</summary>
        public bool IsDone => Status >= DialogueStatus.Completed;

        /// <summary>The text so far.</summary>
        public string Text => _textCache ??= _text.ToString();

        /// <summary>The whole line once <see cref="DialogueStatus.Completed"/>; otherwise null.</summary>
        public string? FinalText { get; private set; }

        /// <summary>Why the line failed, timed out or was superseded; otherwise null.</summary>
        public string? Error { get; private set; }

        /// <summary>Why the worker stopped (stop, length, ...), once completed.</summary>
        public string? FinishReason { get; private set; }

        /// <summary>Seconds (service clock) when <c>DialogueService.Say</c> was called.</summary>
        public double SubmittedAt { get; }

        /// <summary>Seconds when the first text was shown, or NaN.</summary>
        public double FirstTextAt { get; private set; } = double.NaN;

        /// <summary>Seconds when the line finished, or NaN.</summary>
        public double FinishedAt { get; private set; } = double.NaN;

        /// <summary>Service-clock second after which the line times out (infinity for never).</summary>
        internal double TimeoutAt { get; set; } = double.PositiveInfinity;

        /// <summary>Pieces received so far (to ignore a repeat after the worker restarts and replays the line).</summary>
        internal int PiecesSeen { get; private set; }

        /// <summary>The line as a task: completes with the final text, or faults with the error. Await it from the game thread;
        /// it completes during a <see cref="DialogueService.Pump"/>.</summary>
        public Task<string> AsTask(CancellationToken cancellationToken = default)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                return _completion.Task;
            }

            return WithCancellation(cancellationToken);
        }

        private async Task<string> WithCancellation(CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
            {
                return await (await Task.WhenAny(_completion.Task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }

        /// <summary>Returns false when a replayed piece differs from the one already shown (the line diverged after a restart).</summary>
        internal bool ApplyText(int sequence, string piece, double now)
        {
            if (IsDone)
            {
                return true;
            }

            if (sequence < PiecesSeen)
            {
                // A replay after a worker restart: the same seed normally gives the same text, already shown.
                return sequence < _shown.Count && _shown[sequence] == piece;
            }

            PiecesSeen = sequence + 1;
            _shown.Add(piece);
            if (Status == DialogueStatus.Pending)
            {
                Status = DialogueStatus.Streaming;
                FirstTextAt = now;
            }

            _text.Append(piece);
            _textCache = null; // built again only when the game reads Text
            TextReceived?.Invoke(this, piece);
            return true;
        }

        internal void Finish(DialogueStatus status, string? finalText, string? reason, string? error, double now)
        {
            if (IsDone)
            {
                return;
            }

            Status = status;
            FinishedAt = now;
            Error = error;
            FinishReason = reason;
            if (status == DialogueStatus.Completed)
            {
                FinalText = finalText ?? Text;
                _text.Clear().Append(FinalText);
                _textCache = FinalText;
                _completion.TrySetResult(FinalText);
            }
            else if (status == DialogueStatus.Cancelled)
            {
                _completion.TrySetCanceled();
            }
            else
            {
                _completion.TrySetException(new DialogueException(this, error ?? status.ToString()));
            }

            Finished?.Invoke(this);
        }
    }

    /// <summary>A line that did not complete (failed, timed out, superseded).</summary>
    public sealed class DialogueException : Exception
    {
        internal DialogueException(DialogueRequest request, string message) : base(message) => Request = request;

        /// <summary>The request.</summary>
        public DialogueRequest Request { get; }
    }
}
