#nullable enable
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>Options of one <c>DialogueService.Say</c> call. Immutable; change with <c>With...</c>.</summary>
    public sealed class SayOptions
    {
        /// <summary>The defaults: 96 tokens, temperature 0.7, a 20-second timeout, superseding the character's line in flight.</summary>
        public static SayOptions Default { get; } = new SayOptions();

        /// <summary>Most tokens in the line.</summary>
        public int MaxTokens { get; private set; } = 96;

        /// <summary>Sampling temperature.</summary>
        public float Temperature { get; private set; } = 0.7f;

        /// <summary>Seconds before the line times out (0 for never).</summary>
        public double TimeoutSeconds { get; private set; } = 20;

        /// <summary>Whether a new line for a character replaces the one in flight.</summary>
        public bool Supersede { get; private set; } = true;

        /// <summary>Seed, or null for one picked by the service (a seed is always sent, so a replay after a worker restart repeats the same line).</summary>
        public ulong? Seed { get; private set; }

        /// <summary>A copy with another token limit.</summary>
        public SayOptions WithMaxTokens(int value) => value >= 1 ? With(o => o.MaxTokens = value) : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxTokens must be at least 1.");

        /// <summary>A copy with another temperature.</summary>
        public SayOptions WithTemperature(float value) => value >= 0 ? With(o => o.Temperature = value) : throw new ArgumentOutOfRangeException(nameof(value), value, "Temperature must be 0 or more.");

        /// <summary>A copy with another timeout.</summary>
        public SayOptions WithTimeout(double seconds) => seconds >= 0 ? With(o => o.TimeoutSeconds = seconds) : throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "The timeout must be 0 (none) or more.");

        /// <summary>A copy that does or does not supersede.</summary>
        public SayOptions WithSupersede(bool value) => With(o => o.Supersede = value);

        /// <summary>A copy with a fixed seed.</summary>
        public SayOptions WithSeed(ulong? value) => With(o => o.Seed = value);

        private SayOptions With(Action<SayOptions> change)
        {
            var copy = (SayOptions)MemberwiseClone();
            change(copy);
            return copy;
        }
    }

    /// <summary>Where requests go: a worker (through <c>WorkerHost</c>) or a fake in tests.</summary>
    public interface IDialogueBackend
    {
        /// <summary>The schema of the loaded model, once known; null before the first connection.</summary>
        AttributeSchema? Schema { get; }

        /// <summary>Sends a request without blocking; answers go to the sink on any thread.</summary>
        void Send(Generate request, IRequestSink sink);

        /// <summary>Asks for a request to stop, without blocking.</summary>
        void Cancel(long requestId);
    }

    /// <summary>
    /// The game's entry point for dialogue. <c>Say</c> returns a <see cref="DialogueRequest"/> at once; answers from the
    /// worker queue up and are applied only inside <see cref="Pump"/>, on the calling thread, for no longer than its budget.
    /// Nothing here ever blocks the game thread. Use it from one thread (the game's).
    /// </summary>
    public sealed class DialogueService
    {
        private readonly IDialogueBackend _backend;
        private readonly ConcurrentQueue<Event> _events = new ConcurrentQueue<Event>();
        private readonly Dictionary<long, DialogueRequest> _live = new Dictionary<long, DialogueRequest>();
        private readonly List<DialogueRequest> _liveList = new List<DialogueRequest>();
        private readonly Dictionary<string, DialogueRequest> _byCharacter = new Dictionary<string, DialogueRequest>(StringComparer.Ordinal);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _nextId;
        private ulong _nextSeed = 0x5EED;

        /// <summary>Creates a service over a backend.</summary>
        /// <param name="backend">Where requests go.</param>
        /// <param name="histories">Conversation histories (saved with the game); a new store when null.</param>
        /// <param name="mapper">Profile + mood to attribute values; <see cref="AttributeMapper.Default"/> when null.</param>
        public DialogueService(IDialogueBackend backend, ConversationStore? histories = null, AttributeMapper? mapper = null)
        {
            _backend = backend ?? throw new ArgumentNullException(nameof(backend));
            Histories = histories ?? new ConversationStore();
            Mapper = mapper ?? AttributeMapper.Default;
        }

        /// <summary>Every character's conversation history.</summary>
        public ConversationStore Histories { get; }

        /// <summary>The profile + mood mapping.</summary>
        public AttributeMapper Mapper { get; }

        /// <summary>Lines in flight.</summary>
        public int LiveCount => _liveList.Count;

        /// <summary>Seconds on the service's clock (the clock timeouts and timings use).</summary>
        public double Now => _clock.Elapsed.TotalSeconds;

        /// <summary>
        /// Asks a character for a reply to the player's line, with the attribute values its profile and current mood give
        /// (validated against the model's schema). Returns at once.
        /// </summary>
        /// <exception cref="InvalidOperationException">The worker's schema is not known yet (not connected).</exception>
        public DialogueRequest Say(NpcProfile profile, NpcMood mood, string playerLine, SayOptions? options = null)
        {
            if (profile == null)
            {
                throw new ArgumentNullException(nameof(profile));
            }

            var schema = _backend.Schema ?? throw new InvalidOperationException("The dialogue worker is not connected yet; wait until it is ready before asking for lines.");
            var values = Mapper.Map(profile, mood ?? throw new ArgumentNullException(nameof(mood)), schema);
            return Say(profile.Id, profile.Persona.ToSystemText(), playerLine, values, options);
        }

        /// <summary>Asks for a line with explicit attribute values (they must be of the model's schema).</summary>
        public DialogueRequest Say(string characterId, string system, string playerLine, AttributeValues attributes, SayOptions? options = null)
        {
            if (string.IsNullOrEmpty(playerLine))
            {
                throw new ArgumentException("The player's line is empty.", nameof(playerLine));
            }

            if (playerLine.Length > Histories.MaxCharacters)
            {
                throw new ArgumentException($"The player's line has {playerLine.Length} characters; the history keeps at most {Histories.MaxCharacters}.", nameof(playerLine));
            }

            foreach (var token in SteerLMTemplate.ControlTokens)
            {
                if (playerLine.IndexOf(token, StringComparison.Ordinal) >= 0)
                {
                    throw new ArgumentException($"The player's line contains the control token {token}.", nameof(playerLine));
                }
            }

            var schema = _backend.Schema ?? throw new InvalidOperationException("The dialogue worker is not connected yet; wait until it is ready before asking for lines.");
            if (!attributes.Schema.IsCompatibleWith(schema))
            {
                throw new ArgumentException($"The attributes are of schema '{attributes.Schema.Id}', but the worker's model uses '{schema.Id}' ({string.Join(",", schema.Names)}).", nameof(attributes));
            }

            options ??= SayOptions.Default;
            if (options.Supersede && _byCharacter.TryGetValue(characterId, out var previous) && !previous.IsDone)
            {
                _backend.Cancel(previous.Id);
                End(previous, DialogueStatus.Superseded, null, null, "A newer line for the same character replaced it.");
            }

            var history = Histories.For(characterId);
            var request = new DialogueRequest(++_nextId, characterId, playerLine, attributes.ToAttributeString(), Now);
            var message = new Generate
            {
                RequestId = request.Id,
                CharacterId = characterId,
                System = system,
                PlayerLine = playerLine,
                Temperature = options.Temperature,
                MaxTokens = options.MaxTokens,
                Seed = options.Seed ?? NextSeed(),
                DeadlineMs = options.TimeoutSeconds > 0 ? (int)Math.Min(int.MaxValue, options.TimeoutSeconds * 1000) : 0,
            };
            var characters = system.Length + playerLine.Length;
            foreach (var turn in history.ToTurns())
            {
                message.History.Add(new WireTurn { IsCharacter = turn.Role == TurnRole.Assistant, Text = turn.Text, Attributes = turn.Attributes });
                characters += turn.Text.Length;
            }

            // The worker refuses frames over 1 MiB by closing the connection; refuse here instead, before anything is sent.
            if (message.History.Count > WireFormat.MaxHistoryTurns || characters * 3 > WireFormat.DefaultMaxFrameBytes - 4096)
            {
                throw new ArgumentException($"The request is too large for the wire ({message.History.Count} history turns, {characters} characters); " +
                    $"at most {WireFormat.MaxHistoryTurns} turns and about {(WireFormat.DefaultMaxFrameBytes - 4096) / 3} characters.", nameof(system));
            }

            foreach (var pair in attributes.ToPairs())
            {
                message.Attributes[pair.Key] = pair.Value;
            }

            _live[request.Id] = request;
            _liveList.Add(request);
            _byCharacter[characterId] = request;
            request.TimeoutAt = options.TimeoutSeconds > 0 ? request.SubmittedAt + options.TimeoutSeconds : double.PositiveInfinity;
            _backend.Send(message, new Sink(this, request.Id));
            return request;
        }

        /// <summary>Cancels a line; it ends as <see cref="DialogueStatus.Cancelled"/> at once.</summary>
        public void Cancel(DialogueRequest request)
        {
            if (request.IsDone)
            {
                return;
            }

            _backend.Cancel(request.Id);
            End(request, DialogueStatus.Cancelled, null, null, null);
        }

        /// <summary>
        /// Applies what the worker sent since the last call and raises the requests' events, on this thread, stopping once
        /// <paramref name="budgetMilliseconds"/> have passed (the rest waits for the next frame); then ends lines past their
        /// timeout. Allocates nothing when there is nothing to do.
        /// </summary>
        /// <returns>How many worker events were applied.</returns>
        public int Pump(double budgetMilliseconds = 0.5)
        {
            var started = Stopwatch.GetTimestamp();
            var limit = started + (long)(budgetMilliseconds * Stopwatch.Frequency / 1000.0);
            var applied = 0;
            var now = Now;
            while (_events.TryDequeue(out var e))
            {
                Apply(e, now);
                applied++;
                if (Stopwatch.GetTimestamp() >= limit)
                {
                    break;
                }
            }

            for (var i = _liveList.Count - 1; i >= 0; i--)
            {
                var request = _liveList[i];
                if (now >= request.TimeoutAt)
                {
                    _backend.Cancel(request.Id);
                    End(request, DialogueStatus.TimedOut, null, null, $"No complete line within {now - request.SubmittedAt:0.0} s.");
                }
            }

            return applied;
        }

        private ulong NextSeed()
        {
            // SplitMix64 step: distinct, reproducible seeds per service.
            var z = _nextSeed += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private void Apply(in Event e, double now)
        {
            if (!_live.TryGetValue(e.RequestId, out var request))
            {
                return; // already ended here (cancelled, superseded, timed out): late answers are dropped
            }

            switch (e.Kind)
            {
                case EventKind.Text:
                    if (!request.ApplyText(e.Sequence, e.Text!, now))
                    {
                        _backend.Cancel(request.Id);
                        End(request, DialogueStatus.Failed, null, null, "The worker restarted mid-line and its replay differs from the text already shown.");
                    }

                    break;
                case EventKind.Complete when request.Status == DialogueStatus.Streaming && e.Text != null && !e.Text.StartsWith(request.Text, StringComparison.Ordinal):
                    End(request, DialogueStatus.Failed, null, null, "The worker restarted mid-line and its replay differs from the text already shown.");
                    break;
                case EventKind.Complete:
                    var status = e.Reason == "cancelled" ? DialogueStatus.Cancelled : e.Reason == "deadline" ? DialogueStatus.TimedOut : DialogueStatus.Completed;
                    if (status == DialogueStatus.Completed)
                    {
                        try
                        {
                            var history = Histories.For(request.CharacterId);
                            history.AddPlayerLine(request.PlayerLine, now);
                            history.AddCharacterLine(e.Text!, request.Attributes, now);
                        }
                        catch (ArgumentException)
                        {
                            // A line the history refuses (a reply that spells a control token) is still delivered; it is just not remembered.
                        }
                    }

                    End(request, status, e.Text, e.Reason, status == DialogueStatus.TimedOut ? "The worker's deadline passed." : null);
                    break;
                case EventKind.Error:
                    End(request, DialogueStatus.Failed, null, null, e.Text);
                    break;
            }
        }

        private void End(DialogueRequest request, DialogueStatus status, string? text, string? reason, string? error)
        {
            _live.Remove(request.Id);
            _liveList.Remove(request);
            if (_byCharacter.TryGetValue(request.CharacterId, out var current) && ReferenceEquals(current, request))
            {
                _byCharacter.Remove(request.CharacterId);
            }

            request.Finish(status, text, reason, error, Now);
        }

        private enum EventKind : byte
        {
            Text,
            Complete,
            Error,
        }

        private readonly struct Event
        {
            public Event(EventKind kind, long requestId, int sequence, string? text, string? reason)
            {
                Kind = kind;
                RequestId = requestId;
                Sequence = sequence;
                Text = text;
                Reason = reason;
            }

            public EventKind Kind { get; }

            public long RequestId { get; }

            public int Sequence { get; }

            public string? Text { get; }

            public string? Reason { get; }
        }

        /// <summary>Receives a request's answers on the connection's thread and queues them for <see cref="Pump"/>.</summary>
        private sealed class Sink : IRequestSink
        {
            private readonly DialogueService _service;
            private readonly long _id;

            public Sink(DialogueService service, long id)
            {
                _service = service;
                _id = id;
            }

            public void OnText(TextPiece piece) => _service._events.Enqueue(new Event(EventKind.Text, _id, piece.Sequence, piece.Text, null));

            public void OnComplete(Complete complete) => _service._events.Enqueue(new Event(EventKind.Complete, _id, complete.Sequence, complete.Text, complete.FinishReason));

            public void OnError(Error error) => _service._events.Enqueue(new Event(EventKind.Error, _id, 0, $"{error.Code}: {error.Text}", null));
        }
    }
}
