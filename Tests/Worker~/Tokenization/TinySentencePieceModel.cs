using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SteerLM.Npc.Worker.Tests.Tokenization
{
    /// <summary>
    /// Writes small SentencePiece model files (protobuf ModelProto, field numbers from sentencepiece_model.proto)
    /// for tests that need a vocabulary or setting the shipped model does not have.
    /// </summary>
    internal sealed class TinySentencePieceModel
    {
        public const int Normal = 1;
        public const int Unknown = 2;
        public const int Control = 3;
        public const int UserDefined = 4;
        public const int Byte = 6;

        private readonly List<(string Piece, float Score, int Type)> _pieces = new List<(string, float, int)>
        {
            ("<unk>", 0f, Unknown),
            ("<s>", 0f, Control),
            ("</s>", 0f, Control),
        };

        public int ModelType { get; set; } = 2; // BPE

        public bool ByteFallback { get; set; }

        public string NormalizationRule { get; set; } = "identity";

        public bool RemoveExtraWhitespaces { get; set; }

        public TinySentencePieceModel Add(string piece, float score, int type = Normal)
        {
            _pieces.Add((piece, score, type));
            return this;
        }

        public TinySentencePieceModel WithSteerLMControlTokens() =>
            Add("<extra_id_0>", 0f, UserDefined).Add("<extra_id_1>", 0f, UserDefined).Add("<extra_id_2>", 0f, UserDefined);

        public TinySentencePieceModel WithBytes()
        {
            for (int b = 0; b < 256; b++)
            {
                Add($"<0x{b:X2}>", 0f, Byte);
            }

            ByteFallback = true;
            return this;
        }

        public TinySentencePieceModel Without(string piece)
        {
            _pieces.RemoveAll(p => p.Piece == piece);
            return this;
        }

        public byte[] ToBytes()
        {
            var model = new MemoryStream();
            foreach ((string piece, float score, int type) in _pieces)
            {
                var message = new MemoryStream();
                WriteString(message, 1, piece);
                WriteTag(message, 2, 5);
                message.Write(BitConverter.GetBytes(score));
                WriteVarintField(message, 3, (ulong)type);
                WriteMessage(model, 1, message);
            }

            var trainer = new MemoryStream();
            WriteVarintField(trainer, 3, (ulong)ModelType);
            WriteVarintField(trainer, 35, ByteFallback ? 1UL : 0UL);
            WriteMessage(model, 2, trainer);

            var normalizer = new MemoryStream();
            WriteString(normalizer, 1, NormalizationRule);
            WriteVarintField(normalizer, 3, 1);
            WriteVarintField(normalizer, 4, RemoveExtraWhitespaces ? 1UL : 0UL);
            WriteMessage(model, 3, normalizer);
            return model.ToArray();
        }

        private static void WriteMessage(Stream output, int field, MemoryStream message)
        {
            WriteTag(output, field, 2);
            WriteVarint(output, (ulong)message.Length);
            message.WriteTo(output);
        }

        private static void WriteString(Stream output, int field, string value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            WriteTag(output, field, 2);
            WriteVarint(output, (ulong)bytes.Length);
            output.Write(bytes);
        }

        private static void WriteVarintField(Stream output, int field, ulong value)
        {
            WriteTag(output, field, 0);
            WriteVarint(output, value);
        }

        private static void WriteTag(Stream output, int field, int wireType) => WriteVarint(output, ((ulong)field << 3) | (uint)wireType);

        private static void WriteVarint(Stream output, ulong value)
        {
            while (value >= 0x80)
            {
                output.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            output.WriteByte((byte)value);
        }
    }
}
