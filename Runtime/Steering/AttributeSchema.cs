#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;

namespace SteerLM.Npc.Steering
{
    /// <summary>
    /// An ordered list of steerable attributes. The order is the order of the SteerLM attribute string, so a model
    /// trained with one schema must be prompted with the same schema. A model directory carries its schema as
    /// <c>attributes.json</c> (see <see cref="ToJson"/>).
    /// </summary>
    public sealed partial class AttributeSchema
    {
        private readonly AttributeDefinition[] _attributes;
        private readonly Dictionary<string, int> _index;

        /// <summary>Creates a schema from attribute definitions in attribute-string order.</summary>
        /// <param name="id">A short identifier, for example <c>npc-v1</c>, used to check that a model and a game agree.</param>
        /// <param name="attributes">The attributes, in the order they appear in the attribute string.</param>
        public AttributeSchema(string id, IEnumerable<AttributeDefinition> attributes)
        {
            if (string.IsNullOrWhiteSpace(id))
            {
                throw new ArgumentException("A schema id must not be empty.", nameof(id));
            }

            _attributes = (attributes ?? throw new ArgumentNullException(nameof(attributes))).ToArray();
            if (_attributes.Length == 0)
            {
                throw new ArgumentException($"Schema '{id}' has no attributes.", nameof(attributes));
            }

            _index = new Dictionary<string, int>(_attributes.Length, StringComparer.Ordinal);
            for (var i = 0; i < _attributes.Length; i++)
            {
                var a = _attributes[i] ?? throw new ArgumentException($"Schema '{id}': attribute {i} is null.", nameof(attributes));
                if (_index.ContainsKey(a.Name))
                {
                    throw new ArgumentException($"Schema '{id}' names the attribute '{a.Name}' twice.", nameof(attributes));
                }

                _index.Add(a.Name, i);
            }

            Id = id;
            Attributes = Array.AsReadOnly(_attributes);
        }

        /// <summary>Short identifier of the schema, for example <c>npc-v1</c> or <c>steerlm-v1</c>.</summary>
        public string Id { get; }

        /// <summary>The attributes in attribute-string order.</summary>
        public IReadOnlyList<AttributeDefinition> Attributes { get; }

        /// <summary>Number of attributes.</summary>
        public int Count => _attributes.Length;

        /// <summary>The attribute names in attribute-string order.</summary>
        public IEnumerable<string> Names => _attributes.Select(a => a.Name);

        /// <summary>The attribute at a position.</summary>
        public AttributeDefinition this[int index] => _attributes[index];

        /// <summary>The attribute with this name; throws a clear error listing the names that exist when there is none.</summary>
        public AttributeDefinition this[string name] => _attributes[IndexOf(name)];

        /// <summary>Whether the schema has an attribute with this name.</summary>
        public bool Contains(string name) => name != null && _index.ContainsKey(name);

        /// <summary>Looks an attribute up by name without throwing.</summary>
        public bool TryGetIndex(string name, out int index) => _index.TryGetValue(name ?? "", out index);

        /// <summary>Position of the attribute in the attribute string; throws a clear error for an unknown name.</summary>
        public int IndexOf(string name)
        {
            if (name != null && _index.TryGetValue(name, out var i))
            {
                return i;
            }

            throw UnknownAttribute(name);
        }

        /// <summary>The error for a name the schema does not have; its message lists the names that exist.</summary>
        public ArgumentException UnknownAttribute(string? name) => new ArgumentException(UnknownAttributeMessage(name), "name");

        /// <summary>The message of <see cref="UnknownAttribute"/>: the name, a suggestion when one is close, and the names that exist.</summary>
        internal string UnknownAttributeMessage(string? name)
        {
            var hint = ClosestName(name);
            return $"Unknown attribute '{name}' for schema '{Id}'" + (hint != null ? $" (did you mean '{hint}'?)" : "") +
                $"; the attributes are: {string.Join(", ", Names)}.";
        }

        /// <summary>The schema's default values.</summary>
        public AttributeValues Defaults() => new AttributeValues(this, _attributes.Select(a => a.Default).ToArray());

        /// <summary>Whether two schemas have the same attributes, ranges and order (descriptions aside).</summary>
        public bool IsCompatibleWith(AttributeSchema other)
        {
            if (other == null || other.Count != Count)
            {
                return false;
            }

            for (var i = 0; i < Count; i++)
            {
                var a = _attributes[i];
                var b = other._attributes[i];
                if (a.Name != b.Name || a.Minimum != b.Minimum || a.Maximum != b.Maximum)
                {
                    return false;
                }
            }

            return true;
        }

        /// <inheritdoc />
        public override string ToString() => $"{Id} ({string.Join(",", Names)})";

        private string? ClosestName(string? name)
        {
            if (string.IsNullOrEmpty(name))
            {
                return null;
            }

            string? best = null;
            var bestDistance = int.MaxValue;
            foreach (var candidate in Names)
            {
                var d = EditDistance(name!.ToLowerInvariant(), candidate);
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = candidate;
                }
            }

            return bestDistance <= Math.Max(2, name!.Length / 3) ? best : null;
        }

        private static int EditDistance(string a, string b)
        {
            var row = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
            {
                row[j] = j;
            }

            for (var i = 1; i <= a.Length; i++)
            {
                var diagonal = row[0];
                row[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var above = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                    diagonal = above;
                }
            }

            return row[b.Length];
        }
    }
}
