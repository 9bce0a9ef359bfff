#nullable enable

using System;
using System.Collections.Generic;

namespace SteerLM.Npc.Steering
{
    /// <summary>
    /// One steerable attribute of a schema: its name, its integer range, its default, and what each level means.
    /// </summary>
    /// <remarks>Immutable. Create through the constructor, change with the <c>With...</c> methods.</remarks>
    public sealed class AttributeDefinition
    {
        /// <summary>Creates a definition and checks that it is consistent.</summary>
        /// <param name="name">Lower-case name as it appears in the SteerLM attribute string (letters, digits, '_' and '-').</param>
        /// <param name="minimum">Lowest allowed value.</param>
        /// <param name="maximum">Highest allowed value.</param>
        /// <param name="defaultValue">Value used when nothing else sets this attribute.</param>
        /// <param name="description">What the attribute measures, in one sentence.</param>
        /// <param name="levels">What each level means, from <paramref name="minimum"/> to <paramref name="maximum"/>; empty when undocumented.</param>
        public AttributeDefinition(string name, int minimum, int maximum, int defaultValue, string description = "", IReadOnlyList<string>? levels = null)
        {
            ValidateName(name);
            if (maximum < minimum)
            {
                throw new ArgumentException($"Attribute '{name}': maximum {maximum} is below minimum {minimum}.", nameof(maximum));
            }

            if (defaultValue < minimum || defaultValue > maximum)
            {
                throw new ArgumentOutOfRangeException(nameof(defaultValue), defaultValue,
                    $"Attribute '{name}': default {defaultValue} is outside its range {minimum}..{maximum}.");
            }

            var copy = levels == null ? Array.Empty<string>() : new List<string>(levels).ToArray();
            if (copy.Length != 0 && copy.Length != maximum - minimum + 1)
            {
                throw new ArgumentException(
                    $"Attribute '{name}': {copy.Length} level descriptions given, but the range {minimum}..{maximum} has {maximum - minimum + 1} levels.",
                    nameof(levels));
            }

            Name = name;
            Minimum = minimum;
            Maximum = maximum;
            Default = defaultValue;
            Description = description ?? "";
            Levels = Array.AsReadOnly(copy);
        }

        /// <summary>Name in the attribute string, for example <c>humor</c>.</summary>
        public string Name { get; }

        /// <summary>Lowest allowed value.</summary>
        public int Minimum { get; }

        /// <summary>Highest allowed value.</summary>
        public int Maximum { get; }

        /// <summary>Value used when nothing else sets this attribute.</summary>
        public int Default { get; }

        /// <summary>What the attribute measures.</summary>
        public string Description { get; }

        /// <summary>What each level means, index 0 being <see cref="Minimum"/>; empty when undocumented.</summary>
        public IReadOnlyList<string> Levels { get; }

        /// <summary>The description of one level, or an empty string when the schema has none.</summary>
        public string DescribeLevel(int value)
        {
            CheckRange(value);
            return Levels.Count == 0 ? "" : Levels[value - Minimum];
        }

        /// <summary>Whether <paramref name="value"/> lies within the range.</summary>
        public bool Contains(int value) => value >= Minimum && value <= Maximum;

        /// <summary>Clamps a value into the range.</summary>
        public int Clamp(int value) => value < Minimum ? Minimum : value > Maximum ? Maximum : value;

        /// <summary>Throws a clear error when <paramref name="value"/> is out of range.</summary>
        public void CheckRange(int value)
        {
            if (!Contains(value))
            {
                throw new ArgumentOutOfRangeException(Name, value, RangeMessage(value));
            }
        }

        /// <summary>The message for a value outside the range, naming the attribute, the value and the range.</summary>
        internal string RangeMessage(int value) => $"Attribute '{Name}' has value {value}, but it allows {Minimum}..{Maximum}.";

        /// <summary>A copy with another default value.</summary>
        public AttributeDefinition WithDefault(int value) => new AttributeDefinition(Name, Minimum, Maximum, value, Description, Levels);

        /// <summary>A copy with another description.</summary>
        public AttributeDefinition WithDescription(string description) => new AttributeDefinition(Name, Minimum, Maximum, Default, description, Levels);

        /// <inheritdoc />
        public override string ToString() => $"{Name} ({Minimum}..{Maximum}, default {Default})";

        internal static void ValidateName(string name)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("An attribute name must not be empty.", nameof(name));
            }

            foreach (var c in name)
            {
                var ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                if (!ok)
                {
                    throw new ArgumentException(
                        $"Attribute name '{name}' has the character '{c}'; names use lower-case letters, digits, '_' and '-' only " +
                        "(',' and ':' separate names and values in the attribute string).", nameof(name));
                }
            }
        }
    }
}
