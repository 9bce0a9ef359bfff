#nullable enable

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SteerLM.Npc.Steering
{
    /// <summary>
    /// One value per attribute of a schema, in the schema's order: what a request asks the model for.
    /// Immutable; every value is within its attribute's range.
    /// </summary>
    public sealed class AttributeValues : IEquatable<AttributeValues>
    {
        private readonly int[] _values;

        internal AttributeValues(AttributeSchema schema, int[] values)
        {
            Schema = schema;
            _values = values;
            for (var i = 0; i < values.Length; i++)
            {
                schema[i].CheckRange(values[i]);
            }
        }

        /// <summary>The schema the values belong to.</summary>
        public AttributeSchema Schema { get; }

        /// <summary>Number of values (the schema's attribute count).</summary>
        public int Count => _values.Length;

        /// <summary>The value at a position of the schema.</summary>
        public int this[int index] => _values[index];

        /// <summary>The value of a named attribute; an unknown name is an error listing the names that exist.</summary>
        public int this[string name] => _values[Schema.IndexOf(name)];

        /// <summary>A copy with one attribute changed; an unknown name or an out-of-range value is an error.</summary>
        public AttributeValues With(string name, int value)
        {
            var i = Schema.IndexOf(name);
            Schema[i].CheckRange(value);
            var copy = (int[])_values.Clone();
            copy[i] = value;
            return new AttributeValues(Schema, copy);
        }

        /// <summary>A copy with several attributes changed, by name.</summary>
        public AttributeValues With(IEnumerable<KeyValuePair<string, int>> values)
        {
            var copy = (int[])_values.Clone();
            foreach (var pair in values)
            {
                var i = Schema.IndexOf(pair.Key);
                Schema[i].CheckRange(pair.Value);
                copy[i] = pair.Value;
            }

            return new AttributeValues(Schema, copy);
        }

        /// <summary>Values given by name; attributes not named take the schema's defaults.</summary>
        public static AttributeValues FromDictionary(AttributeSchema schema, IEnumerable<KeyValuePair<string, int>> values) =>
            schema.Defaults().With(values);

        /// <summary>The values by name, in schema order.</summary>
        public IEnumerable<KeyValuePair<string, int>> ToPairs()
        {
            for (var i = 0; i < _values.Length; i++)
            {
                yield return new KeyValuePair<string, int>(Schema[i].Name, _values[i]);
            }
        }

        /// <summary>
        /// The SteerLM attribute string: <c>name:value</c> pairs joined by <c>,</c> in schema order,
        /// for example <c>humor:1,toxicity:0,helpfulness:3</c>.
        /// </summary>
        public string ToAttributeString()
        {
            var text = new StringBuilder(Count * 12);
            for (var i = 0; i < _values.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(Schema[i].Name).Append(':').Append(_values[i].ToString(CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }

        /// <summary>
        /// Parses <c>name:value</c> pairs separated by commas, for example <c>humor:4,toxicity:0</c>.
        /// Attributes not named take the schema's defaults unless <paramref name="requireAll"/> is set.
        /// </summary>
        /// <exception cref="FormatException">A pair is malformed or a value is not a whole number.</exception>
        /// <exception cref="ArgumentException">A name is unknown (the message lists the names that exist) or given twice.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A value is outside its attribute's range.</exception>
        public static AttributeValues Parse(AttributeSchema schema, string text, bool requireAll = false)
        {
            if (schema == null)
            {
                throw new ArgumentNullException(nameof(schema));
            }

            var values = schema.Defaults()._values;
            var seen = new bool[schema.Count];
            var trimmed = (text ?? throw new ArgumentNullException(nameof(text))).Trim();
            if (trimmed.Length > 0)
            {
                foreach (var rawPair in trimmed.Split(','))
                {
                    var pair = rawPair.Trim();
                    var colon = pair.IndexOf(':');
                    if (colon <= 0 || colon == pair.Length - 1 || pair.IndexOf(':', colon + 1) >= 0)
                    {
                        throw new FormatException($"Attribute pair '{pair}' in \"{text}\" is not of the form name:value (for example humor:2).");
                    }

                    var name = pair.Substring(0, colon).Trim();
                    var valueText = pair.Substring(colon + 1).Trim();
                    var index = schema.IndexOf(name);
                    if (seen[index])
                    {
                        throw new ArgumentException($"Attribute '{name}' is given twice in \"{text}\".", nameof(text));
                    }

                    if (!int.TryParse(valueText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                    {
                        var a = schema[index];
                        throw new FormatException($"Attribute '{name}' has value '{valueText}', but it takes a whole number {a.Minimum}..{a.Maximum}.");
                    }

                    schema[index].CheckRange(value);
                    values[index] = value;
                    seen[index] = true;
                }
            }

            if (requireAll)
            {
                for (var i = 0; i < seen.Length; i++)
                {
                    if (!seen[i])
                    {
                        throw new FormatException($"Attribute string \"{text}\" lacks '{schema[i].Name}'; schema '{schema.Id}' needs all of: {string.Join(", ", schema.Names)}.");
                    }
                }
            }

            return new AttributeValues(schema, values);
        }

        /// <inheritdoc />
        public bool Equals(AttributeValues? other)
        {
            if (other is null || !ReferenceEquals(other.Schema, Schema) && !other.Schema.IsCompatibleWith(Schema))
            {
                return false;
            }

            for (var i = 0; i < _values.Length; i++)
            {
                if (_values[i] != other._values[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is AttributeValues other && Equals(other);

        /// <inheritdoc />
        public override int GetHashCode()
        {
            var hash = 17;
            foreach (var v in _values)
            {
                hash = hash * 31 + v;
            }

            return hash;
        }

        /// <inheritdoc />
        public override string ToString() => ToAttributeString();
    }
}
