#nullable enable

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Characters
{
    /// <summary>
    /// Everything a designer sets about a character: persona, baseline attribute values, temperament, hard limits and
    /// resting mood. Immutable and validated when built: change with the <c>With...</c> methods.
    /// </summary>
    /// <remarks>
    /// Baseline values and limits are given by attribute name in the profile's <see cref="Schema"/> (the NPC schema
    /// unless said otherwise). A misspelt name is an error at once, with the list of names that exist.
    /// </remarks>
    public sealed class NpcProfile
    {
        private readonly Dictionary<string, int> _baseline;

        /// <summary>Creates a profile.</summary>
        /// <param name="id">Stable identifier, used for conversation history and saves (for example "marta-innkeeper").</param>
        /// <param name="persona">Who the character is.</param>
        /// <param name="baseline">Attribute values when the character is at rest, by name; unnamed ones take the schema default.</param>
        /// <param name="temperament">How moods come and go; <see cref="Temperament.Balanced"/> when null.</param>
        /// <param name="limits">Hard limits; none when null.</param>
        /// <param name="restingMood">The mood the character returns to.</param>
        /// <param name="schema">The schema the names refer to; <see cref="AttributeSchemas.Npc"/> when null.</param>
        public NpcProfile(
            string id,
            Persona persona,
            IEnumerable<KeyValuePair<string, int>>? baseline = null,
            Temperament? temperament = null,
            AttributeLimits? limits = null,
            Mood restingMood = Mood.Calm,
            AttributeSchema? schema = null)
        {
            if (string.IsNullOrWhiteSpace(id))
            {
                throw new ArgumentException("NpcProfile.Id is empty; give each character a stable id such as \"marta-innkeeper\".", nameof(id));
            }

            Id = id;
            Persona = persona ?? throw new ArgumentNullException(nameof(persona), "NpcProfile.Persona is null; every character needs a persona.");
            Schema = schema ?? AttributeSchemas.Npc;
            Temperament = temperament ?? Temperament.Balanced;
            Limits = limits ?? AttributeLimits.None;
            if (!Enum.IsDefined(typeof(Mood), restingMood))
            {
                throw new ArgumentOutOfRangeException(nameof(restingMood), restingMood, $"NpcProfile.RestingMood {(int)restingMood} is not a mood.");
            }

            RestingMood = restingMood;
            _baseline = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var pair in baseline ?? Enumerable.Empty<KeyValuePair<string, int>>())
            {
                if (!Schema.TryGetIndex(pair.Key, out var index))
                {
                    throw new ArgumentException("NpcProfile.Baseline: " + Schema.UnknownAttributeMessage(pair.Key), nameof(baseline));
                }

                var definition = Schema[index];
                if (!definition.Contains(pair.Value))
                {
                    throw new ArgumentOutOfRangeException(nameof(baseline), pair.Value, "NpcProfile.Baseline: " + definition.RangeMessage(pair.Value));
                }

                _baseline[pair.Key] = pair.Value;
            }

            BaselineOverrides = new ReadOnlyDictionary<string, int>(_baseline);
            Limits.Validate(Schema, "NpcProfile.Limits");
        }

        /// <summary>Stable identifier of the character.</summary>
        public string Id { get; }

        /// <summary>Who the character is.</summary>
        public Persona Persona { get; }

        /// <summary>The schema the baseline and limits name attributes of.</summary>
        public AttributeSchema Schema { get; }

        /// <summary>How moods come and go.</summary>
        public Temperament Temperament { get; }

        /// <summary>Hard limits no mood can break.</summary>
        public AttributeLimits Limits { get; }

        /// <summary>The mood the character returns to when reactions fade.</summary>
        public Mood RestingMood { get; }

        /// <summary>The baseline values the designer set, by name (unset attributes take the schema default).</summary>
        public IReadOnlyDictionary<string, int> BaselineOverrides { get; }

        /// <summary>The baseline as full values of the profile's schema.</summary>
        public AttributeValues Baseline => AttributeValues.FromDictionary(Schema, _baseline);

        /// <summary>A copy with another persona.</summary>
        public NpcProfile WithPersona(Persona persona) => new NpcProfile(Id, persona, _baseline, Temperament, Limits, RestingMood, Schema);

        /// <summary>A copy with one baseline value changed.</summary>
        public NpcProfile WithBaseline(string name, int value)
        {
            var copy = new Dictionary<string, int>(_baseline, StringComparer.Ordinal) { [name] = value };
            return new NpcProfile(Id, Persona, copy, Temperament, Limits, RestingMood, Schema);
        }

        /// <summary>A copy with another temperament.</summary>
        public NpcProfile WithTemperament(Temperament temperament) => new NpcProfile(Id, Persona, _baseline, temperament, Limits, RestingMood, Schema);

        /// <summary>A copy with other limits.</summary>
        public NpcProfile WithLimits(AttributeLimits limits) => new NpcProfile(Id, Persona, _baseline, Temperament, limits, RestingMood, Schema);

        /// <summary>A copy with another resting mood.</summary>
        public NpcProfile WithRestingMood(Mood mood) => new NpcProfile(Id, Persona, _baseline, Temperament, Limits, mood, Schema);

        /// <inheritdoc />
        public override string ToString() => $"{Id} ({Persona.Name})";
    }
}
