using System;
using System.Collections.Generic;
using MessagePack;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>One line of a saved conversation.</summary>
    [MessagePackObject]
    public sealed class ConversationLine
    {
        /// <summary>Who said it.</summary>
        [Key(0)]
        public TurnRole Role { get; set; }

        /// <summary>What was said.</summary>
        [Key(1)]
        public string Text { get; set; } = "";

        /// <summary>For character lines, the attribute string the line was generated with; otherwise null.</summary>
        [Key(2)]
        public string? Attributes { get; set; }

        /// <summary>Game time of the line, in seconds (as the game counts it).</summary>
        [Key(3)]
        public double GameTime { get; set; }
    }

    /// <summary>
    /// The recent conversation between the player and one character, bounded so that prompts stay within the model's
    /// context. Oldest lines drop first, a player line always together with the reply that followed it.
    /// Serializable with MessagePack for game saves.
    /// </summary>
    [MessagePackObject]
    public sealed class ConversationHistory
    {
        /// <summary>Default number of lines kept.</summary>
        public const int DefaultMaxLines = 16;

        /// <summary>Default number of characters kept, over all lines.</summary>
        public const int DefaultMaxCharacters = 2000;

        /// <summary>Creates an empty history (also used by the deserializer).</summary>
        public ConversationHistory()
        {
        }

        /// <summary>Creates an empty history with bounds.</summary>
        public ConversationHistory(string characterId, int maxLines = DefaultMaxLines, int maxCharacters = DefaultMaxCharacters)
        {
            if (string.IsNullOrWhiteSpace(characterId))
            {
                throw new ArgumentException("ConversationHistory.CharacterId is empty.", nameof(characterId));
            }

            if (maxLines < 2)
            {
                throw new ArgumentOutOfRangeException(nameof(maxLines), maxLines, "ConversationHistory.MaxLines must be at least 2 (one exchange).");
            }

            if (maxCharacters < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(maxCharacters), maxCharacters, "ConversationHistory.MaxCharacters must be positive.");
            }

            CharacterId = characterId;
            MaxLines = maxLines;
            MaxCharacters = maxCharacters;
        }

        /// <summary>The character this history belongs to.</summary>
        [Key(0)]
        public string CharacterId { get; set; } = "";

        /// <summary>Most lines kept.</summary>
        [Key(1)]
        public int MaxLines { get; set; } = DefaultMaxLines;

        /// <summary>Most characters kept over all lines.</summary>
        [Key(2)]
        public int MaxCharacters { get; set; } = DefaultMaxCharacters;

        /// <summary>The lines, oldest first.</summary>
        [Key(3)]
        public List<ConversationLine> Lines { get; set; } = new List<ConversationLine>();

        /// <summary>Adds what the player said.</summary>
        public void AddPlayerLine(string text, double gameTime = 0) => Add(TurnRole.User, text, null, gameTime);

        /// <summary>Adds what the character replied, with the attributes it was generated with.</summary>
        public void AddCharacterLine(string text, string? attributes, double gameTime = 0) => Add(TurnRole.Assistant, text, attributes, gameTime);

        /// <summary>Forgets everything.</summary>
        public void Clear() => Lines.Clear();

        /// <summary>The lines as prompt turns, oldest first.</summary>
        public IReadOnlyList<PromptTurn> ToTurns()
        {
            var turns = new PromptTurn[Lines.Count];
            for (var i = 0; i < turns.Length; i++)
            {
                var line = Lines[i];
                turns[i] = line.Role == TurnRole.User ? PromptTurn.User(line.Text) : PromptTurn.Assistant(line.Text, line.Attributes);
            }

            return turns;
        }

        private void Add(TurnRole role, string text, string? attributes, double gameTime)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            if (text.Length > MaxCharacters)
            {
                throw new ArgumentException($"A line of {text.Length} characters is longer than this history keeps ({MaxCharacters}).", nameof(text));
            }

            Lines.Add(new ConversationLine { Role = role, Text = text, Attributes = attributes, GameTime = gameTime });
            Trim();
        }

        private void Trim()
        {
            var total = 0;
            foreach (var line in Lines)
            {
                total += line.Text.Length;
            }

            while (Lines.Count > 1 && (Lines.Count > MaxLines || total > MaxCharacters))
            {
                total -= Lines[0].Text.Length;
                Lines.RemoveAt(0);

                // A reply without the player line before it reads oddly: drop it with its question.
                if (Lines.Count > 1 && Lines[0].Role == TurnRole.Assistant)
                {
                    total -= Lines[0].Text.Length;
                    Lines.RemoveAt(0);
                }
            }
        }
    }

    /// <summary>The histories of every character, saved and loaded with a game save.</summary>
    public sealed class ConversationStore
    {
        private static readonly MessagePackSerializerOptions LoadOptions =
            MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

        private readonly Dictionary<string, ConversationHistory> _histories = new Dictionary<string, ConversationHistory>(StringComparer.Ordinal);

        /// <summary>Bounds for new histories.</summary>
        public int MaxLines { get; set; } = ConversationHistory.DefaultMaxLines;

        /// <summary>Bounds for new histories.</summary>
        public int MaxCharacters { get; set; } = ConversationHistory.DefaultMaxCharacters;

        /// <summary>The characters that have a history.</summary>
        public IEnumerable<string> CharacterIds => _histories.Keys;

        /// <summary>The history with a character, created empty on first use.</summary>
        public ConversationHistory For(string characterId)
        {
            if (!_histories.TryGetValue(characterId ?? throw new ArgumentNullException(nameof(characterId)), out var history))
            {
                history = new ConversationHistory(characterId, MaxLines, MaxCharacters);
                _histories.Add(characterId, history);
            }

            return history;
        }

        /// <summary>All histories as MessagePack bytes, for a game save.</summary>
        public byte[] Save() => MessagePackSerializer.Serialize(new List<ConversationHistory>(_histories.Values));

        /// <summary>Replaces all histories with those of a save made by <see cref="Save"/>.</summary>
        /// <exception cref="FormatException">The bytes are not a conversation save.</exception>
        public void Load(byte[] save)
        {
            List<ConversationHistory> list;
            try
            {
                list = MessagePackSerializer.Deserialize<List<ConversationHistory>>(save, LoadOptions);
            }
            catch (MessagePackSerializationException e)
            {
                throw new FormatException("The conversation save is corrupt or from another format: " + e.GetBaseException().Message, e);
            }

            _histories.Clear();
            foreach (var history in list)
            {
                if (history == null || string.IsNullOrWhiteSpace(history.CharacterId) || history.Lines == null)
                {
                    throw new FormatException("The conversation save has a history without a character id or lines.");
                }

                _histories[history.CharacterId] = history;
            }
        }
    }
}
