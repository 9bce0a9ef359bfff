#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Characters
{
    /// <summary>
    /// Hard bounds on attribute values that no mood can break, for example a maximum toxicity of 1 for a character in a
    /// game rated for children. Immutable; build with <see cref="None"/> and the <c>With...</c> methods.
    /// </summary>
    public sealed class AttributeLimits
    {
        private readonly Dictionary<string, (int Min, int Max)> _bounds;

        private AttributeLimits(Dictionary<string, (int Min, int Max)> bounds) => _bounds = bounds;

        /// <summary>No limits.</summary>
        public static AttributeLimits None { get; } = new AttributeLimits(new Dictionary<string, (int, int)>(StringComparer.Ordinal));

        /// <summary>The limited attribute names.</summary>
        public IEnumerable<string> Names => _bounds.Keys;

        /// <summary>A copy that caps an attribute at <paramref name="maximum"/>.</summary>
        public AttributeLimits WithMaximum(string name, int maximum)
        {
            var (min, _) = Get(name);
            return With(name, min, maximum);
        }

        /// <summary>A copy that keeps an attribute at or above <paramref name="minimum"/>.</summary>
        public AttributeLimits WithMinimum(string name, int minimum)
        {
            var (_, max) = Get(name);
            return With(name, minimum, max);
        }

        /// <summary>A copy with both bounds of an attribute set.</summary>
        public AttributeLimits With(string name, int minimum, int maximum)
        {
            AttributeDefinition.ValidateName(name);
            if (maximum < minimum)
            {
                throw new ArgumentException($"Limit on '{name}': maximum {maximum} is below minimum {minimum}.", nameof(maximum));
            }

            var copy = new Dictionary<string, (int, int)>(_bounds, StringComparer.Ordinal) { [name] = (minimum, maximum) };
            return new AttributeLimits(copy);
        }

        /// <summary>The bounds of an attribute; unlimited attributes give (int.MinValue, int.MaxValue).</summary>
        public (int Min, int Max) Get(string name) =>
            _bounds.TryGetValue(name, out var b) ? b : (int.MinValue, int.MaxValue);

        /// <summary>Clamps a value to the limits of an attribute.</summary>
        public int Apply(string name, int value)
        {
            var (min, max) = Get(name);
            return value < min ? min : value > max ? max : value;
        }

        /// <summary>Checks every limited name against a schema and that each bound lies within the attribute's range.</summary>
        /// <exception cref="ArgumentException">A limited name is not in the schema (the message lists the names that exist).</exception>
        /// <exception cref="ArgumentOutOfRangeException">A bound lies outside its attribute's range.</exception>
        public void Validate(AttributeSchema schema) => Validate(schema, "AttributeLimits");

        /// <summary>As <see cref="Validate(AttributeSchema)"/>, with messages that start with <paramref name="field"/>.</summary>
        internal void Validate(AttributeSchema schema, string field)
        {
            if (schema == null)
            {
                throw new ArgumentNullException(nameof(schema));
            }

            foreach (var pair in _bounds.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!schema.TryGetIndex(pair.Key, out var index))
                {
                    throw new ArgumentException($"{field}: {schema.UnknownAttributeMessage(pair.Key)}", pair.Key);
                }

                var definition = schema[index];
                var (min, max) = pair.Value;
                if ((min != int.MinValue && !definition.Contains(min)) || (max != int.MaxValue && !definition.Contains(max)))
                {
                    throw new ArgumentOutOfRangeException(pair.Key, $"{FormatBound(min)}..{FormatBound(max)}",
                        $"{field}: the limit on '{pair.Key}' is {FormatBound(min)}..{FormatBound(max)}, but the attribute allows {definition.Minimum}..{definition.Maximum}.");
                }
            }
        }

        private static string FormatBound(int v) => v == int.MinValue ? "-" : v == int.MaxValue ? "+" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
