#nullable enable

using System;
using System.Collections.Generic;
using System.Globalization;

namespace SteerLM.Npc.Characters
{
    /// <summary>How one reaction mood behaves for a character: how easily it is reached and how fast it fades.</summary>
    public readonly struct MoodTraits : IEquatable<MoodTraits>
    {
        /// <summary>Creates traits.</summary>
        /// <param name="reactivity">How easily events bring this mood on, 0 (never) to 1 (at the slightest thing).</param>
        /// <param name="halfLifeSeconds">Game seconds for the mood's intensity to halve; larger holds a grudge longer.</param>
        public MoodTraits(float reactivity, float halfLifeSeconds)
        {
            if (float.IsNaN(reactivity) || reactivity < 0f || reactivity > 1f)
            {
                throw new ArgumentOutOfRangeException(nameof(reactivity), reactivity, $"MoodTraits.Reactivity is {reactivity}, but it must lie in 0..1.");
            }

            if (float.IsNaN(halfLifeSeconds) || halfLifeSeconds <= 0f || float.IsInfinity(halfLifeSeconds))
            {
                throw new ArgumentOutOfRangeException(nameof(halfLifeSeconds), halfLifeSeconds,
                    $"MoodTraits.HalfLifeSeconds is {halfLifeSeconds}, but it must be a positive number of game seconds.");
            }

            Reactivity = reactivity;
            HalfLifeSeconds = halfLifeSeconds;
        }

        /// <summary>How easily events bring this mood on, 0..1.</summary>
        public float Reactivity { get; }

        /// <summary>Game seconds for the mood's intensity to halve.</summary>
        public float HalfLifeSeconds { get; }

        /// <inheritdoc />
        public bool Equals(MoodTraits other) => Reactivity.Equals(other.Reactivity) && HalfLifeSeconds.Equals(other.HalfLifeSeconds);

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is MoodTraits other && Equals(other);

        /// <inheritdoc />
        public override int GetHashCode() => Reactivity.GetHashCode() * 397 ^ HalfLifeSeconds.GetHashCode();

        /// <inheritdoc />
        public override string ToString() =>
            string.Format(CultureInfo.InvariantCulture, "reactivity {0:0.##}, half-life {1:0.#}s", Reactivity, HalfLifeSeconds);
    }

    /// <summary>
    /// A character's temperament: for each reaction mood (happy, amused, annoyed, angry, afraid, sad), how easily it
    /// is reached and how fast it fades. Immutable; presets such as <see cref="HotTempered"/> are starting points for designers.
    /// </summary>
    public sealed class Temperament
    {
        private static readonly Mood[] ReactionMoods = { Mood.Happy, Mood.Amused, Mood.Annoyed, Mood.Angry, Mood.Afraid, Mood.Sad };
        private readonly MoodTraits[] _traits;

        private Temperament(MoodTraits[] traits) => _traits = traits;

        /// <summary>Creates a temperament from the traits of the six reaction moods.</summary>
        public Temperament(MoodTraits happy, MoodTraits amused, MoodTraits annoyed, MoodTraits angry, MoodTraits afraid, MoodTraits sad)
            : this(new[] { default, happy, amused, annoyed, angry, afraid, sad })
        {
            foreach (var mood in ReactionMoods)
            {
                if (_traits[(int)mood].HalfLifeSeconds <= 0f)
                {
                    throw new ArgumentException($"Temperament: the traits of {mood} are unset (half-life 0).", mood.ToString());
                }
            }
        }

        /// <summary>The moods that are reactions (every mood but <see cref="Mood.Calm"/>).</summary>
        public static IReadOnlyList<Mood> Reactions { get; } = Array.AsReadOnly(ReactionMoods);

        /// <summary>An even temperament: moderate reactions that fade in about half a minute.</summary>
        public static Temperament Balanced { get; } = new Temperament(
            happy: new MoodTraits(0.5f, 40f), amused: new MoodTraits(0.5f, 25f), annoyed: new MoodTraits(0.5f, 30f),
            angry: new MoodTraits(0.4f, 30f), afraid: new MoodTraits(0.4f, 20f), sad: new MoodTraits(0.4f, 45f));

        /// <summary>Slow to anger, quick to forgive.</summary>
        public static Temperament Patient { get; } = new Temperament(
            happy: new MoodTraits(0.5f, 40f), amused: new MoodTraits(0.5f, 25f), annoyed: new MoodTraits(0.15f, 15f),
            angry: new MoodTraits(0.1f, 15f), afraid: new MoodTraits(0.3f, 20f), sad: new MoodTraits(0.3f, 40f));

        /// <summary>Quick to anger, slow to calm down.</summary>
        public static Temperament HotTempered { get; } = new Temperament(
            happy: new MoodTraits(0.35f, 25f), amused: new MoodTraits(0.4f, 20f), annoyed: new MoodTraits(0.9f, 60f),
            angry: new MoodTraits(0.85f, 90f), afraid: new MoodTraits(0.15f, 15f), sad: new MoodTraits(0.2f, 30f));

        /// <summary>Easily frightened, gentle.</summary>
        public static Temperament Timid { get; } = new Temperament(
            happy: new MoodTraits(0.5f, 40f), amused: new MoodTraits(0.35f, 20f), annoyed: new MoodTraits(0.25f, 20f),
            angry: new MoodTraits(0.1f, 15f), afraid: new MoodTraits(0.9f, 60f), sad: new MoodTraits(0.6f, 60f));

        /// <summary>Sunny and playful: pleased and amused by little, never down for long.</summary>
        public static Temperament Cheerful { get; } = new Temperament(
            happy: new MoodTraits(0.9f, 60f), amused: new MoodTraits(0.85f, 40f), annoyed: new MoodTraits(0.3f, 15f),
            angry: new MoodTraits(0.2f, 15f), afraid: new MoodTraits(0.35f, 15f), sad: new MoodTraits(0.3f, 20f));

        /// <summary>Melancholic: hurt easily, slow to cheer.</summary>
        public static Temperament Melancholic { get; } = new Temperament(
            happy: new MoodTraits(0.25f, 20f), amused: new MoodTraits(0.2f, 15f), annoyed: new MoodTraits(0.4f, 30f),
            angry: new MoodTraits(0.2f, 20f), afraid: new MoodTraits(0.45f, 30f), sad: new MoodTraits(0.9f, 120f));

        /// <summary>The traits of a reaction mood; <see cref="Mood.Calm"/> has none.</summary>
        public MoodTraits this[Mood mood]
        {
            get
            {
                CheckReaction(mood);
                return _traits[(int)mood];
            }
        }

        /// <summary>A copy with one mood's traits changed.</summary>
        public Temperament With(Mood mood, MoodTraits traits)
        {
            CheckReaction(mood);
            if (traits.HalfLifeSeconds <= 0f)
            {
                throw new ArgumentException($"Temperament: the traits given for {mood} are unset (half-life 0).", nameof(traits));
            }

            var copy = (MoodTraits[])_traits.Clone();
            copy[(int)mood] = traits;
            return new Temperament(copy);
        }

        /// <summary>A copy with one mood's reactivity changed.</summary>
        public Temperament WithReactivity(Mood mood, float reactivity) => With(mood, new MoodTraits(reactivity, this[mood].HalfLifeSeconds));

        /// <summary>A copy with one mood's half-life changed.</summary>
        public Temperament WithHalfLife(Mood mood, float seconds) => With(mood, new MoodTraits(this[mood].Reactivity, seconds));

        private static void CheckReaction(Mood mood)
        {
            if (mood == Mood.Calm || (int)mood < 0 || (int)mood > (int)Mood.Sad)
            {
                throw new ArgumentOutOfRangeException(nameof(mood), mood,
                    $"Temperament has traits only for the reaction moods {string.Join(", ", ReactionMoods)}.");
            }
        }
    }
}
