using System;
using System.Buffers;
using System.Text;

namespace SteerLM.Npc.Worker.Tokenization
{
    /// <summary>
    /// Turns a stream of token ids into text one token at a time, returning only the text each token adds.
    /// Concatenating everything <see cref="Push"/> and <see cref="Flush"/> return equals
    /// <see cref="NpcTokenizer.Decode"/> of all the ids.
    /// </summary>
    /// <remarks>
    /// Byte-fallback pieces (<c>&lt;0xF0&gt;</c>, <c>&lt;0x9F&gt;</c>, ...) are held back until they complete a
    /// UTF-8 character, so an emoji spread over four tokens appears whole, once. The space SentencePiece adds in
    /// front of the text (the leading <c>▁</c>) is dropped as <see cref="NpcTokenizer.Decode"/> drops it.
    /// One instance per stream; not thread-safe.
    /// </remarks>
    public sealed class IncrementalDecoder
    {
        private readonly StringBuilder _output = new StringBuilder(16);
        private PieceDecoder _state;

        /// <summary>Starts a decoder for one stream of tokens from <paramref name="tokenizer"/>.</summary>
        public IncrementalDecoder(NpcTokenizer tokenizer)
        {
            ArgumentNullException.ThrowIfNull(tokenizer);
            _state = new PieceDecoder(tokenizer);
        }

        /// <summary>Adds one token; returns the text it completes (empty while a UTF-8 character is incomplete).</summary>
        /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
        public string Push(int id)
        {
            _output.Clear();
            _state.Append(id, _output);
            return _output.Length == 0 ? "" : _output.ToString();
        }

        /// <summary>
        /// Ends the stream: returns any bytes still waiting for the rest of their character, each as U+FFFD (what
        /// SentencePiece prints for a broken byte sequence). Empty when nothing is pending.
        /// </summary>
        public string Flush()
        {
            _output.Clear();
            _state.Finish(_output);
            return _output.Length == 0 ? "" : _output.ToString();
        }

        /// <summary>Forgets everything pushed so far, ready for a new stream.</summary>
        public void Reset()
        {
            _state.Reset();
        }
    }

    /// <summary>
    /// SentencePiece's decoding rules (sentencepiece_processor.cc, <c>Decode</c>) as a state machine that takes one
    /// id at a time, shared by <see cref="NpcTokenizer.Decode"/> and <see cref="IncrementalDecoder"/> so the two
    /// cannot disagree.
    /// </summary>
    internal struct PieceDecoder
    {
        private const char ReplacementCharacter = '\uFFFD';

        private readonly NpcTokenizer _tokenizer;
        private readonly byte[] _pending;
        private int _pendingCount;
        private bool _isBosWhitespace;
        private bool _bosWhitespaceSeen;
        private bool _anyText;

        public PieceDecoder(NpcTokenizer tokenizer)
        {
            _tokenizer = tokenizer;
            _pending = new byte[4];
            _pendingCount = 0;
            _isBosWhitespace = true;
            _bosWhitespaceSeen = false;
            _anyText = false;
        }

        public void Reset()
        {
            _pendingCount = 0;
            _isBosWhitespace = true;
            _bosWhitespaceSeen = false;
            _anyText = false;
        }

        public void Append(int id, StringBuilder output)
        {
            PieceType type = _tokenizer.PieceTypeOf(id);
            if (type == PieceType.Byte)
            {
                _pending[_pendingCount++] = _tokenizer.ByteValueOf(id);
                DrainPendingBytes(output, endOfRun: false);
                return;
            }

            DrainPendingBytes(output, endOfRun: true);

            // SentencePiece strips the leading '▁' of the first piece only, and stops looking once it has stripped
            // one or once any text has come out.
            if (_bosWhitespaceSeen || _anyText)
            {
                _isBosWhitespace = false;
            }

            string surface;
            switch (type)
            {
                case PieceType.Control:
                    surface = "";
                    _bosWhitespaceSeen = false;
                    break;
                case PieceType.Unknown:
                    surface = _tokenizer.UnknownSurface;
                    _bosWhitespaceSeen = false;
                    break;
                default:
                    bool strip = _isBosWhitespace && _tokenizer.StripsLeadingSpaceOf(id);
                    surface = strip ? _tokenizer.SurfaceWithoutLeadingSpace(id) : _tokenizer.Surface(id);
                    _bosWhitespaceSeen = strip;
                    break;
            }

            Emit(surface, output);
        }

        public void Finish(StringBuilder output)
        {
            DrainPendingBytes(output, endOfRun: true);
        }

        private void Emit(string text, StringBuilder output)
        {
            if (text.Length > 0)
            {
                output.Append(text);
                _anyText = true;
            }
        }

        // Emits every complete UTF-8 character at the front of the pending bytes. A byte that cannot start a valid
        // character becomes U+FFFD on its own, as in SentencePiece; an incomplete character waits for more bytes
        // unless the run of byte pieces has ended.
        private void DrainPendingBytes(StringBuilder output, bool endOfRun)
        {
            Span<char> chars = stackalloc char[2];
            while (_pendingCount > 0)
            {
                OperationStatus status = Rune.DecodeFromUtf8(_pending.AsSpan(0, _pendingCount), out Rune rune, out int consumed);
                if (status == OperationStatus.Done)
                {
                    int length = rune.EncodeToUtf16(chars);
                    output.Append(chars[..length]);
                }
                else if (status == OperationStatus.NeedMoreData && !endOfRun)
                {
                    return;
                }
                else
                {
                    output.Append(ReplacementCharacter);
                    consumed = 1;
                }

                _anyText = true;
                _pendingCount -= consumed;
                _pending.AsSpan(consumed, _pendingCount).CopyTo(_pending);
            }
        }
    }
}
