#nullable enable

using System;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>One line of a conversation: who said it, what, and (for a character's line) the attributes it was generated with.</summary>
    /// <remarks>Immutable and checked when built, so a history never holds a line it cannot turn into a prompt.</remarks>
    public sealed class ConversationLine
    {
        /// <summary>Creates a line.</summary>
        /// <param name="role">Who said it.</param>
        /// <param name="text">What was said; it must not contain a SteerLM control token.</param>
        /// <param name="attributes">For a character's line, the attribute string it was generated with (one line, no control
        /// token), or null; a player's line has none.</param>
        /// <param name="gameTime">Game time of the line, in seconds (as the game counts it).</param>
        /// <exception cref="ArgumentException">The role is unknown, or the text or attribute string is not allowed; the message says why.</exception>
        public ConversationLine(TurnRole role, string text, string? attributes = null, double gameTime = 0)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            var problem = Problem(role, text, attributes, out var parameter);
            if (problem != null)
            {
                throw new ArgumentException("ConversationLine: " + problem, parameter);
            }

            Role = role;
            Text = text;
            Attributes = attributes;
            GameTime = gameTime;
        }

        /// <summary>Who said it.</summary>
        public TurnRole Role { get; }

        /// <summary>What was said.</summary>
        public string Text { get; }

        /// <summary>For character lines, the attribute string the line was generated with; otherwise null.</summary>
        public string? Attributes { get; }

        /// <summary>Game time of the line, in seconds (as the game counts it).</summary>
        public double GameTime { get; }

        /// <summary>The line as a prompt turn.</summary>
        public PromptTurn ToTurn() => Role == TurnRole.User ? PromptTurn.User(Text) : PromptTurn.Assistant(Text, Attributes);

        /// <inheritdoc />
        public override string ToString() => ToTurn().ToString();

        /// <summary>What is wrong with a line's parts, or null when nothing is (shared by the constructor and the save reader).</summary>
        internal static string? Problem(TurnRole role, string? text, string? attributes, out string parameter)
        {
            parameter = nameof(role);
            if (role != TurnRole.User && role != TurnRole.Assistant)
            {
                return $"role {(int)role} is not a turn role (0 User, 1 Assistant).";
            }

            parameter = nameof(text);
            if (text == null)
            {
                return "the text is missing.";
            }

            var token = SteerLMTemplate.FindControlToken(text);
            if (token != null)
            {
                return $"the text contains the control token {token}; it could never be put in a prompt.";
            }

            if (attributes == null)
            {
                return null;
            }

            parameter = nameof(attributes);
            if (role == TurnRole.User)
            {
                return "a player line carries no attribute string.";
            }

            if (attributes.IndexOf('\n') >= 0 || attributes.IndexOf('\r') >= 0)
            {
                return "the attribute string must be one line.";
            }

            token = SteerLMTemplate.FindControlToken(attributes);
            return token != null ? $"the attribute string contains the control token {token}." : null;
        }
    }
}
