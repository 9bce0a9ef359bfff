#nullable enable

using System;
using System.Collections.Generic;
using System.Globalization;
using Stateless;
using Stateless.Graph;

namespace SteerLM.Npc.Characters
{
    /// <summary>A change of mood, raised by <see cref="NpcMood.Changed"/>.</summary>
    public readonly struct MoodChange
    {
        /// <summary>Creates a change record.</summary>
        public MoodChange(Mood from, Mood to, MoodEvent cause, float intensity)
        {
            From = from;
            To = to;
            Cause = cause;
            Intensity = intensity;
        }

        /// <summary>The mood before.</summary>
        public Mood From { get; }

        /// <summary>The mood after.</summary>
        public Mood To { get; }

        /// <summary>The event that caused it (<see cref="MoodEvent.Settled"/> or <see cref="MoodEvent.CooledDown"/> when time did).</summary>
        public MoodEvent Cause { get; }

        /// <summary>Intensity of the new mood, 0..1.</summary>
        public float Intensity { get; }
    }

    /// <summary>
    /// A character's emotional state: a resting mood plus short-lived reactions to game events, each with an intensity
    /// (0..1) that fades as game time passes. The state machine (Stateless) is private; the game calls intent methods
    /// (<see cref="Insult"/>, <see cref="Gift"/>, ...) and passes time in with <see cref="Advance"/>. Nothing reads a clock.
    /// </summary>
    /// <remarks>
    /// How far an event moves the character depends on its <see cref="Temperament"/>: every guard of the machine reads it,
    /// and every guard has a description, so <see cref="ToMermaid"/> draws a graph a designer can read.
    /// <para>
    /// <see cref="Changed"/> is raised after a change is complete. A handler may call any member: queries
    /// (<see cref="Current"/>, <see cref="CanBeSoothed"/>, ...) see the new mood, and intent methods, <see cref="Advance"/>,
    /// <see cref="Reset"/> and <see cref="Restore"/> are carried out after the handler (and every other handler of the
    /// same change) has returned, in the order they were called, exactly as if the game had called them next. The one
    /// exception: <see cref="Advance"/> from a handler of a change that <see cref="Advance"/> itself caused throws, since
    /// it would count game time inside the step that is passing it.
    /// </para>
    /// Not thread-safe: use it from the game thread.
    /// </remarks>
    public sealed partial class NpcMood
    {
        /// <summary>Intensity below which a reaction ends and the resting mood returns.</summary>
        public const float SettleThreshold = 0.15f;

        /// <summary>Intensity below which anger cools into annoyance.</summary>
        public const float CoolDownThreshold = 0.4f;

        /// <summary>Intensity of a resting mood other than calm (a grumpy character at rest is mildly annoyed).</summary>
        public const float RestingIntensity = 0.3f;

        /// <summary>Half-life, in game seconds, with which a boosted resting mood relaxes back to its resting intensity.</summary>
        public const float RestingHalfLifeSeconds = 30f;

        private readonly StateMachine<MoodState, MoodEvent> _machine;
        private readonly Queue<Work> _work = new Queue<Work>();
        private MoodState _state;
        private float _intensity;
        private MoodEvent _pendingCause;
        private MoodChange? _transition;
        private bool _running;
        private bool _advancing;

        /// <summary>Creates a mood at rest for a temperament.</summary>
        /// <param name="temperament">How easily each mood is reached and how fast it fades.</param>
        /// <param name="restingMood">The mood the character returns to.</param>
        public NpcMood(Temperament temperament, Mood restingMood = Mood.Calm)
        {
            Temperament = temperament ?? throw new ArgumentNullException(nameof(temperament));
            if (!Enum.IsDefined(typeof(Mood), restingMood))
            {
                throw new ArgumentOutOfRangeException(nameof(restingMood), restingMood, "Not a mood.");
            }

            RestingMood = restingMood;
            _state = (MoodState)restingMood;
            _intensity = RestIntensityOf(restingMood);
            // Immediate: every Fire completes before it returns. Changed is raised outside the machine (see Fire), so the
            // machine is never re-entered.
            _machine = new StateMachine<MoodState, MoodEvent>(() => _state, s => _state = s, FiringMode.Immediate);
            Configure();
        }

        /// <summary>Creates the mood of a profile, at rest.</summary>
        public NpcMood(NpcProfile profile)
            : this((profile ?? throw new ArgumentNullException(nameof(profile))).Temperament, profile.RestingMood)
        {
        }

        /// <summary>
        /// Raised on the caller's thread whenever the mood changes (not when only its intensity does), once the change is
        /// complete. Calls a handler makes are carried out after it returns (see the class remarks).
        /// </summary>
        public event Action<MoodChange>? Changed;

        /// <summary>The temperament the guards read.</summary>
        public Temperament Temperament { get; }

        /// <summary>The mood the character returns to.</summary>
        public Mood RestingMood { get; }

        /// <summary>The current mood.</summary>
        public Mood Current => (Mood)_state;

        /// <summary>How strongly the current mood is felt, 0..1.</summary>
        public float Intensity => _intensity;

        /// <summary>Whether the character is in its resting mood.</summary>
        public bool IsResting => Current == RestingMood;

        /// <summary>Whether the character is annoyed or angry.</summary>
        public bool IsHostile => _machine.IsInState(MoodState.Hostile);

        /// <summary>Whether the character is afraid or sad.</summary>
        public bool IsDistressed => _machine.IsInState(MoodState.Distressed);

        /// <summary>
        /// Whether a kind act would make the character feel better now: a compliment, a gift or help would move them to a
        /// better mood. Moods rank from best to worst as at ease (calm, happy, amused), annoyed, then angry, afraid or sad;
        /// so a character at ease cannot be soothed (nothing to soothe), and an angry one can when a gift would leave them
        /// merely annoyed. Reading it changes nothing: it looks the answer up in the mood's rules.
        /// </summary>
        public bool CanBeSoothed =>
            IsBetter(Peek(MoodEvent.Complimented)) || IsBetter(Peek(MoodEvent.Gifted)) || IsBetter(Peek(MoodEvent.Helped));

        /// <summary>The player greets the character.</summary>
        public void Greet() => Do(Work.Event(MoodEvent.Greeted));

        /// <summary>The player pays a compliment.</summary>
        public void Compliment() => Do(Work.Event(MoodEvent.Complimented));

        /// <summary>The player tells a joke.</summary>
        public void Joke() => Do(Work.Event(MoodEvent.Joked));

        /// <summary>The player insults the character.</summary>
        public void Insult() => Do(Work.Event(MoodEvent.Insulted));

        /// <summary>The player threatens the character.</summary>
        public void Threaten() => Do(Work.Event(MoodEvent.Threatened));

        /// <summary>The player helps the character.</summary>
        public void Help() => Do(Work.Event(MoodEvent.Helped));

        /// <summary>The player gives a gift.</summary>
        public void Gift() => Do(Work.Event(MoodEvent.Gifted));

        /// <summary>The player attacks the character.</summary>
        public void Attack() => Do(Work.Event(MoodEvent.Attacked));

        /// <summary>The player ignores the character.</summary>
        public void Ignore() => Do(Work.Event(MoodEvent.Ignored));

        /// <summary>Raises a game event by value (for data-driven games); the internal events cannot be raised.</summary>
        public void Raise(MoodEvent gameEvent)
        {
            if (gameEvent == MoodEvent.Settled || gameEvent == MoodEvent.CooledDown || !Enum.IsDefined(typeof(MoodEvent), gameEvent))
            {
                throw new ArgumentOutOfRangeException(nameof(gameEvent), gameEvent,
                    "Only game events can be raised: Greeted, Complimented, Joked, Insulted, Threatened, Helped, Gifted, Attacked, Ignored.");
            }

            Do(Work.Event(gameEvent));
        }

        /// <summary>
        /// Passes game time: reactions fade with their half-life, anger cools into annoyance, and a faded reaction gives
        /// way to the resting mood. Deterministic: the same events and the same time give the same mood, whatever the frame rate.
        /// </summary>
        /// <param name="gameSeconds">Game time elapsed since the last call; 0 or more (pause the game by passing 0).</param>
        /// <exception cref="InvalidOperationException">Called from a <see cref="Changed"/> handler of a change that Advance caused.</exception>
        public void Advance(double gameSeconds)
        {
            if (double.IsNaN(gameSeconds) || gameSeconds < 0 || double.IsInfinity(gameSeconds))
            {
                throw new ArgumentOutOfRangeException(nameof(gameSeconds), gameSeconds, "Elapsed game time must be a finite number of seconds, 0 or more.");
            }

            if (_advancing)
            {
                throw new InvalidOperationException(
                    "NpcMood.Advance was called from a Changed handler while Advance was passing time; pass each frame's time once, " +
                    "outside the handlers (the handler's call would count time inside the step that is passing it).");
            }

            Do(Work.Time(gameSeconds));
        }

        /// <summary>Returns to the resting mood at once (for example when the character is reset by a quest).</summary>
        public void Reset() => Do(Work.Rest());

        /// <summary>The mood and intensity, for a game save.</summary>
        public MoodSnapshot Save() => new MoodSnapshot { Mood = Current, Intensity = _intensity };

        /// <summary>Restores a mood saved with <see cref="Save"/>. It does not raise <see cref="Changed"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The snapshot's mood is not a mood, or its intensity is outside 0..1.</exception>
        public void Restore(MoodSnapshot snapshot)
        {
            if (snapshot == null)
            {
                throw new ArgumentNullException(nameof(snapshot));
            }

            if (!Enum.IsDefined(typeof(Mood), snapshot.Mood))
            {
                throw new ArgumentOutOfRangeException(nameof(snapshot), snapshot.Mood, $"MoodSnapshot.Mood {(int)snapshot.Mood} is not a mood.");
            }

            if (float.IsNaN(snapshot.Intensity) || snapshot.Intensity < 0f || snapshot.Intensity > 1f)
            {
                throw new ArgumentOutOfRangeException(nameof(snapshot), snapshot.Intensity, $"MoodSnapshot.Intensity is {snapshot.Intensity}, but it must lie in 0..1.");
            }

            Do(Work.Restored(snapshot.Mood, snapshot.Intensity));
        }

        /// <summary>The mood graph as Mermaid text (paste into any Mermaid viewer, or the package's editor window).</summary>
        public string ToMermaid() => MermaidGraph.Format(_machine.GetInfo());

        /// <summary>The mood graph as Graphviz DOT text.</summary>
        public string ToDot() => UmlDotGraph.Format(_machine.GetInfo());

        /// <inheritdoc />
        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} ({1:0.00})", Current, _intensity);

        private static float RestIntensityOf(Mood mood) => mood == Mood.Calm ? 0f : RestingIntensity;

        /// <summary>How far a mood is from feeling at ease: 0 at ease (calm, happy, amused), 1 annoyed, 2 angry, afraid or sad.</summary>
        private static int Unease(Mood mood) => mood switch
        {
            Mood.Annoyed => 1,
            Mood.Angry => 2,
            Mood.Afraid => 2,
            Mood.Sad => 2,
            _ => 0,
        };

        private bool IsBetter(Mood mood) => Unease(mood) < Unease(Current);

        /// <summary>
        /// Carries out a call. From a <see cref="Changed"/> handler the call is queued and runs once the work in progress
        /// (and so every handler of the current change) has finished; otherwise it runs now, with anything the handlers queue.
        /// </summary>
        private void Do(Work work)
        {
            _work.Enqueue(work);
            if (_running)
            {
                return;
            }

            _running = true;
            try
            {
                while (_work.Count > 0)
                {
                    Run(_work.Dequeue());
                }
            }
            finally
            {
                // After a handler threw, the calls it queued are dropped rather than run by some later, unrelated call.
                _work.Clear();
                _running = false;
            }
        }

        private void Run(Work work)
        {
            switch (work.Kind)
            {
                case WorkKind.Event:
                    Fire(work.GameEvent);
                    break;
                case WorkKind.Time:
                    _advancing = true;
                    try
                    {
                        Pass(work.Seconds);
                    }
                    finally
                    {
                        _advancing = false;
                    }

                    break;
                case WorkKind.Rest:
                    var from = Current;
                    _state = (MoodState)RestingMood;
                    _intensity = RestIntensityOf(RestingMood);
                    if (from != Current)
                    {
                        Changed?.Invoke(new MoodChange(from, Current, MoodEvent.Settled, _intensity));
                    }

                    break;
                case WorkKind.Restore:
                    _state = (MoodState)work.Mood;
                    _intensity = work.Intensity;
                    break;
            }
        }

        /// <summary>Fires one trigger and, once the machine is done with it, raises <see cref="Changed"/> for the change it made.</summary>
        private void Fire(MoodEvent trigger)
        {
            _pendingCause = trigger;
            _transition = null;
            _machine.Fire(trigger);
            if (_transition is { } change)
            {
                _transition = null;
                Changed?.Invoke(change);
            }
        }

        /// <summary>The closed-form passing of time behind <see cref="Advance"/>.</summary>
        private void Pass(double seconds)
        {
            var remaining = seconds;
            while (true)
            {
                if (IsResting)
                {
                    var rest = RestIntensityOf(RestingMood);
                    _intensity = (float)(rest + (_intensity - rest) * Math.Pow(0.5, remaining / RestingHalfLifeSeconds));
                    return;
                }

                if (Current == Mood.Calm)
                {
                    // Calm reached as a reaction (a frightened character reassured) is not felt: rest at once.
                    _intensity = RestIntensityOf(RestingMood);
                    Fire(MoodEvent.Settled);
                    continue;
                }

                var halfLife = Temperament[Current].HalfLifeSeconds;
                var coolsDown = Current == Mood.Angry;
                var threshold = coolsDown ? CoolDownThreshold : SettleThreshold;
                var timeToThreshold = _intensity <= threshold ? 0 : halfLife * Math.Log(_intensity / threshold, 2);
                if (timeToThreshold > remaining)
                {
                    _intensity = (float)(_intensity * Math.Pow(0.5, remaining / halfLife));
                    return;
                }

                remaining -= timeToThreshold;
                if (coolsDown)
                {
                    // Anger already below the threshold (a restored save) cools at the intensity it has, never a higher one.
                    _intensity = Math.Min(_intensity, threshold);
                    Fire(MoodEvent.CooledDown);
                }
                else
                {
                    _intensity = RestIntensityOf(RestingMood);
                    Fire(MoodEvent.Settled);
                }
            }
        }

        /// <summary>How strongly an event brings on a mood for this temperament, 0..1.</summary>
        private float Impulse(MoodEvent gameEvent, Mood mood)
        {
            var strength = gameEvent switch
            {
                MoodEvent.Greeted => 0.3f,
                MoodEvent.Complimented => 0.5f,
                MoodEvent.Joked => 0.5f,
                MoodEvent.Insulted => 0.6f,
                MoodEvent.Threatened => 0.7f,
                MoodEvent.Helped => 0.6f,
                MoodEvent.Gifted => 0.7f,
                MoodEvent.Attacked => 1.0f,
                MoodEvent.Ignored => 0.3f,
                _ => 0f,
            };
            var reactivity = mood == Mood.Calm ? 0.5f : Temperament[mood].Reactivity;
            return Math.Min(1f, Math.Max(SettleThreshold + 0.05f, strength * (0.5f + reactivity)));
        }

        private enum WorkKind
        {
            Event,
            Time,
            Rest,
            Restore,
        }

        /// <summary>One call to carry out: a game event, a passing of time, a reset or a restore.</summary>
        private readonly struct Work
        {
            private Work(WorkKind kind, MoodEvent gameEvent, double seconds, Mood mood, float intensity)
            {
                Kind = kind;
                GameEvent = gameEvent;
                Seconds = seconds;
                Mood = mood;
                Intensity = intensity;
            }

            public WorkKind Kind { get; }

            public MoodEvent GameEvent { get; }

            public double Seconds { get; }

            public Mood Mood { get; }

            public float Intensity { get; }

            public static Work Event(MoodEvent gameEvent) => new Work(WorkKind.Event, gameEvent, 0, default, 0f);

            public static Work Time(double seconds) => new Work(WorkKind.Time, default, seconds, default, 0f);

            public static Work Rest() => new Work(WorkKind.Rest, default, 0, default, 0f);

            public static Work Restored(Mood mood, float intensity) => new Work(WorkKind.Restore, default, 0, mood, intensity);
        }
    }
}
