#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using MessagePack;
using SteerLM.Npc.Internal;

namespace SteerLM.Npc.Dialogue
{
    /// <summary>The histories of every character, saved and loaded with a game save.</summary>
    /// <remarks>
    /// The save is MessagePack written by the package's explicit formatters (nothing is generated at run time, so it works
    /// under IL2CPP): an array of histories, each <c>[characterId, maxLines, maxCharacters, lines]</c>, each line
    /// <c>[role, text, attributes or nil, gameTime]</c>. <see cref="Load"/> reads it as untrusted data.
    /// </remarks>
    public sealed class ConversationStore
    {
        private Dictionary<string, ConversationHistory> _histories = new Dictionary<string, ConversationHistory>(StringComparer.Ordinal);
        private int _maxLines = ConversationHistory.DefaultMaxLines;
        private int _maxCharacters = ConversationHistory.DefaultMaxCharacters;

        /// <summary>Most lines kept by histories created from now on; at least 2.</summary>
        public int MaxLines
        {
            get => _maxLines;
            set => _maxLines = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ConversationStore.MaxLines must be at least 2 (one exchange).");
        }

        /// <summary>Most characters kept by histories created from now on; at least 1.</summary>
        public int MaxCharacters
        {
            get => _maxCharacters;
            set => _maxCharacters = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ConversationStore.MaxCharacters must be positive.");
        }

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
        public byte[] Save() => MessagePackSerializer.Serialize(_histories.Values.ToArray(), SaveFormat.Options);

        /// <summary>
        /// Replaces all histories with those of a save made by <see cref="Save"/>. All or nothing: every history and line is
        /// checked first, and a bad save leaves the current histories as they were.
        /// </summary>
        /// <exception cref="FormatException">The bytes are not a valid conversation save; the message says what is wrong.</exception>
        public void Load(byte[] save)
        {
            if (save == null)
            {
                throw new ArgumentNullException(nameof(save));
            }

            ConversationHistory[]? list;
            try
            {
                list = MessagePackSerializer.Deserialize<ConversationHistory[]>(save, SaveFormat.Options);
            }
            catch (MessagePackSerializationException e)
            {
                throw SaveFormat.Corrupt("conversation", e);
            }

            if (list == null)
            {
                throw new FormatException("The conversation save is nil, not a list of histories.");
            }

            var histories = new Dictionary<string, ConversationHistory>(list.Length, StringComparer.Ordinal);
            foreach (var history in list)
            {
                if (histories.ContainsKey(history.CharacterId))
                {
                    throw new FormatException($"The conversation save has two histories for '{history.CharacterId}'.");
                }

                histories.Add(history.CharacterId, history);
            }

            _histories = histories;
        }
    }
}
