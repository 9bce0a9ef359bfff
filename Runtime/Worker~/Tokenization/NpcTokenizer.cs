using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SteerLM.Npc.Worker.Tokenization
{
    /// <summary>
    /// The worker's tokenizer: a SentencePiece BPE model in the Llama layout (<c>tokenizer.model</c>), with SteerLM's
    /// three control tokens kept whole.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <see cref="Encode"/> gives the ids the SentencePiece library itself gives (<c>spm_encode</c>,
    /// <c>SentencePieceProcessor.encode</c>), control tokens included: the text gets one leading <c>▁</c>, the
    /// control tokens are cut out whole wherever they are, and each stretch between them is BPE-encoded without
    /// a further <c>▁</c>. So <c>"&lt;extra_id_0&gt;System"</c> is <c>▁ &lt;extra_id_0&gt; S y stem</c>. The BPE is
    /// a port of SentencePiece's own (<see cref="SentencePieceBpe"/>): Microsoft.ML.Tokenizers 2.0's
    /// <c>LlamaTokenizer</c> breaks ties between equal merges the other way and differs on a few lines in a
    /// thousand.
    /// </para>
    /// <para>
    /// <see cref="Decode"/> follows SentencePiece's decoder to the byte: byte-fallback pieces are joined into
    /// UTF-8, the leading <c>▁</c> of the text is dropped, &lt;s&gt; and &lt;/s&gt; print nothing, control
    /// tokens print as themselves. The models this loads must use identity normalisation (spm_train
    /// <c>--normalization_rule_name=identity</c>) and BPE, as Llama's does; then <c>Decode(Encode(text)) == text</c>
    /// for any text without a literal <c>▁</c> (U+2581), which SentencePiece reads back as a space.
    /// </para>
    /// <para>Immutable after loading: <see cref="Encode"/> and <see cref="Decode"/> may run on several threads.</para>
    /// </remarks>
    public sealed class NpcTokenizer
    {
        /// <summary>SteerLM's token before the system prompt: <c>&lt;extra_id_0&gt;</c>.</summary>
        public const string SystemToken = "<extra_id_0>";

        /// <summary>SteerLM's token before each turn's speaker (User, Assistant), and where generation stops: <c>&lt;extra_id_1&gt;</c>.</summary>
        public const string TurnToken = "<extra_id_1>";

        /// <summary>SteerLM's token before the attribute values (<c>humor:4,toxicity:0</c>): <c>&lt;extra_id_2&gt;</c>.</summary>
        public const string AttributesToken = "<extra_id_2>";

        private const char SpaceSymbol = '\u2581'; // '▁', SentencePiece's visible space.
        private const int BpeModelType = 2;      // TrainerSpec.ModelType.BPE

        private static readonly string[] ControlTokenTexts = { SystemToken, TurnToken, AttributesToken };

        private readonly SentencePieceModelFile _model;
        private readonly SentencePieceBpe _bpe;
        private readonly int[] _controlTokenIds;
        private readonly string[] _surfaces;
        private readonly string[] _surfacesWithoutLeadingSpace;
        private readonly byte[] _byteValues;

        private NpcTokenizer(string sourceName, SentencePieceModelFile model, SentencePieceBpe bpe, int unknownId, int bosId, int eosId)
        {
            SourceName = sourceName;
            _model = model;
            _bpe = bpe;
            VocabSize = model.Pieces.Length;
            BosId = bosId;
            EosId = eosId;
            UnknownId = unknownId;

            _surfaces = new string[VocabSize];
            _surfacesWithoutLeadingSpace = new string[VocabSize];
            _byteValues = new byte[VocabSize];
            for (int id = 0; id < VocabSize; id++)
            {
                string piece = model.Pieces[id];
                _surfaces[id] = model.EscapeWhitespaces ? piece.Replace(SpaceSymbol, ' ') : piece;
                _surfacesWithoutLeadingSpace[id] = piece.Length > 0 && piece[0] == SpaceSymbol ? _surfaces[id].Substring(1) : _surfaces[id];
                if (model.Types[id] == PieceType.Byte)
                {
                    _byteValues[id] = ParseBytePiece(piece, id);
                }
            }

            _controlTokenIds = new int[ControlTokenTexts.Length];
            for (int i = 0; i < ControlTokenTexts.Length; i++)
            {
                _controlTokenIds[i] = FindControlTokenId(ControlTokenTexts[i]);
            }
        }

        /// <summary>SteerLM's control tokens, in order: <see cref="SystemToken"/>, <see cref="TurnToken"/>, <see cref="AttributesToken"/>.</summary>
        public static IReadOnlyList<string> ControlTokens => ControlTokenTexts;

        /// <summary>The file (or the name given to <see cref="Load(Stream, string)"/>) this tokenizer came from.</summary>
        public string SourceName { get; }

        /// <summary>Number of pieces; ids run from 0 to <c>VocabSize - 1</c>.</summary>
        public int VocabSize { get; }

        /// <summary>Id of <c>&lt;s&gt;</c>, put before a sequence (1 in the Llama layout).</summary>
        public int BosId { get; }

        /// <summary>Id of <c>&lt;/s&gt;</c>, the end of a sequence (2 in the Llama layout).</summary>
        public int EosId { get; }

        /// <summary>Id of <c>&lt;unk&gt;</c> (0 in the Llama layout); byte fallback means encoding never produces it.</summary>
        public int UnknownId { get; }

        /// <summary>Id of <see cref="SystemToken"/> (<c>&lt;extra_id_0&gt;</c>).</summary>
        public int SystemTokenId => _controlTokenIds[0];

        /// <summary>Id of <see cref="TurnToken"/> (<c>&lt;extra_id_1&gt;</c>), where SteerLM generation stops.</summary>
        public int TurnTokenId => _controlTokenIds[1];

        /// <summary>Id of <see cref="AttributesToken"/> (<c>&lt;extra_id_2&gt;</c>).</summary>
        public int AttributesTokenId => _controlTokenIds[2];

        internal string UnknownSurface => _model.UnknownSurface;

        /// <summary>Loads a SentencePiece <c>tokenizer.model</c> file.</summary>
        /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
        /// <exception cref="InvalidDataException">The file is not a usable SentencePiece model; the message names it and says why.</exception>
        public static NpcTokenizer Load(string path)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("The tokenizer model path is empty.", nameof(path));
            }

            string fullPath = Path.GetFullPath(path);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(fullPath);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new FileNotFoundException($"Tokenizer model '{fullPath}' was not found.", fullPath, e);
            }

            return FromBytes(bytes, fullPath);
        }

        /// <summary>Loads a SentencePiece model from a stream (read to its end, left open).</summary>
        /// <param name="stream">The model's bytes.</param>
        /// <param name="sourceName">A name for error messages and <see cref="SourceName"/>, such as the file it came from.</param>
        /// <exception cref="InvalidDataException">The bytes are not a usable SentencePiece model; the message names <paramref name="sourceName"/>.</exception>
        public static NpcTokenizer Load(Stream stream, string sourceName)
        {
            ArgumentNullException.ThrowIfNull(stream);
            ArgumentNullException.ThrowIfNull(sourceName);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return FromBytes(copy.ToArray(), sourceName);
        }

        /// <summary>Starts a streaming decoder for one sequence of generated tokens.</summary>
        public IncrementalDecoder CreateDecoder() => new IncrementalDecoder(this);

        /// <summary>
        /// Encodes <paramref name="text"/> as SentencePiece does. With <paramref name="parseControlTokens"/>, each
        /// <see cref="ControlTokens"/> string (and any other user-defined symbol of the model) in the text becomes
        /// its single id; without, it is encoded as the plain characters it is made of (for text from players, which
        /// must not open a turn of its own).
        /// </summary>
        /// <param name="text">Any text; newlines and characters outside the vocabulary become byte pieces.</param>
        /// <param name="addBos">Put <see cref="BosId"/> first.</param>
        /// <param name="parseControlTokens">Map control token strings to their ids (default).</param>
        public int[] Encode(string text, bool addBos, bool parseControlTokens = true)
        {
            ArgumentNullException.ThrowIfNull(text);
            var ids = new List<int>(text.Length / 3 + 2);
            if (addBos)
            {
                ids.Add(BosId);
            }

            _bpe.Encode(Normalize(text), matchUserDefined: parseControlTokens, ids);
            return ids.ToArray();
        }

        /// <summary>Decodes ids to text as SentencePiece does; <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c> print nothing.</summary>
        /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
        public string Decode(ReadOnlySpan<int> ids)
        {
            var output = new StringBuilder(ids.Length * 4);
            var decoder = new PieceDecoder(this);
            foreach (int id in ids)
            {
                decoder.Append(id, output);
            }

            decoder.Finish(output);
            return output.ToString();
        }

        /// <summary>The piece for <paramref name="id"/> as it is stored in the model (<c>▁the</c>, <c>&lt;0x0A&gt;</c>).</summary>
        /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
        public string IdToPiece(int id)
        {
            CheckId(id);
            return _model.Pieces[id];
        }

        internal PieceType PieceTypeOf(int id)
        {
            CheckId(id);
            return _model.Types[id];
        }

        internal byte ByteValueOf(int id) => _byteValues[id];

        internal string Surface(int id) => _surfaces[id];

        internal string SurfaceWithoutLeadingSpace(int id) => _surfacesWithoutLeadingSpace[id];

        internal bool StripsLeadingSpaceOf(int id) =>
            (_model.AddDummyPrefix || _model.RemoveExtraWhitespaces) && _model.Pieces[id].Length > 0 && _model.Pieces[id][0] == SpaceSymbol;

        private static NpcTokenizer FromBytes(byte[] bytes, string sourceName)
        {
            try
            {
                SentencePieceModelFile model = SentencePieceModelFile.Parse(bytes);
                if (model.ModelType != BpeModelType)
                {
                    throw new InvalidDataException($"it is a {(model.ModelType == 1 ? "unigram" : "type " + model.ModelType)} model; this worker reads BPE models (spm_train --model_type=bpe, as Llama's)");
                }

                if (model.NormalizationRuleName != "identity")
                {
                    throw new InvalidDataException($"it uses normalisation '{model.NormalizationRuleName}'; train it with --normalization_rule_name=identity");
                }

                if (model.TreatWhitespaceAsSuffix)
                {
                    throw new InvalidDataException("it was trained with --treat_whitespace_as_suffix, which this worker does not support");
                }

                int unknownId = Array.IndexOf(model.Types, PieceType.Unknown);
                if (unknownId < 0 || Array.IndexOf(model.Types, PieceType.Unknown, unknownId + 1) >= 0)
                {
                    throw new InvalidDataException("it must have exactly one <unk> piece");
                }

                int bosId = FindControlPiece(model, model.BosPiece);
                int eosId = FindControlPiece(model, model.EosPiece);
                return new NpcTokenizer(sourceName, model, new SentencePieceBpe(model, unknownId), unknownId, bosId, eosId);
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith("Tokenizer model '", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"Tokenizer model '{sourceName}' is not a SentencePiece model this worker can load: {e.Message}.", e);
            }
        }

        private static int FindControlPiece(SentencePieceModelFile model, string piece)
        {
            int id = Array.IndexOf(model.Pieces, piece);
            return id >= 0 && model.Types[id] == PieceType.Control ? id : throw new InvalidDataException($"it has no control piece '{piece}' (the Llama layout needs <s> and </s>)");
        }

        private int FindControlTokenId(string text)
        {
            for (int id = 0; id < VocabSize; id++)
            {
                if (_model.Pieces[id] == text)
                {
                    if (_model.Types[id] != PieceType.UserDefined)
                    {
                        throw new InvalidDataException(
                            $"Tokenizer model '{SourceName}' has '{text}' as a {_model.Types[id]} piece, so SentencePiece can split it; "
                            + "train it with --user_defined_symbols=<extra_id_0>,<extra_id_1>,<extra_id_2> (Editor/Training~/Scripts/train-tokenizer.sh).");
                    }

                    return id;
                }
            }

            throw new InvalidDataException(
                $"Tokenizer model '{SourceName}' has no single token for the SteerLM control token '{text}'; "
                + "train it with --user_defined_symbols=<extra_id_0>,<extra_id_1>,<extra_id_2> (Editor/Training~/Scripts/train-tokenizer.sh).");
        }

        private byte ParseBytePiece(string piece, int id)
        {
            // SentencePiece writes byte pieces as <0xHH>.
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
                && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte value))
            {
                return value;
            }

            throw new InvalidDataException($"Tokenizer model '{SourceName}' has byte piece {id} spelt '{piece}', not <0xHH>.");
        }

        // SentencePiece's normaliser with the identity rule: optionally squeeze spaces, put one '▁' in front of the
        // text, and write every space as '▁'.
        private string Normalize(string text)
        {
            if (_model.RemoveExtraWhitespaces)
            {
                text = SqueezeSpaces(text);
            }

            if (text.Length == 0)
            {
                return text;
            }

            var normalized = new StringBuilder(text.Length + 1);
            if (_model.AddDummyPrefix)
            {
                normalized.Append(_model.EscapeWhitespaces ? SpaceSymbol : ' ');
            }

            normalized.Append(text);
            if (_model.EscapeWhitespaces)
            {
                normalized.Replace(' ', SpaceSymbol);
            }

            return normalized.ToString();
        }

        private static string SqueezeSpaces(string text)
        {
            var squeezed = new StringBuilder(text.Length);
            foreach (char c in text)
            {
                if (c != ' ' || (squeezed.Length > 0 && squeezed[^1] != ' '))
                {
                    squeezed.Append(c);
                }
            }

            if (squeezed.Length > 0 && squeezed[^1] == ' ')
            {
                squeezed.Length--;
            }

            return squeezed.ToString();
        }

        private void CheckId(int id)
        {
            if ((uint)id >= (uint)VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary of '{SourceName}' (0 to {VocabSize - 1}).");
            }
        }
    }
}
