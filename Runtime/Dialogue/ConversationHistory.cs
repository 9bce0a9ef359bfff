#nullable enable

using System;
using System.Collections.Generic;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>
    /// The recent conversation between the player and one character, bounded so that prompts stay within the model's
    /// context. Oldest lines drop first, a player line always together with the reply that followed it.
    /// Saved with <see cref="ConversationStore"/>.
    /// </summary>
    /// <remarks>
    /// The bounds hold at all times: the lines are read-only from outside, and only <see cref="AddPlayerLine"/>,
    /// <see cref="AddCharacterLine"/> and <see cref="Clear"/> change them.
    /// </remarks>
    public sealed class ConversationHistory
    {
        /// <summary>Default number of lines kept.</summary>
        public const int DefaultMaxLines = 16;

        /// <summary>Default number of characters kept, over all lines.</summary>
        public const int DefaultMaxCharacters = 2000;

        /// <summary>What a character reply cut to <see cref="MaxCharacters"/> ends with.</summary>
        public const string Ellipsis = "...";

        private readonly List<ConversationLine> _lines = new List<ConversationLine>();

        /// <summary>Creates an empty history with bounds.</summary>
        /// <exception cref="ArgumentException">The id is empty or a bound is too small.</exception>
        public ConversationHistory(string characterId, int maxLines = DefaultMaxLines, int maxCharacters = DefaultMaxCharacters)
        {
            var problem = BoundsProblem(characterId, maxLines, maxCharacters);
            if (string.IsNullOrWhiteSpace(characterId))
            {
                throw new ArgumentException(problem, nameof(characterId));
            }

            if (problem != null)
            {
                throw maxLines < 2
                    ? new ArgumentOutOfRangeException(nameof(maxLines), maxLines, problem)
                    : new ArgumentOutOfRangeException(nameof(maxCharacters), maxCharacters, problem);
            }

            CharacterId = characterId;
            MaxLines = maxLines;
            MaxCharacters = maxCharacters;
            Lines = _lines.AsReadOnly();
        }

        /// <summary>
        /// The constructor the save format uses (see <c>SaveFormat</c>): a history with these bounds and lines, which must
        /// already be within the bounds. Callers check <see cref="BoundsProblem"/> and <see cref="LinesProblem"/> first.
        /// </summary>
        internal ConversationHistory(string characterId, int maxLines, int maxCharacters, IEnumerable<ConversationLine> lines)
            : this(characterId, maxLines, maxCharacters)
        {
            _lines.AddRange(lines);
            var problem = LinesProblem(_lines, maxLines, maxCharacters);
            if (problem != null)
            {
                throw new ArgumentException(problem, nameof(lines));
            }
        }

        /// <summary>The character this history belongs to.</summary>
        public string CharacterId { get; }

        /// <summary>Most lines kept.</summary>
        public int MaxLines { get; }

        /// <summary>Most characters kept over all lines.</summary>
        public int MaxCharacters { get; }

        /// <summary>The lines, oldest first (read-only).</summary>
        public IReadOnlyList<ConversationLine> Lines { get; }

        /// <summary>Adds what the player said.</summary>
        /// <exception cref="ArgumentException">
        /// The line is longer than <see cref="MaxCharacters"/> (limit the game's text field instead), or contains a SteerLM
        /// control token.
        /// </exception>
        public void AddPlayerLine(string text, double gameTime = 0)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            if (text.Length > MaxCharacters)
            {
                throw new ArgumentException($"A player line of {text.Length} characters is longer than this history keeps ({MaxCharacters}).", nameof(text));
            }

            Add(new ConversationLine(TurnRole.User, text, null, gameTime));
        }

        /// <summary>
        /// Adds what the character replied, with the attributes it was generated with. A reply longer than
        /// <see cref="MaxCharacters"/> is cut at the last word boundary that fits and ends with <see cref="Ellipsis"/>.
        /// </summary>
        /// <exception cref="ArgumentException">The text contains a control token, or the attribute string is not one line or contains one.</exception>
        public void AddCharacterLine(string text, string? attributes, double gameTime = 0)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            Add(new ConversationLine(TurnRole.Assistant, Shorten(text, MaxCharacters), attributes, gameTime));
        }

        /// <summary>Forgets everything.</summary>
        public void Clear() => _lines.Clear();

        /// <summary>The lines as prompt turns, oldest first.</summary>
        public IReadOnlyList<PromptTurn> ToTurns()
        {
            var turns = new PromptTurn[_lines.Count];
            for (var i = 0; i < turns.Length; i++)
            {
                turns[i] = _lines[i].ToTurn();
            }

            return turns;
        }

        /// <summary>
        /// Text cut to at most <paramref name="maxCharacters"/>: up to the last whitespace that leaves room for
        /// <see cref="Ellipsis"/> (mid-word only when there is no whitespace to cut at), then the ellipsis.
        /// </summary>
        internal static string Shorten(string text, int maxCharacters)
        {
            if (text.Length <= maxCharacters)
            {
                return text;
            }

            if (maxCharacters <= Ellipsis.Length)
            {
                return Ellipsis.Substring(0, maxCharacters);
            }

            var budget = maxCharacters - Ellipsis.Length;
            var cut = budget;
            while (cut > 0 && !char.IsWhiteSpace(text[cut]))
            {
                cut--;
            }

            if (cut == 0)
            {
                // One long word: cut inside it, but never between the two halves of a surrogate pair.
                cut = char.IsLowSurrogate(text[budget]) ? budget - 1 : budget;
            }

            return text.Substring(0, cut).TrimEnd() + Ellipsis;
        }

        /// <summary>What is wrong with a history's id and bounds, or null when nothing is.</summary>
        internal static string? BoundsProblem(string? characterId, int maxLines, int maxCharacters)
        {
            if (string.IsNullOrWhiteSpace(characterId))
            {
                return "ConversationHistory.CharacterId is empty.";
            }

            if (maxLines < 2)
            {
                return $"ConversationHistory.MaxLines is {maxLines}, but it must be at least 2 (one exchange).";
            }

            return maxCharacters < 1 ? $"ConversationHistory.MaxCharacters is {maxCharacters}, but it must be positive." : null;
        }

        /// <summary>Whether lines fit within the bounds, as the history keeps them; null when they do.</summary>
        internal static string? LinesProblem(IReadOnlyList<ConversationLine> lines, int maxLines, int maxCharacters)
        {
            if (lines.Count > maxLines)
            {
                return $"{lines.Count} lines, more than its bound of {maxLines}.";
            }

            var total = 0L;
            foreach (var line in lines)
            {
                total += line.Text.Length;
            }

            return total > maxCharacters ? $"{total} characters of text, more than its bound of {maxCharacters}." : null;
        }

        private void Add(ConversationLine line)
        {
            _lines.Add(line);
            Trim();
        }

        private void Trim()
        {
            var total = 0;
            foreach (var line in _lines)
            {
                total += line.Text.Length;
            }

            while (_lines.Count > 1 && (_lines.Count > MaxLines || total > MaxCharacters))
            {
                total -= _lines[0].Text.Length;
                _lines.RemoveAt(0);

                // A reply without the player line before it reads oddly: drop it with its question.
                if (_lines.Count > 1 && _lines[0].Role == TurnRole.Assistant)
                {
                    total -= _lines[0].Text.Length;
                    _lines.RemoveAt(0);
                }
            }
        }
    }
}
