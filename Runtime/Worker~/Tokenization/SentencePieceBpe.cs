using System;
using System.Collections.Generic;
using System.Text;

namespace SteerLM.Npc.Worker.Tokenization
{
    /// <summary>
    /// SentencePiece's BPE encoder (bpe_model.cc, <c>Model::Encode</c>, and the byte fallback of
    /// sentencepiece_processor.cc), ported line for line so the ids match <c>spm_encode</c> exactly.
    /// </summary>
    /// <remarks>
    /// Start from single characters (user-defined symbols such as <c>&lt;extra_id_1&gt;</c> whole and frozen), then
    /// repeatedly merge the adjacent pair whose merged piece has the highest score; on equal scores the leftmost pair
    /// goes first. Microsoft.ML.Tokenizers 2.0's <c>LlamaTokenizer</c> takes the rightmost pair on ties, which splits
    /// runs such as "ooo" or "..." differently from SentencePiece (about 0.2% of lines of English prose), hence this port.
    /// </remarks>
    internal sealed class SentencePieceBpe
    {
        private readonly SentencePieceModelFile _model;
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeable; // NORMAL, USER_DEFINED, UNUSED: spm's pieces_
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _reserved;   // CONTROL, UNKNOWN, BYTE: spm's reserved_id_map_
        private readonly string[] _userDefined;                                                   // longest first
        private readonly int[] _byteIds = new int[256];
        private readonly int _unknownId;

        public SentencePieceBpe(SentencePieceModelFile model, int unknownId)
        {
            _model = model;
            _unknownId = unknownId;
            var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
            var reserved = new Dictionary<string, int>(StringComparer.Ordinal);
            var userDefined = new List<string>();
            Array.Fill(_byteIds, -1);
            for (int id = 0; id < model.Pieces.Length; id++)
            {
                string piece = model.Pieces[id];
                PieceType type = model.Types[id];
                bool isMergeable = type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused;
                if (!(isMergeable ? mergeable : reserved).TryAdd(piece, id))
                {
                    throw new System.IO.InvalidDataException($"the piece '{piece}' appears twice (ids {(isMergeable ? mergeable : reserved)[piece]} and {id})");
                }

                if (type == PieceType.UserDefined)
                {
                    userDefined.Add(piece);
                }
            }

            for (int b = 0; b < 256; b++)
            {
                if (reserved.TryGetValue($"<0x{b:X2}>", out int id) && model.Types[id] == PieceType.Byte)
                {
                    _byteIds[b] = id;
                }
                else if (model.ByteFallback)
                {
                    throw new System.IO.InvalidDataException($"it uses byte fallback but has no byte piece <0x{b:X2}>");
                }
            }

            userDefined.Sort((a, b) => b.Length.CompareTo(a.Length));
            _userDefined = userDefined.ToArray();
            _mergeable = mergeable.GetAlternateLookup<ReadOnlySpan<char>>();
            _reserved = reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        /// <summary>Appends the ids of already-normalised text (spaces as '▁', dummy prefix added).</summary>
        /// <param name="text">Normalised text.</param>
        /// <param name="matchUserDefined">Cut out user-defined symbols whole (SentencePiece always does).</param>
        /// <param name="output">Receives the ids.</param>
        public void Encode(ReadOnlySpan<char> text, bool matchUserDefined, List<int> output)
        {
            if (text.IsEmpty)
            {
                return;
            }

            // Split into characters, or user-defined symbols, which never merge with a neighbour.
            var symbols = new List<Symbol>(text.Length);
            for (int start = 0; start < text.Length;)
            {
                int length = matchUserDefined ? MatchUserDefined(text[start..]) : 0;
                bool frozen = length > 0;
                if (!frozen)
                {
                    length = char.IsHighSurrogate(text[start]) && start + 1 < text.Length && char.IsLowSurrogate(text[start + 1]) ? 2 : 1;
                }

                int index = symbols.Count;
                symbols.Add(new Symbol(start, length, index - 1, start + length < text.Length ? index + 1 : -1, frozen));
                start += length;
            }

            var agenda = new PriorityQueue<Pair, Pair>(symbols.Count, PairOrder.Instance);
            Dictionary<string, (int Start, int Length, int RightStart, int RightLength)>? reverseMerges = null;

            for (int i = 1; i < symbols.Count; i++)
            {
                MaybeAddPair(text, symbols, i - 1, i, agenda, ref reverseMerges);
            }

            while (agenda.Count > 0)
            {
                Pair top = agenda.Dequeue();
                Symbol left = symbols[top.Left];
                Symbol right = symbols[top.Right];

                // Skip pairs a previous merge made stale.
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Length)
                {
                    continue;
                }

                left.Length += right.Length;
                left.Next = right.Next;
                if (right.Next >= 0)
                {
                    Symbol after = symbols[right.Next];
                    after.Prev = top.Left;
                    symbols[right.Next] = after;
                }

                right.Length = 0;
                symbols[top.Left] = left;
                symbols[top.Right] = right;

                MaybeAddPair(text, symbols, left.Prev, top.Left, agenda, ref reverseMerges);
                MaybeAddPair(text, symbols, top.Left, left.Next, agenda, ref reverseMerges);
            }

            for (int index = 0; index != -1; index = symbols[index].Next)
            {
                Resegment(text, symbols[index].Start, symbols[index].Length, reverseMerges, output);
            }
        }

        private void MaybeAddPair(
            ReadOnlySpan<char> text,
            List<Symbol> symbols,
            int leftIndex,
            int rightIndex,
            PriorityQueue<Pair, Pair> agenda,
            ref Dictionary<string, (int Start, int Length, int RightStart, int RightLength)>? reverseMerges)
        {
            if (leftIndex == -1 || rightIndex == -1 || symbols[leftIndex].Frozen || symbols[rightIndex].Frozen)
            {
                return;
            }

            Symbol left = symbols[leftIndex];
            Symbol right = symbols[rightIndex];
            ReadOnlySpan<char> merged = text.Slice(left.Start, left.Length + right.Length);
            if (!_mergeable.TryGetValue(merged, out int id))
            {
                return;
            }

            var pair = new Pair(leftIndex, rightIndex, merged.Length, _model.Scores[id]);
            agenda.Enqueue(pair, pair);

            // Unused pieces are merged through, then split back into the pieces they were made of.
            if (_model.Types[id] == PieceType.Unused)
            {
                reverseMerges ??= new Dictionary<string, (int, int, int, int)>(StringComparer.Ordinal);
                reverseMerges[merged.ToString()] = (left.Start, left.Length, right.Start, right.Length);
            }
        }

        private void Resegment(
            ReadOnlySpan<char> text,
            int start,
            int length,
            Dictionary<string, (int Start, int Length, int RightStart, int RightLength)>? reverseMerges,
            List<int> ids)
        {
            ReadOnlySpan<char> piece = text.Slice(start, length);
            int id = PieceToId(piece);
            if (id != _unknownId && _model.Types[id] == PieceType.Unused
                && reverseMerges is not null && reverseMerges.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(piece, out var parts))
            {
                Resegment(text, parts.Start, parts.Length, reverseMerges, ids);
                Resegment(text, parts.RightStart, parts.RightLength, reverseMerges, ids);
                return;
            }

            if (id == _unknownId && _model.ByteFallback)
            {
                // Only single characters go unknown, so 8 bytes is room enough.
                Span<byte> utf8 = stackalloc byte[8];
                int count = Encoding.UTF8.GetBytes(piece, utf8);
                for (int i = 0; i < count; i++)
                {
                    ids.Add(_byteIds[utf8[i]]);
                }

                return;
            }

            ids.Add(id);
        }

        // SentencePiece's PieceToId: reserved pieces first, then the rest, else <unk>.
        private int PieceToId(ReadOnlySpan<char> piece) =>
            _reserved.TryGetValue(piece, out int id) || _mergeable.TryGetValue(piece, out id) ? id : _unknownId;

        private int MatchUserDefined(ReadOnlySpan<char> text)
        {
            foreach (string symbol in _userDefined)
            {
                if (text.StartsWith(symbol, StringComparison.Ordinal))
                {
                    return symbol.Length;
                }
            }

            return 0;
        }

        private struct Symbol
        {
            public Symbol(int start, int length, int prev, int next, bool frozen)
            {
                Start = start;
                Length = length;
                Prev = prev;
                Next = next;
                Frozen = frozen;
            }

            public int Start;
            public int Length;
            public int Prev;
            public int Next;
            public bool Frozen;
        }

        private readonly record struct Pair(int Left, int Right, int Length, float Score);

        // Dequeue order: the highest score first; on a tie the leftmost pair (bpe_model.cc, SymbolPairComparator).
        private sealed class PairOrder : IComparer<Pair>
        {
            public static readonly PairOrder Instance = new PairOrder();

            public int Compare(Pair x, Pair y) =>
                x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Left.CompareTo(y.Left);
        }
    }
}
