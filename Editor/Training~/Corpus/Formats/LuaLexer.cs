using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SteerLM.Npc.Training.Corpus.Formats
{
    /// <summary>What a <see cref="LuaToken"/> is.</summary>
    internal enum LuaTokenKind
    {
        /// <summary>A name or keyword: <c>Npc</c>, <c>says</c>, <c>if</c>, <c>_</c>.</summary>
        Name,

        /// <summary>A string literal, unescaped.</summary>
        String,

        /// <summary>A number.</summary>
        Number,

        /// <summary>An operator or punctuation: <c>(</c>, <c>:</c>, <c>..</c>, <c>==</c>.</summary>
        Symbol,
    }

    /// <summary>One Lua token.</summary>
    internal sealed record LuaToken(LuaTokenKind Kind, string Text, int Line)
    {
        public bool Is(LuaTokenKind kind, string text) => Kind == kind && Text == text;
    }

    /// <summary>
    /// Splits Lua source into tokens, enough to read FreedroidRPG's dialogue scripts: names, numbers, symbols and
    /// string literals (<c>"..."</c>, <c>'...'</c> with escapes, <c>[[...]]</c> and <c>[==[...]==]</c>). Comments
    /// (<c>--</c> and <c>--[[ ... ]]</c>) are skipped; <see cref="LongComments"/> collects the long ones.
    /// </summary>
    internal sealed class LuaLexer
    {
        private static readonly string[] LongSymbols = { "...", "..", "==", "~=", "<=", ">=", "::" };

        private readonly string _text;
        private readonly List<string> _longComments = new List<string>();
        private int _position;
        private int _line = 1;

        private LuaLexer(string text)
        {
            _text = text;
        }

        /// <summary>The text of the long comments met so far (FreedroidRPG keeps a character's wiki entry in one).</summary>
        public IReadOnlyList<string> LongComments => _longComments;

        /// <summary>All tokens of <paramref name="source"/>, and its long comments.</summary>
        public static (List<LuaToken> Tokens, IReadOnlyList<string> LongComments) Tokenize(string source)
        {
            var lexer = new LuaLexer(source);
            var tokens = new List<LuaToken>();
            for (var token = lexer.Next(); token != null; token = lexer.Next())
            {
                tokens.Add(token);
            }

            return (tokens, lexer.LongComments);
        }

        private char Peek(int offset = 0) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

        private LuaToken? Next()
        {
            while (_position < _text.Length)
            {
                var c = Peek();
                if (char.IsWhiteSpace(c))
                {
                    Advance(1);
                    continue;
                }

                if (c == '-' && Peek(1) == '-')
                {
                    Advance(2);
                    var level = LongBracketLevel();
                    if (level >= 0)
                    {
                        _longComments.Add(ReadLongBracket(level));
                    }
                    else
                    {
                        while (_position < _text.Length && Peek() != '\n')
                        {
                            Advance(1);
                        }
                    }

                    continue;
                }

                var line = _line;
                if (c == '"' || c == '\'')
                {
                    return new LuaToken(LuaTokenKind.String, ReadQuoted(c), line);
                }

                if (c == '[')
                {
                    var level = LongBracketLevel();
                    if (level >= 0)
                    {
                        return new LuaToken(LuaTokenKind.String, ReadLongBracket(level), line);
                    }
                }

                if (char.IsLetter(c) || c == '_')
                {
                    var start = _position;
                    while (char.IsLetterOrDigit(Peek()) || Peek() == '_')
                    {
                        Advance(1);
                    }

                    return new LuaToken(LuaTokenKind.Name, _text.Substring(start, _position - start), line);
                }

                if (char.IsDigit(c))
                {
                    var start = _position;
                    while (char.IsLetterOrDigit(Peek()) || Peek() == '.')
                    {
                        Advance(1);
                    }

                    return new LuaToken(LuaTokenKind.Number, _text.Substring(start, _position - start), line);
                }

                foreach (var symbol in LongSymbols)
                {
                    if (string.CompareOrdinal(_text, _position, symbol, 0, symbol.Length) == 0)
                    {
                        Advance(symbol.Length);
                        return new LuaToken(LuaTokenKind.Symbol, symbol, line);
                    }
                }

                Advance(1);
                return new LuaToken(LuaTokenKind.Symbol, c.ToString(), line);
            }

            return null;
        }

        /// <summary>At <c>[</c>: the level of a long bracket (<c>[[</c> is 0, <c>[==[</c> is 2), or -1 when there is none.</summary>
        private int LongBracketLevel()
        {
            if (Peek() != '[')
            {
                return -1;
            }

            var level = 0;
            while (Peek(1 + level) == '=')
            {
                level++;
            }

            return Peek(1 + level) == '[' ? level : -1;
        }

        private string ReadLongBracket(int level)
        {
            Advance(level + 2);
            var close = "]" + new string('=', level) + "]";
            var end = _text.IndexOf(close, _position, StringComparison.Ordinal);
            if (end < 0)
            {
                end = _text.Length;
            }

            var content = _text.Substring(_position, end - _position);
            Advance(Math.Min(_text.Length, end + close.Length) - _position);
            return content;
        }

        private string ReadQuoted(char quote)
        {
            Advance(1);
            var value = new StringBuilder();
            while (_position < _text.Length)
            {
                var c = Peek();
                if (c == quote)
                {
                    Advance(1);
                    break;
                }

                if (c == '\n')
                {
                    // Unfinished string: Lua rejects it; stop at the line's end.
                    break;
                }

                if (c != '\\')
                {
                    value.Append(c);
                    Advance(1);
                    continue;
                }

                var escaped = Peek(1);
                Advance(2);
                switch (escaped)
                {
                    case 'n':
                        value.Append('\n');
                        break;
                    case 't':
                        value.Append('\t');
                        break;
                    case 'r':
                        value.Append('\r');
                        break;
                    case '\n':
                        value.Append('\n');
                        break;
                    case >= '0' and <= '9':
                        var digits = escaped.ToString();
                        while (digits.Length < 3 && char.IsDigit(Peek()))
                        {
                            digits += Peek();
                            Advance(1);
                        }

                        value.Append((char)int.Parse(digits, CultureInfo.InvariantCulture));
                        break;
                    default:
                        // \" \' \\ and anything else: the character itself.
                        value.Append(escaped);
                        break;
                }
            }

            return value.ToString();
        }

        private void Advance(int count)
        {
            for (var i = 0; i < count && _position < _text.Length; i++)
            {
                if (_text[_position] == '\n')
                {
                    _line++;
                }

                _position++;
            }
        }
    }
}
