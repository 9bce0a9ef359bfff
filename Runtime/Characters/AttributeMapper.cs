#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Characters
{
    /// <summary>
    /// Turns a profile and a mood into the attribute values of a request, in the schema of the loaded model.
    /// Pure and deterministic: the same profile, mood, intensity and schema always give the same values.
    /// </summary>
    /// <remarks>
    /// value = baseline + effect(mood, attribute) x intensity, rounded half away from zero, clamped to the schema's range and
    /// then to the profile's limits. Effects on attributes the target schema lacks (the emotions, for NVIDIA's schema) are
    /// dropped, by design: one mapper serves models of either schema. Attributes the profile does not set take the target
    /// schema's default. Effect names themselves are checked when the mapper is built: a name that no known schema has
    /// (a typo such as <c>angr</c>) is an error, never an effect that silently does nothing.
    /// </remarks>
    public sealed class AttributeMapper
    {
        private readonly Dictionary<Mood, KeyValuePair<string, float>[]> _effects;

        /// <summary>Creates a mapper with the given mood effects (attribute deltas at full intensity, by attribute name).</summary>
        /// <param name="effects">For each mood, the change of each attribute at full intensity.</param>
        /// <param name="knownSchemas">
        /// The schemas whose attribute names an effect may use; <see cref="AttributeSchemas.Npc"/> and
        /// <see cref="AttributeSchemas.SteerLM"/> when null. Pass your own schema here when your model uses other attributes.
        /// </param>
        /// <exception cref="ArgumentException">An effect names an attribute that none of the known schemas has; the message lists the known names.</exception>
        public AttributeMapper(IReadOnlyDictionary<Mood, IReadOnlyDictionary<string, float>> effects, IEnumerable<AttributeSchema>? knownSchemas = null)
        {
            if (effects == null)
            {
                throw new ArgumentNullException(nameof(effects));
            }

            var schemas = (knownSchemas ?? new[] { AttributeSchemas.Npc, AttributeSchemas.SteerLM }).ToArray();
            _effects = new Dictionary<Mood, KeyValuePair<string, float>[]>();
            foreach (var pair in effects)
            {
                if (!Enum.IsDefined(typeof(Mood), pair.Key) || pair.Value == null)
                {
                    throw new ArgumentException($"Mood effects: {pair.Key} is not a mood, or its effects are null.", nameof(effects));
                }

                var list = new List<KeyValuePair<string, float>>();
                foreach (var effect in pair.Value)
                {
                    AttributeDefinition.ValidateName(effect.Key);
                    if (!schemas.Any(schema => schema.Contains(effect.Key)))
                    {
                        var known = schemas.SelectMany(schema => schema.Names).Distinct(StringComparer.Ordinal);
                        throw new ArgumentException(
                            $"Mood effect {pair.Key}.{effect.Key}: no schema ({string.Join(", ", schemas.Select(schema => schema.Id))}) has an attribute " +
                            $"'{effect.Key}'; the known names are: {string.Join(", ", known)}.", nameof(effects));
                    }

                    if (float.IsNaN(effect.Value) || float.IsInfinity(effect.Value))
                    {
                        throw new ArgumentOutOfRangeException(nameof(effects), effect.Value, $"Mood effect {pair.Key}.{effect.Key} must be a finite number.");
                    }

                    list.Add(effect);
                }

                _effects[pair.Key] = list.ToArray();
            }
        }

        /// <summary>
        /// The default effects. Each mood raises its own emotion and shades the tone: anger makes a character ruder and
        /// less helpful, amusement funnier, fear and sadness quieter.
        /// </summary>
        public static AttributeMapper Default { get; } = new AttributeMapper(new Dictionary<Mood, IReadOnlyDictionary<string, float>>
        {
            [Mood.Calm] = new Dictionary<string, float>(),
            [Mood.Happy] = new Dictionary<string, float>
            {
                ["joy"] = 3f, ["humor"] = 1f, ["helpfulness"] = 1f, ["toxicity"] = -1f, ["anger"] = -2f, ["sadness"] = -2f, ["fear"] = -1f,
            },
            [Mood.Amused] = new Dictionary<string, float>
            {
                ["humor"] = 3f, ["joy"] = 2f, ["formality"] = -1f, ["anger"] = -1f, ["sadness"] = -1f, ["creativity"] = 1f,
            },
            [Mood.Annoyed] = new Dictionary<string, float>
            {
                ["anger"] = 2f, ["toxicity"] = 1.5f, ["helpfulness"] = -1f, ["joy"] = -1f, ["humor"] = -1f, ["verbosity"] = -1f,
            },
            [Mood.Angry] = new Dictionary<string, float>
            {
                ["anger"] = 4f, ["toxicity"] = 3f, ["helpfulness"] = -2f, ["joy"] = -3f, ["humor"] = -2f, ["formality"] = -1f,
            },
            [Mood.Afraid] = new Dictionary<string, float>
            {
                ["fear"] = 4f, ["humor"] = -2f, ["joy"] = -2f, ["toxicity"] = -1f, ["verbosity"] = -1f, ["helpfulness"] = 1f,
            },
            [Mood.Sad] = new Dictionary<string, float>
            {
                ["sadness"] = 4f, ["joy"] = -3f, ["humor"] = -2f, ["verbosity"] = -1f, ["anger"] = -1f,
            },
        });

        /// <summary>The values for a profile in a mood of a given intensity, in the target schema.</summary>
        /// <param name="profile">The character.</param>
        /// <param name="mood">The current mood.</param>
        /// <param name="intensity">How strongly the mood is felt, 0..1.</param>
        /// <param name="target">The schema of the loaded model; the profile's schema when null.</param>
        public AttributeValues Map(NpcProfile profile, Mood mood, float intensity, AttributeSchema? target = null)
        {
            if (profile == null)
            {
                throw new ArgumentNullException(nameof(profile));
            }

            if (float.IsNaN(intensity) || intensity < 0f || intensity > 1f)
            {
                throw new ArgumentOutOfRangeException(nameof(intensity), intensity, $"Mood intensity is {intensity}, but it must lie in 0..1.");
            }

            var schema = target ?? profile.Schema;
            var sums = new double[schema.Count];
            for (var i = 0; i < schema.Count; i++)
            {
                var name = schema[i].Name;
                sums[i] = profile.BaselineOverrides.TryGetValue(name, out var set) ? schema[i].Clamp(set) : schema[i].Default;
            }

            if (_effects.TryGetValue(mood, out var effects))
            {
                foreach (var effect in effects)
                {
                    if (schema.TryGetIndex(effect.Key, out var index))
                    {
                        sums[index] += effect.Value * intensity;
                    }
                }
            }

            var values = new int[schema.Count];
            for (var i = 0; i < values.Length; i++)
            {
                var definition = schema[i];
                var rounded = (int)Math.Round(sums[i], MidpointRounding.AwayFromZero);
                values[i] = ClampToLimits(profile.Limits, definition, definition.Clamp(rounded));
            }

            return new AttributeValues(schema, values);
        }

        /// <summary>The values for a profile in the current state of a mood.</summary>
        public AttributeValues Map(NpcProfile profile, NpcMood mood, AttributeSchema? target = null)
        {
            if (mood == null)
            {
                throw new ArgumentNullException(nameof(mood));
            }

            return Map(profile, mood.Current, mood.Intensity, target);
        }

        private static int ClampToLimits(AttributeLimits limits, AttributeDefinition definition, int value)
        {
            // A limit outside the target schema's range (another schema's scale) still caps within the range.
            return definition.Clamp(limits.Apply(definition.Name, value));
        }
    }
}
