#nullable enable

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace SteerLM.Npc.Steering
{
    /// <summary>Who speaks a turn.</summary>
    public enum TurnRole
    {
        /// <summary>The player (SteerLM's <c>User</c>).</summary>
        User = 0,

        /// <summary>The character (SteerLM's <c>Assistant</c>).</summary>
        Assistant = 1,
    }

    /// <summary>One turn of a conversation; an assistant turn may carry the attribute string it was produced with.</summary>
    public readonly struct PromptTurn : IEquatable<PromptTurn>
    {
        /// <summary>Creates a turn.</summary>
        public PromptTurn(TurnRole role, string text, string? attributes = null)
        {
            if (role == TurnRole.User && attributes != null)
            {
                throw new ArgumentException("Only assistant turns carry attribute labels.", nameof(attributes));
            }

            Role = role;
            Text = text ?? throw new ArgumentNullException(nameof(text));
            Attributes = attributes;
        }

        /// <summary>Who speaks.</summary>
        public TurnRole Role { get; }

        /// <summary>What is said.</summary>
        public string Text { get; }

        /// <summary>For assistant turns, the attribute string they were generated or labelled with, or null.</summary>
        public string? Attributes { get; }

        /// <summary>A player turn.</summary>
        public static PromptTurn User(string text) => new PromptTurn(TurnRole.User, text);

        /// <summary>A character turn, optionally labelled with its attribute string.</summary>
        public static PromptTurn Assistant(string text, string? attributes = null) => new PromptTurn(TurnRole.Assistant, text, attributes);

        /// <inheritdoc />
        public bool Equals(PromptTurn other) => Role == other.Role && Text == other.Text && Attributes == other.Attributes;

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is PromptTurn other && Equals(other);

        /// <inheritdoc />
        public override int GetHashCode() => ((int)Role * 397) ^ Text.GetHashCode() ^ (Attributes?.GetHashCode() ?? 0);

        /// <inheritdoc />
        public override string ToString() => Attributes == null ? $"{Role}: {Text}" : $"{Role} [{Attributes}]: {Text}";
    }

    /// <summary>A SteerLM conversation: system text, turns, and (for a prompt) the attributes the next reply should have.</summary>
    public sealed class SteerLMConversation
    {
        /// <summary>Creates a conversation.</summary>
        public SteerLMConversation(string system, IReadOnlyList<PromptTurn> turns, string? nextAttributes)
        {
            System = system ?? throw new ArgumentNullException(nameof(system));
            Turns = new ReadOnlyCollection<PromptTurn>(new List<PromptTurn>(turns ?? throw new ArgumentNullException(nameof(turns))));
            NextAttributes = nextAttributes;
        }

        /// <summary>The system text (for a character: its persona).</summary>
        public string System { get; }

        /// <summary>The turns in order.</summary>
        public IReadOnlyList<PromptTurn> Turns { get; }

        /// <summary>The attribute string of the reply the prompt asks for, or null when the text ends after a turn.</summary>
        public string? NextAttributes { get; }
    }

    /// <summary>
    /// NVIDIA's SteerLM prompt template, byte for byte as NeMo-Aligner writes it
    /// (<c>examples/nlp/data/steerlm/common.py</c> and the SFT chat dataset):
    /// <code>
    /// &lt;extra_id_0&gt;System\n{system}\n
    /// &lt;extra_id_1&gt;User\n{user}\n
    /// &lt;extra_id_1&gt;Assistant\n&lt;extra_id_2&gt;{attributes}\n{reply}\n
    /// ...
    /// &lt;extra_id_1&gt;Assistant\n&lt;extra_id_2&gt;{attributes}\n
    /// </code>
    /// Generation stops at <see cref="TurnStart"/>.
    /// </summary>
    public static class SteerLMTemplate
    {
        /// <summary>Control token that opens the system text.</summary>
        public const string SystemStart = "<extra_id_0>";

        /// <summary>Control token that opens every turn; the stop token for generation.</summary>
        public const string TurnStart = "<extra_id_1>";

        /// <summary>Control token that opens the attribute line of an assistant turn.</summary>
        public const string LabelStart = "<extra_id_2>";

        /// <summary>The speaker name of player turns.</summary>
        public const string UserName = "User";

        /// <summary>The speaker name of character turns.</summary>
        public const string AssistantName = "Assistant";

        /// <summary>NeMo-Aligner's default system text, for prompting NVIDIA's own SteerLM models.</summary>
        public const string DefaultSystem =
            "A chat between a curious user and an artificial intelligence assistant. " +
            "The assistant gives helpful, detailed, and polite answers to the user's questions.";

        /// <summary>The three control tokens, which a tokenizer must keep as single tokens.</summary>
        public static IReadOnlyList<string> ControlTokens { get; } = Array.AsReadOnly(new[] { SystemStart, TurnStart, LabelStart });

        /// <summary>
        /// Formats a prompt that asks for the next character reply with the given attributes:
        /// system text, the history, then the assistant header and the attribute line.
        /// </summary>
        /// <param name="system">System text (the persona).</param>
        /// <param name="turns">The history, ending with the player's newest line.</param>
        /// <param name="attributes">The attributes the reply should have.</param>
        public static string FormatPrompt(string system, IReadOnlyList<PromptTurn> turns, AttributeValues attributes)
        {
            if (attributes == null)
            {
                throw new ArgumentNullException(nameof(attributes));
            }

            return FormatPrompt(system, turns, attributes.ToAttributeString());
        }

        /// <summary>Formats a prompt with an attribute string given as text (already in schema order).</summary>
        public static string FormatPrompt(string system, IReadOnlyList<PromptTurn> turns, string attributes)
        {
            var text = new StringBuilder(256);
            AppendConversation(text, system, turns);
            AppendAssistantHeader(text, attributes);
            return text.ToString();
        }

        /// <summary>Formats a whole conversation, every turn closed (the form used for training data).</summary>
        public static string FormatConversation(string system, IReadOnlyList<PromptTurn> turns)
        {
            var text = new StringBuilder(256);
            AppendConversation(text, system, turns);
            return text.ToString();
        }

        /// <summary>The header that opens an assistant turn with its attribute line: <c>&lt;extra_id_1&gt;Assistant\n&lt;extra_id_2&gt;{attributes}\n</c>.</summary>
        public static string AssistantHeader(string? attributes)
        {
            var text = new StringBuilder(64);
            AppendAssistantHeader(text, attributes);
            return text.ToString();
        }

        private static void AppendConversation(StringBuilder text, string system, IReadOnlyList<PromptTurn> turns)
        {
            CheckText(system, "system");
            text.Append(SystemStart).Append("System\n").Append(system).Append('\n');
            if (turns == null)
            {
                throw new ArgumentNullException(nameof(turns));
            }

            for (var i = 0; i < turns.Count; i++)
            {
                var turn = turns[i];
                CheckText(turn.Text, $"turns[{i}]");
                if (turn.Role == TurnRole.User)
                {
                    text.Append(TurnStart).Append(UserName).Append('\n');
                }
                else
                {
                    AppendAssistantHeader(text, turn.Attributes);
                }

                text.Append(turn.Text).Append('\n');
            }
        }

        private static void AppendAssistantHeader(StringBuilder text, string? attributes)
        {
            text.Append(TurnStart).Append(AssistantName).Append('\n');
            if (attributes != null)
            {
                CheckText(attributes, "attributes");
                if (attributes.IndexOf('\n') >= 0)
                {
                    throw new ArgumentException("The attribute string must be one line.", nameof(attributes));
                }

                text.Append(LabelStart).Append(attributes).Append('\n');
            }
        }

        private static void CheckText(string value, string field)
        {
            if (value == null)
            {
                throw new ArgumentNullException(field);
            }

            var token = FindControlToken(value);
            if (token != null)
            {
                throw new ArgumentException(
                    $"The {field} text contains the control token {token}; player and persona text must not (it would let a line rewrite the prompt).",
                    field);
            }
        }

        /// <summary>The first of <see cref="ControlTokens"/> that <paramref name="text"/> contains, or null when it holds none.</summary>
        internal static string? FindControlToken(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return null;
            }

            foreach (var token in ControlTokens)
            {
                if (text!.IndexOf(token, StringComparison.Ordinal) >= 0)
                {
                    return token;
                }
            }

            return null;
        }

        /// <summary>
        /// Parses text written by <see cref="FormatPrompt(string, IReadOnlyList{PromptTurn}, string)"/> or
        /// <see cref="FormatConversation"/> back into system text, turns and the trailing attribute request.
        /// </summary>
        /// <exception cref="FormatException">The text does not follow the template; the message says where.</exception>
        public static SteerLMConversation Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            var header = SystemStart + "System\n";
            if (!text.StartsWith(header, StringComparison.Ordinal))
            {
                throw new FormatException($"A SteerLM prompt starts with \"{Escape(header)}\".");
            }

            var position = header.Length;
            var system = ReadBody(text, ref position, "system text");
            var turns = new List<PromptTurn>();
            string? next = null;
            var userHeader = TurnStart + UserName + "\n";
            var assistantHeader = TurnStart + AssistantName + "\n";
            while (position < text.Length)
            {
                var turnStart = position;
                TurnRole role;
                if (string.CompareOrdinal(text, position, userHeader, 0, userHeader.Length) == 0)
                {
                    role = TurnRole.User;
                    position += userHeader.Length;
                }
                else if (string.CompareOrdinal(text, position, assistantHeader, 0, assistantHeader.Length) == 0)
                {
                    role = TurnRole.Assistant;
                    position += assistantHeader.Length;
                }
                else
                {
                    throw new FormatException($"Expected \"{Escape(userHeader)}\" or \"{Escape(assistantHeader)}\" at offset {position}.");
                }

                string? attributes = null;
                if (role == TurnRole.Assistant && string.CompareOrdinal(text, position, LabelStart, 0, LabelStart.Length) == 0)
                {
                    var lineEnd = text.IndexOf('\n', position);
                    if (lineEnd < 0)
                    {
                        throw new FormatException($"The attribute line at offset {position} is not closed by a newline.");
                    }

                    attributes = text.Substring(position + LabelStart.Length, lineEnd - position - LabelStart.Length);
                    var token = FindControlToken(attributes);
                    if (token != null)
                    {
                        throw new FormatException($"The attribute line at offset {position} contains the control token {token}.");
                    }

                    position = lineEnd + 1;
                }

                if (position == text.Length && role == TurnRole.Assistant)
                {
                    next = attributes ?? "";
                    break;
                }

                var body = ReadBody(text, ref position, $"{role} turn at offset {turnStart}");
                turns.Add(new PromptTurn(role, body, attributes));
            }

            return new SteerLMConversation(system, turns, next);
        }

        /// <summary>
        /// Reads text from <paramref name="position"/> up to the newline before the next turn (or the newline that ends the
        /// text) and moves past that newline. The text must be closed by its newline and hold no control token.
        /// </summary>
        private static string ReadBody(string text, ref int position, string what)
        {
            var start = position;
            var end = text.IndexOf("\n" + TurnStart, start, StringComparison.Ordinal);
            if (end < 0)
            {
                end = text.Length - 1;
                if (end < start || text[end] != '\n')
                {
                    throw new FormatException($"The {what} is not closed by a newline.");
                }
            }

            var body = text.Substring(start, end - start);
            var token = FindControlToken(body);
            if (token != null)
            {
                throw new FormatException($"The {what} contains the control token {token} (a turn header without its newline?).");
            }

            position = end + 1;
            return body;
        }

        private static string Escape(string s) => s.Replace("\n", "\\n");
    }
}
