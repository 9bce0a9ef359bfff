#nullable enable

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SteerLM.Npc.Internal
{
    /// <summary>
    /// Minimal, strict JSON reading and writing (RFC 8259) with no dependency, for schemas, character cards and configs.
    /// Parsing yields plain objects: <c>Dictionary&lt;string, object?&gt;</c>, <c>object?[]</c>, <c>long</c>, <c>double</c>,
    /// <c>string</c>, <c>bool</c> and null. Errors give the source, line and column.
    /// </summary>
    /// <remarks>
    /// Strict where lenient readers guess: numbers follow RFC 8259's grammar exactly (no leading zeros, no <c>1.</c> or
    /// <c>1e</c>), a key given twice in one object is an error naming the key, and <c>\u</c> takes exactly four hex
    /// digits. A leading byte order mark (U+FEFF, as some editors save UTF-8) is skipped.
    /// </remarks>
    internal static class Json
    {
        private const int MaxDepth = 64;

        /// <summary>Parses JSON text.</summary>
        /// <param name="text">The JSON text.</param>
        /// <param name="source">Where the text came from (a file name), for error messages.</param>
        public static object? Parse(string text, string source)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            var reader = new Reader(text, source);
            reader.SkipByteOrderMark();
            reader.SkipWhitespace();
            if (reader.AtEnd)
            {
                throw new FormatException($"{source}: the JSON text is empty.");
            }

            var value = reader.ReadValue(0);
            reader.SkipWhitespace();
            if (!reader.AtEnd)
            {
                throw reader.Error("unexpected text after the JSON value");
            }

            return value;
        }

        /// <summary>Parses JSON whose top level must be an object.</summary>
        public static JsonObject ParseObject(string text, string source)
        {
            var value = Parse(text, source);
            if (value is Dictionary<string, object?> map)
            {
                return new JsonObject(map, source, "");
            }

            throw new FormatException($"{source}: expected a JSON object at the top level, found {Describe(value)}.");
        }

        private sealed class Reader
        {
            private readonly string _text;
            private readonly string _source;
            private int _position;

            public Reader(string text, string source)
            {
                _text = text;
                _source = source;
            }

            public bool AtEnd => _position >= _text.Length;

            public FormatException Error(string what)
            {
                var line = 1;
                var column = 1;
                for (var i = 0; i < _position && i < _text.Length; i++)
                {
                    if (_text[i] == '\n')
                    {
                        line++;
                        column = 1;
                    }
                    else
                    {
                        column++;
                    }
                }

                var found = AtEnd ? "the end of the text (truncated JSON?)" : $"'{_text[_position]}'";
                return new FormatException($"{_source}: not valid JSON: {what} at line {line}, column {column}, found {found}.");
            }

            public void SkipByteOrderMark()
            {
                if (_position == 0 && _text.Length > 0 && _text[0] == '\uFEFF')
                {
                    _position = 1;
                }
            }

            public void SkipWhitespace()
            {
                while (!AtEnd && (_text[_position] == ' ' || _text[_position] == '\t' || _text[_position] == '\n' || _text[_position] == '\r'))
                {
                    _position++;
                }
            }

            public object? ReadValue(int depth)
            {
                if (depth > MaxDepth)
                {
                    throw Error($"nesting deeper than {MaxDepth}");
                }

                SkipWhitespace();
                if (AtEnd)
                {
                    throw Error("expected a value");
                }

                switch (_text[_position])
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': return ReadLiteral("true", true);
                    case 'f': return ReadLiteral("false", false);
                    case 'n': return ReadLiteral("null", null);
                    default:
                        var c = _text[_position];
                        if (c == '-' || (c >= '0' && c <= '9'))
                        {
                            return ReadNumber();
                        }

                        throw Error("expected a value");
                }
            }

            private Dictionary<string, object?> ReadObject(int depth)
            {
                _position++;
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                SkipWhitespace();
                if (!AtEnd && _text[_position] == '}')
                {
                    _position++;
                    return map;
                }

                while (true)
                {
                    SkipWhitespace();
                    if (AtEnd || _text[_position] != '"')
                    {
                        throw Error("expected a property name in double quotes");
                    }

                    var keyStart = _position;
                    var key = ReadString();
                    if (map.ContainsKey(key))
                    {
                        _position = keyStart;
                        throw Error($"the key \"{key}\" appears twice in this object");
                    }

                    SkipWhitespace();
                    Expect(':');
                    map[key] = ReadValue(depth + 1);
                    SkipWhitespace();
                    if (!AtEnd && _text[_position] == ',')
                    {
                        _position++;
                        continue;
                    }

                    Expect('}');
                    return map;
                }
            }

            private object?[] ReadArray(int depth)
            {
                _position++;
                var list = new List<object?>();
                SkipWhitespace();
                if (!AtEnd && _text[_position] == ']')
                {
                    _position++;
                    return list.ToArray();
                }

                while (true)
                {
                    list.Add(ReadValue(depth + 1));
                    SkipWhitespace();
                    if (!AtEnd && _text[_position] == ',')
                    {
                        _position++;
                        continue;
                    }

                    Expect(']');
                    return list.ToArray();
                }
            }

            private string ReadString()
            {
                _position++;
                var text = new StringBuilder();
                while (true)
                {
                    if (AtEnd)
                    {
                        throw Error("unterminated string");
                    }

                    var c = _text[_position++];
                    if (c == '"')
                    {
                        return text.ToString();
                    }

                    if (c < 0x20)
                    {
                        _position--;
                        throw Error("control character in a string");
                    }

                    if (c != '\\')
                    {
                        text.Append(c);
                        continue;
                    }

                    if (AtEnd)
                    {
                        throw Error("unterminated escape");
                    }

                    var e = _text[_position++];
                    switch (e)
                    {
                        case '"': text.Append('"'); break;
                        case '\\': text.Append('\\'); break;
                        case '/': text.Append('/'); break;
                        case 'b': text.Append('\b'); break;
                        case 'f': text.Append('\f'); break;
                        case 'n': text.Append('\n'); break;
                        case 'r': text.Append('\r'); break;
                        case 't': text.Append('\t'); break;
                        case 'u':
                            var code = 0;
                            for (var i = 0; i < 4; i++)
                            {
                                var digit = _position < _text.Length ? HexValue(_text[_position]) : -1;
                                if (digit < 0)
                                {
                                    throw Error("bad \\u escape (it takes exactly four hex digits)");
                                }

                                code = code * 16 + digit;
                                _position++;
                            }

                            text.Append((char)code);
                            break;
                        default:
                            _position--;
                            throw Error("unknown escape");
                    }
                }
            }

            private static int HexValue(char c) =>
                c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

            /// <summary>Reads a number by RFC 8259's grammar: <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>.</summary>
            private object ReadNumber()
            {
                var start = _position;
                if (_text[_position] == '-')
                {
                    _position++;
                }

                if (AtEnd || !IsDigit(_text[_position]))
                {
                    throw Error("expected a digit in the number");
                }

                if (_text[_position] == '0')
                {
                    _position++;
                    if (!AtEnd && IsDigit(_text[_position]))
                    {
                        throw Error("leading zeros are not allowed in a number");
                    }
                }
                else
                {
                    SkipDigits();
                }

                var isInteger = true;
                if (!AtEnd && _text[_position] == '.')
                {
                    isInteger = false;
                    _position++;
                    RequireDigits("a digit after the decimal point");
                }

                if (!AtEnd && (_text[_position] == 'e' || _text[_position] == 'E'))
                {
                    isInteger = false;
                    _position++;
                    if (!AtEnd && (_text[_position] == '+' || _text[_position] == '-'))
                    {
                        _position++;
                    }

                    RequireDigits("a digit in the exponent");
                }

                var token = _text.Substring(start, _position - start);
                if (isInteger && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
                {
                    return whole;
                }

                if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && !double.IsInfinity(real))
                {
                    return real;
                }

                _position = start;
                throw Error($"the number '{token}' is out of range");
            }

            private static bool IsDigit(char c) => c >= '0' && c <= '9';

            private void SkipDigits()
            {
                while (!AtEnd && IsDigit(_text[_position]))
                {
                    _position++;
                }
            }

            private void RequireDigits(string what)
            {
                if (AtEnd || !IsDigit(_text[_position]))
                {
                    throw Error("expected " + what);
                }

                SkipDigits();
            }

            private object? ReadLiteral(string literal, object? value)
            {
                if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
                {
                    throw Error("expected a value");
                }

                _position += literal.Length;
                return value;
            }

            private void Expect(char c)
            {
                if (AtEnd || _text[_position] != c)
                {
                    throw Error($"expected '{c}'");
                }

                _position++;
            }
        }

        internal static string Describe(object? value) => value switch
        {
            null => "null",
            string s => $"the string \"{Truncate(s)}\"",
            bool b => b ? "true" : "false",
            long l => $"the number {l}",
            double d => $"the number {d.ToString(CultureInfo.InvariantCulture)}",
            object?[] _ => "an array",
            Dictionary<string, object?> _ => "an object",
            _ => value.GetType().Name,
        };

        private static string Truncate(string s) => s.Length <= 40 ? s : s.Substring(0, 40) + "...";

        /// <summary>Writes indented JSON with the properties in the order given.</summary>
        public sealed class Writer
        {
            private readonly StringBuilder _text = new StringBuilder();
            private int _depth;
            private bool _first = true;

            /// <summary>Opens an object; <paramref name="name"/> is null at the top level or in an array.</summary>
            public Writer BeginObject(string? name = null) => Open(name, '{');

            /// <summary>Closes the current object.</summary>
            public Writer EndObject() => Close('}');

            /// <summary>Opens an array.</summary>
            public Writer BeginArray(string? name = null) => Open(name, '[');

            /// <summary>Closes the current array.</summary>
            public Writer EndArray() => Close(']');

            /// <summary>Writes a string property or array item.</summary>
            public Writer String(string? name, string value)
            {
                Prefix(name);
                Quote(value);
                return this;
            }

            /// <summary>Writes a number property or array item.</summary>
            public Writer Number(string? name, double value)
            {
                Prefix(name);
                _text.Append(value.ToString("R", CultureInfo.InvariantCulture));
                return this;
            }

            /// <summary>Writes an integer property or array item.</summary>
            public Writer Number(string? name, long value)
            {
                Prefix(name);
                _text.Append(value.ToString(CultureInfo.InvariantCulture));
                return this;
            }

            /// <summary>Writes a boolean property or array item.</summary>
            public Writer Bool(string? name, bool value)
            {
                Prefix(name);
                _text.Append(value ? "true" : "false");
                return this;
            }

            /// <inheritdoc />
            public override string ToString() => _text.ToString() + "\n";

            private Writer Open(string? name, char bracket)
            {
                Prefix(name);
                _text.Append(bracket);
                _depth++;
                _first = true;
                return this;
            }

            private Writer Close(char bracket)
            {
                _depth--;
                if (!_first)
                {
                    NewLine();
                }

                _text.Append(bracket);
                _first = false;
                return this;
            }

            private void Prefix(string? name)
            {
                if (_depth > 0)
                {
                    if (!_first)
                    {
                        _text.Append(',');
                    }

                    NewLine();
                }

                _first = false;
                if (name != null)
                {
                    Quote(name);
                    _text.Append(": ");
                }
            }

            private void NewLine()
            {
                _text.Append('\n');
                _text.Append(' ', _depth * 2);
            }

            private void Quote(string value)
            {
                _text.Append('"');
                foreach (var c in value)
                {
                    switch (c)
                    {
                        case '"': _text.Append("\\\""); break;
                        case '\\': _text.Append("\\\\"); break;
                        case '\n': _text.Append("\\n"); break;
                        case '\r': _text.Append("\\r"); break;
                        case '\t': _text.Append("\\t"); break;
                        default:
                            if (c < 0x20)
                            {
                                _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                            }
                            else
                            {
                                _text.Append(c);
                            }

                            break;
                    }
                }

                _text.Append('"');
            }
        }
    }

    /// <summary>A JSON object with typed accessors whose errors name the source and the field's path.</summary>
    internal readonly struct JsonObject
    {
        private readonly Dictionary<string, object?> _map;

        public JsonObject(Dictionary<string, object?> map, string source, string path)
        {
            _map = map;
            Source = source;
            Path = path;
        }

        public string Source { get; }

        public string Path { get; }

        public IEnumerable<string> Keys => _map.Keys;

        public bool Has(string key) => _map.TryGetValue(key, out var v) && v != null;

        public string FieldPath(string key) => Path.Length == 0 ? key : Path + "." + key;

        public FormatException Error(string key, string message) =>
            new FormatException($"{Source}: field '{FieldPath(key)}' {message}");

        public string RequiredString(string key)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                throw Error(key, "is missing.");
            }

            return v as string ?? throw Error(key, $"must be a string, found {Json.Describe(v)}.");
        }

        public string OptionalString(string key, string fallback = "")
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                return fallback;
            }

            return v as string ?? throw Error(key, $"must be a string, found {Json.Describe(v)}.");
        }

        public long RequiredInteger(string key)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                throw Error(key, "is missing.");
            }

            return AsInteger(key, v);
        }

        public long OptionalInteger(string key, long fallback) =>
            _map.TryGetValue(key, out var v) && v != null ? AsInteger(key, v) : fallback;

        /// <summary>A whole number that must fit a 32-bit int; checked before the cast, so a huge value never wraps around.</summary>
        public int RequiredInt32(string key)
        {
            var value = RequiredInteger(key);
            if (value < int.MinValue || value > int.MaxValue)
            {
                throw Error(key, $"is {value.ToString(CultureInfo.InvariantCulture)}, outside the range of a 32-bit integer.");
            }

            return (int)value;
        }

        public double OptionalNumber(string key, double fallback)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                return fallback;
            }

            return v switch
            {
                long l => l,
                double d => d,
                _ => throw Error(key, $"must be a number, found {Json.Describe(v)}."),
            };
        }

        public bool OptionalBool(string key, bool fallback)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                return fallback;
            }

            return v as bool? ?? throw Error(key, $"must be true or false, found {Json.Describe(v)}.");
        }

        public object?[] OptionalArray(string key)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                return Array.Empty<object?>();
            }

            return v as object?[] ?? throw Error(key, $"must be an array, found {Json.Describe(v)}.");
        }

        public JsonObject? OptionalObject(string key)
        {
            if (!_map.TryGetValue(key, out var v) || v == null)
            {
                return null;
            }

            if (v is Dictionary<string, object?> map)
            {
                return new JsonObject(map, Source, FieldPath(key));
            }

            throw Error(key, $"must be an object, found {Json.Describe(v)}.");
        }

        public JsonObject RequiredObject(string key) =>
            OptionalObject(key) ?? throw Error(key, "is missing.");

        public JsonObject ElementAsObject(string key, object?[] array, int index)
        {
            if (array[index] is Dictionary<string, object?> map)
            {
                return new JsonObject(map, Source, $"{FieldPath(key)}[{index}]");
            }

            throw new FormatException($"{Source}: field '{FieldPath(key)}[{index}]' must be an object, found {Json.Describe(array[index])}.");
        }

        public string ElementAsString(string key, object?[] array, int index) =>
            array[index] as string ?? throw new FormatException(
                $"{Source}: field '{FieldPath(key)}[{index}]' must be a string, found {Json.Describe(array[index])}.");

        private long AsInteger(string key, object v) => v switch
        {
            long l => l,
            double d when Math.Abs(d - Math.Round(d)) < 1e-9 && d >= -9.2e18 && d <= 9.2e18 => (long)Math.Round(d),
            double d when Math.Abs(d - Math.Round(d)) < 1e-9 => throw Error(key, $"is {Json.Describe(v)}, too large for a whole number here."),
            _ => throw Error(key, $"must be a whole number, found {Json.Describe(v)}."),
        };
    }
}
