using System;
using System.Collections.Generic;
using System.Text;

namespace SteerLM.Npc.Training.Corpus.Formats
{
    /// <summary>What a <see cref="WmlToken"/> is.</summary>
    internal enum WmlTokenKind
    {
        /// <summary><c>[name]</c> or <c>[+name]</c>.</summary>
        OpenTag,

        /// <summary><c>[/name]</c>.</summary>
        CloseTag,

        /// <summary><c>key=value</c>.</summary>
        Attribute,

        /// <summary>A preprocessor line: <c>#ifdef</c>, <c>#else</c>, <c>#endif</c>, <c>#define</c>, <c>#enddef</c> ...</summary>
        Directive,
    }

    /// <summary>One element of a WML file.</summary>
    /// <param name="Kind">Tag, attribute or directive.</param>
    /// <param name="Name">The tag name, the attribute key, or the directive (<c>#ifdef</c>).</param>
    /// <param name="RawValue">An attribute's value as written (trimmed), empty for tags.</param>
    /// <param name="Strings">The quoted strings in an attribute's value, unescaped, in order (also those inside macro
    /// calls such as <c>{WHISPER _"..."}</c>).</param>
    /// <param name="HasSubstitution">True when the value has a <c>$variable</c> or a <c>{MACRO}</c> outside its strings.</param>
    /// <param name="Line">The 1-based line where the element starts.</param>
    internal sealed record WmlToken(WmlTokenKind Kind, string Name, string RawValue, IReadOnlyList<string> Strings, bool HasSubstitution, int Line)
    {
        /// <summary>An attribute's text: its strings joined (WML's <c>+</c> concatenates), or the bare value when unquoted.</summary>
        public string Text => Strings.Count > 0 ? string.Concat(Strings) : RawValue;
    }

    /// <summary>
    /// Reads the Wesnoth Markup Language of campaign <c>.cfg</c> files into tags, attributes and preprocessor lines,
    /// enough to find who says what: <c>[message] speaker=Deoran message= _ "..." [/message]</c>. Handles strings
    /// that span lines, doubled quotes (<c>""</c>) inside strings, <c>+</c> continuation lines, <c>&lt;&lt;raw&gt;&gt;</c>
    /// strings, comments, and macro calls (skipped, except for the strings in an attribute's value).
    /// </summary>
    internal static class WmlReader
    {
        /// <summary>The elements of <paramref name="text"/> in document order.</summary>
        public static IEnumerable<WmlToken> Read(string text)
        {
            var reader = new Cursor(text);
            while (!reader.AtEnd)
            {
                reader.SkipSpaceAndNewlines();
                if (reader.AtEnd)
                {
                    break;
                }

                var line = reader.Line;
                var c = reader.Peek;
                if (c == '#')
                {
                    var comment = reader.ReadToEndOfLine();
                    var word = FirstWord(comment);
                    if (IsDirective(word))
                    {
                        yield return new WmlToken(WmlTokenKind.Directive, word, comment, Array.Empty<string>(), false, line);
                    }

                    continue;
                }

                if (c == '[')
                {
                    var tag = reader.ReadTag();
                    if (tag == null)
                    {
                        reader.ReadToEndOfLine();
                        continue;
                    }

                    if (tag.StartsWith("/", StringComparison.Ordinal))
                    {
                        yield return new WmlToken(WmlTokenKind.CloseTag, tag.Substring(1), string.Empty, Array.Empty<string>(), false, line);
                    }
                    else
                    {
                        yield return new WmlToken(WmlTokenKind.OpenTag, tag.TrimStart('+'), string.Empty, Array.Empty<string>(), false, line);
                    }

                    continue;
                }

                if (c == '{')
                {
                    // A macro call standing alone: {HIGHLIGHT_IMAGE 9 10 items/gohere.png ()}.
                    reader.SkipBraces();
                    continue;
                }

                var key = reader.ReadKey();
                if (key == null)
                {
                    reader.ReadToEndOfLine();
                    continue;
                }

                var (raw, strings, substitution) = reader.ReadValue();
                yield return new WmlToken(WmlTokenKind.Attribute, key, raw, strings, substitution, line);
            }
        }

        private static string FirstWord(string text)
        {
            var end = 0;
            while (end < text.Length && !char.IsWhiteSpace(text[end]))
            {
                end++;
            }

            return text.Substring(0, end);
        }

        private static bool IsDirective(string word) => word switch
        {
            "#ifdef" or "#ifndef" or "#ifhave" or "#ifnhave" or "#ifver" or "#ifnver" or "#else" or "#endif"
                or "#define" or "#enddef" or "#undef" => true,
            _ => false,
        };

        private sealed class Cursor
        {
            private readonly string _text;
            private int _position;

            public Cursor(string text)
            {
                _text = text;
                Line = 1;
            }

            public int Line { get; private set; }

            public bool AtEnd => _position >= _text.Length;

            public char Peek => _text[_position];

            private char PeekAt(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

            public void SkipSpaceAndNewlines()
            {
                while (!AtEnd && char.IsWhiteSpace(Peek))
                {
                    Advance();
                }
            }

            public string ReadToEndOfLine()
            {
                var start = _position;
                while (!AtEnd && Peek != '\n')
                {
                    _position++;
                }

                return _text.Substring(start, _position - start).TrimEnd('\r');
            }

            /// <summary>Reads <c>[name]</c>; returns the name (with a leading '/' or '+'), or null when it is not a tag.</summary>
            public string? ReadTag()
            {
                var end = _text.IndexOf(']', _position);
                var newline = _text.IndexOf('\n', _position);
                if (end < 0 || (newline >= 0 && newline < end))
                {
                    return null;
                }

                var name = _text.Substring(_position + 1, end - _position - 1).Trim();
                _position = end + 1;
                return name.Length > 0 ? name : null;
            }

            /// <summary>Reads <c>key=</c> (keys are letters, digits, '_' and ','); null when the line is not an attribute.</summary>
            public string? ReadKey()
            {
                var start = _position;
                while (!AtEnd && (char.IsLetterOrDigit(Peek) || Peek == '_' || Peek == ',' || Peek == ' ' || Peek == '\t'))
                {
                    _position++;
                }

                if (AtEnd || Peek != '=' || _position == start)
                {
                    _position = start;
                    return null;
                }

                var key = _text.Substring(start, _position - start).Trim();
                _position++;
                return key.Length > 0 && !key.Contains(' ') ? key : null;
            }

            /// <summary>Reads an attribute value up to the end of its (logical) line.</summary>
            public (string Raw, List<string> Strings, bool Substitution) ReadValue()
            {
                var raw = new StringBuilder();
                var strings = new List<string>();
                var substitution = false;
                var braceDepth = 0;
                while (!AtEnd)
                {
                    var c = Peek;
                    if (c == '"')
                    {
                        strings.Add(ReadString());
                        raw.Append('"').Append(strings[strings.Count - 1]).Append('"');
                        continue;
                    }

                    if (c == '<' && PeekAt(1) == '<')
                    {
                        // <<raw string>>: Lua code, never prose.
                        var end = _text.IndexOf(">>", _position + 2, StringComparison.Ordinal);
                        var stop = end < 0 ? _text.Length : end + 2;
                        while (_position < stop)
                        {
                            Advance();
                        }

                        substitution = true;
                        continue;
                    }

                    if (c == '#' && braceDepth == 0)
                    {
                        ReadToEndOfLine();
                        continue;
                    }

                    if (c == '\n')
                    {
                        if (braceDepth > 0 || raw.ToString().TrimEnd().EndsWith("+", StringComparison.Ordinal))
                        {
                            // A macro call's arguments, or `+` joining the next line's string.
                            raw.Append(' ');
                            Advance();
                            continue;
                        }

                        break;
                    }

                    if (c == '{')
                    {
                        braceDepth++;
                        substitution = true;
                    }
                    else if (c == '}')
                    {
                        braceDepth = Math.Max(0, braceDepth - 1);
                    }
                    else if (c == '$')
                    {
                        substitution = true;
                    }

                    raw.Append(c);
                    Advance();
                }

                return (raw.ToString().Trim(), strings, substitution);
            }

            /// <summary>Skips a macro call, nested braces and strings included.</summary>
            public void SkipBraces()
            {
                var depth = 0;
                while (!AtEnd)
                {
                    var c = Peek;
                    if (c == '"')
                    {
                        ReadString();
                        continue;
                    }

                    Advance();
                    if (c == '{')
                    {
                        depth++;
                    }
                    else if (c == '}' && --depth == 0)
                    {
                        return;
                    }
                }
            }

            /// <summary>Reads a quoted string starting at the opening quote; <c>""</c> inside it is one quote.</summary>
            private string ReadString()
            {
                Advance();
                var value = new StringBuilder();
                while (!AtEnd)
                {
                    var c = Peek;
                    Advance();
                    if (c == '"')
                    {
                        if (!AtEnd && Peek == '"')
                        {
                            value.Append('"');
                            Advance();
                            continue;
                        }

                        break;
                    }

                    value.Append(c);
                }

                return value.ToString();
            }

            private void Advance()
            {
                if (_text[_position] == '\n')
                {
                    Line++;
                }

                _position++;
            }
        }
    }
}
