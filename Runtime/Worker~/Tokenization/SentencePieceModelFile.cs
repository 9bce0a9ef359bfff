using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace SteerLM.Npc.Worker.Tokenization
{
    /// <summary>The type SentencePiece gives each piece (sentencepiece_model.proto, SentencePiece.Type).</summary>
    internal enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Unused = 5,
        Byte = 6,
    }

    /// <summary>
    /// What the tokenizer needs from a SentencePiece <c>.model</c> file (a protobuf <c>ModelProto</c>, see
    /// sentencepiece_model.proto): every piece's text, score and type, the normaliser's flags, byte fallback, the
    /// names of &lt;s&gt; and &lt;/s&gt; and the surface of &lt;unk&gt;. Other fields are skipped.
    /// </summary>
    internal sealed class SentencePieceModelFile
    {
        // Field numbers from sentencepiece_model.proto.
        private const int ModelPiecesField = 1;
        private const int ModelTrainerSpecField = 2;
        private const int ModelNormalizerSpecField = 3;
        private const int PieceTextField = 1;
        private const int PieceScoreField = 2;
        private const int PieceTypeField = 3;
        private const int TrainerModelTypeField = 3;
        private const int TrainerTreatWhitespaceAsSuffixField = 24;
        private const int TrainerByteFallbackField = 35;
        private const int TrainerUnkSurfaceField = 44;
        private const int TrainerBosPieceField = 46;
        private const int TrainerEosPieceField = 47;
        private const int NormalizerNameField = 1;
        private const int NormalizerAddDummyPrefixField = 3;
        private const int NormalizerRemoveExtraWhitespacesField = 4;
        private const int NormalizerEscapeWhitespacesField = 5;

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        private SentencePieceModelFile(string[] pieces, float[] scores, PieceType[] types)
        {
            Pieces = pieces;
            Scores = scores;
            Types = types;
        }

        public string[] Pieces { get; }

        /// <summary>Each piece's score; BPE merges the pair whose merged piece scores highest first.</summary>
        public float[] Scores { get; }

        public PieceType[] Types { get; }

        /// <summary>TrainerSpec.model_type: 1 unigram (the proto's default), 2 BPE, 3 word, 4 char.</summary>
        public int ModelType { get; private set; } = 1;

        public bool ByteFallback { get; private set; }

        public string BosPiece { get; private set; } = "<s>";

        public string EosPiece { get; private set; } = "</s>";

        public string NormalizationRuleName { get; private set; } = "";

        public bool AddDummyPrefix { get; private set; } = true;

        public bool RemoveExtraWhitespaces { get; private set; } = true;

        public bool EscapeWhitespaces { get; private set; } = true;

        public bool TreatWhitespaceAsSuffix { get; private set; }

        public string UnknownSurface { get; private set; } = " \u2047 ";

        /// <summary>Reads the piece table and flags; throws <see cref="InvalidDataException"/> on malformed bytes.</summary>
        public static SentencePieceModelFile Parse(ReadOnlySpan<byte> bytes)
        {
            int count = 0;
            var reader = new ProtoReader(bytes);
            while (reader.Next(out int field, out int wireType))
            {
                if (field == ModelPiecesField && wireType == ProtoReader.LengthDelimited)
                {
                    count++;
                }

                reader.Skip(wireType);
            }

            if (count == 0)
            {
                throw new InvalidDataException("it holds no pieces");
            }

            var pieces = new string[count];
            var scores = new float[count];
            var types = new PieceType[count];
            var model = new SentencePieceModelFile(pieces, scores, types);
            int index = 0;
            reader = new ProtoReader(bytes);
            while (reader.Next(out int field, out int wireType))
            {
                if (field == ModelPiecesField && wireType == ProtoReader.LengthDelimited)
                {
                    ReadPiece(reader.ReadBytes(), out pieces[index], out scores[index], out types[index]);
                    index++;
                }
                else if (field == ModelTrainerSpecField && wireType == ProtoReader.LengthDelimited)
                {
                    model.ReadTrainerSpec(reader.ReadBytes());
                }
                else if (field == ModelNormalizerSpecField && wireType == ProtoReader.LengthDelimited)
                {
                    model.ReadNormalizerSpec(reader.ReadBytes());
                }
                else
                {
                    reader.Skip(wireType);
                }
            }

            return model;
        }

        private static void ReadPiece(ReadOnlySpan<byte> bytes, out string text, out float score, out PieceType type)
        {
            text = "";
            score = 0f;
            type = PieceType.Normal;
            var reader = new ProtoReader(bytes);
            while (reader.Next(out int field, out int wireType))
            {
                if (field == PieceTextField && wireType == ProtoReader.LengthDelimited)
                {
                    text = reader.ReadString();
                }
                else if (field == PieceScoreField && wireType == ProtoReader.Fixed32)
                {
                    score = reader.ReadFloat();
                }
                else if (field == PieceTypeField && wireType == ProtoReader.Varint)
                {
                    ulong value = reader.ReadVarint();
                    type = value is >= 1 and <= 6 ? (PieceType)value : throw new InvalidDataException($"a piece has unknown type {value}");
                }
                else
                {
                    reader.Skip(wireType);
                }
            }
        }

        private void ReadTrainerSpec(ReadOnlySpan<byte> bytes)
        {
            var reader = new ProtoReader(bytes);
            while (reader.Next(out int field, out int wireType))
            {
                if (field == TrainerUnkSurfaceField && wireType == ProtoReader.LengthDelimited)
                {
                    UnknownSurface = reader.ReadString();
                }
                else if (field == TrainerBosPieceField && wireType == ProtoReader.LengthDelimited)
                {
                    BosPiece = reader.ReadString();
                }
                else if (field == TrainerEosPieceField && wireType == ProtoReader.LengthDelimited)
                {
                    EosPiece = reader.ReadString();
                }
                else if (field == TrainerModelTypeField && wireType == ProtoReader.Varint)
                {
                    ModelType = (int)Math.Min(reader.ReadVarint(), int.MaxValue);
                }
                else if (field == TrainerByteFallbackField && wireType == ProtoReader.Varint)
                {
                    ByteFallback = reader.ReadVarint() != 0;
                }
                else if (field == TrainerTreatWhitespaceAsSuffixField && wireType == ProtoReader.Varint)
                {
                    TreatWhitespaceAsSuffix = reader.ReadVarint() != 0;
                }
                else
                {
                    reader.Skip(wireType);
                }
            }
        }

        private void ReadNormalizerSpec(ReadOnlySpan<byte> bytes)
        {
            var reader = new ProtoReader(bytes);
            while (reader.Next(out int field, out int wireType))
            {
                switch (field)
                {
                    case NormalizerNameField when wireType == ProtoReader.LengthDelimited:
                        NormalizationRuleName = reader.ReadString();
                        break;
                    case NormalizerAddDummyPrefixField when wireType == ProtoReader.Varint:
                        AddDummyPrefix = reader.ReadVarint() != 0;
                        break;
                    case NormalizerRemoveExtraWhitespacesField when wireType == ProtoReader.Varint:
                        RemoveExtraWhitespaces = reader.ReadVarint() != 0;
                        break;
                    case NormalizerEscapeWhitespacesField when wireType == ProtoReader.Varint:
                        EscapeWhitespaces = reader.ReadVarint() != 0;
                        break;
                    default:
                        reader.Skip(wireType);
                        break;
                }
            }
        }

        /// <summary>Just enough of the protobuf wire format to walk a message; every read is bounds-checked.</summary>
        private ref struct ProtoReader
        {
            public const int Varint = 0;
            public const int Fixed64 = 1;
            public const int LengthDelimited = 2;
            public const int Fixed32 = 5;

            private readonly ReadOnlySpan<byte> _bytes;
            private int _position;

            public ProtoReader(ReadOnlySpan<byte> bytes)
            {
                _bytes = bytes;
                _position = 0;
            }

            public bool Next(out int field, out int wireType)
            {
                if (_position >= _bytes.Length)
                {
                    field = 0;
                    wireType = 0;
                    return false;
                }

                ulong tag = ReadVarint();
                field = (int)Math.Min(tag >> 3, int.MaxValue);
                wireType = (int)(tag & 7);
                if (field == 0)
                {
                    throw new InvalidDataException($"field number 0 at byte {_position}");
                }

                return true;
            }

            public ulong ReadVarint()
            {
                ulong result = 0;
                for (int shift = 0; shift < 64; shift += 7)
                {
                    if (_position >= _bytes.Length)
                    {
                        throw new InvalidDataException("it ends inside a number");
                    }

                    byte b = _bytes[_position++];
                    result |= (ulong)(b & 0x7F) << shift;
                    if (b < 0x80)
                    {
                        return result;
                    }
                }

                throw new InvalidDataException($"a number longer than 10 bytes at byte {_position}");
            }

            public ReadOnlySpan<byte> ReadBytes()
            {
                ulong length = ReadVarint();
                if (length > (ulong)(_bytes.Length - _position))
                {
                    throw new InvalidDataException($"a field of {length} bytes at byte {_position} runs past the end");
                }

                ReadOnlySpan<byte> value = _bytes.Slice(_position, (int)length);
                _position += (int)length;
                return value;
            }

            public float ReadFloat()
            {
                if (_bytes.Length - _position < 4)
                {
                    throw new InvalidDataException("it ends inside a number");
                }

                float value = BinaryPrimitives.ReadSingleLittleEndian(_bytes.Slice(_position, 4));
                _position += 4;
                return value;
            }

            public string ReadString()
            {
                ReadOnlySpan<byte> bytes = ReadBytes();
                try
                {
                    return StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException e)
                {
                    throw new InvalidDataException("a piece is not valid UTF-8", e);
                }
            }

            public void Skip(int wireType)
            {
                switch (wireType)
                {
                    case Varint:
                        ReadVarint();
                        break;
                    case Fixed64:
                        Advance(8);
                        break;
                    case LengthDelimited:
                        ReadBytes();
                        break;
                    case Fixed32:
                        Advance(4);
                        break;
                    default:
                        throw new InvalidDataException($"unsupported protobuf wire type {wireType} at byte {_position}");
                }
            }

            private void Advance(int count)
            {
                if (count > _bytes.Length - _position)
                {
                    throw new InvalidDataException("it ends inside a field");
                }

                _position += count;
            }
        }
    }
}
