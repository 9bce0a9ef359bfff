using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Worker.Tokenization;

namespace SteerLM.Npc.Worker.Tests.Tokenization
{
    /// <summary>
    /// Loading and BPE rules on small hand-made models. The expected pieces were checked against Debian's
    /// python3-sentencepiece 0.1.97 loading the same bytes.
    /// </summary>
    [TestFixture]
    public class SentencePieceModelTests
    {
        [Test]
        public void Encode_OnEqualScores_MergesTheLeftmostPairFirst()
        {
            NpcTokenizer tokenizer = Load(new TinySentencePieceModel().WithSteerLMControlTokens().Add("▁", -10f).Add("a", -10f).Add("aa", -1f));

            Assert.That(Pieces(tokenizer, "aaa"), Is.EqualTo(new[] { "▁", "aa", "a" }));
        }

        [Test]
        public void Encode_MergesTheHighestScoringPairFirst()
        {
            NpcTokenizer tokenizer = Load(new TinySentencePieceModel().WithSteerLMControlTokens()
                .Add("▁", -10f).Add("a", -10f).Add("b", -10f).Add("c", -10f).Add("ab", -5f).Add("bc", -1f));

            Assert.That(Pieces(tokenizer, "abc"), Is.EqualTo(new[] { "▁", "a", "bc" }));
        }

        [Test]
        public void Encode_WithoutByteFallback_GivesUnknownForACharacterOutsideTheVocabulary()
        {
            NpcTokenizer tokenizer = Load(new TinySentencePieceModel().WithSteerLMControlTokens().Add("▁", -1f).Add("a", -1f));

            Assert.That(Pieces(tokenizer, "a€"), Is.EqualTo(new[] { "▁", "a", "<unk>" }));
            Assert.That(tokenizer.Decode(tokenizer.Encode("a€", addBos: false)), Is.EqualTo("a \u2047 "));
        }

        [Test]
        public void Encode_WithByteFallback_SpellsACharacterOutsideTheVocabularyInUtf8Bytes()
        {
            NpcTokenizer tokenizer = Load(new TinySentencePieceModel().WithSteerLMControlTokens().WithBytes().Add("▁", -1f).Add("a", -1f));

            Assert.That(Pieces(tokenizer, "a€"), Is.EqualTo(new[] { "▁", "a", "<0xE2>", "<0x82>", "<0xAC>" }));
        }

        [Test]
        public void AModelThatRemovesExtraWhitespace_SqueezesSpacesAsSentencePieceDoes()
        {
            NpcTokenizer tokenizer = Load(new TinySentencePieceModel { RemoveExtraWhitespaces = true }.WithSteerLMControlTokens()
                .Add("▁", -10f).Add("a", -10f).Add("b", -10f));

            Assert.That(Pieces(tokenizer, "  a   b  "), Is.EqualTo(new[] { "▁", "a", "▁", "b" }));
            Assert.That(tokenizer.Decode(tokenizer.Encode("  a   b  ", addBos: false)), Is.EqualTo("a b"));
        }

        [Test]
        public void ALiteralSpaceSymbol_ComesBackAsASpace_AsInSentencePiece()
        {
            NpcTokenizer tokenizer = ShippedTokenizer.Instance;

            Assert.That(tokenizer.Decode(tokenizer.Encode("a▁b", addBos: false)), Is.EqualTo("a b"));
        }

        [Test]
        public void Load_AUnigramModel_ThrowsNamingTheFileAndTheModelType()
        {
            var error = LoadFails(new TinySentencePieceModel { ModelType = 1 }.WithSteerLMControlTokens(), out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("unigram").And.Contain("--model_type=bpe"));
        }

        [Test]
        public void Load_AModelWithNfkcNormalisation_ThrowsNamingTheFileAndTheFix()
        {
            var error = LoadFails(new TinySentencePieceModel { NormalizationRule = "nmt_nfkc" }.WithSteerLMControlTokens(), out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("--normalization_rule_name=identity"));
        }

        [Test]
        public void Load_AModelWithoutBos_ThrowsNamingTheFileAndThePiece()
        {
            var error = LoadFails(new TinySentencePieceModel().WithSteerLMControlTokens().Without("<s>"), out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("<s>"));
        }

        [Test]
        public void Load_AByteFallbackModelWithoutBytePieces_ThrowsNamingTheFile()
        {
            var error = LoadFails(new TinySentencePieceModel { ByteFallback = true }.WithSteerLMControlTokens(), out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("<0x00>"));
        }

        [Test]
        public void Load_AModelWithoutAControlToken_ThrowsNamingTheFileAndTheToken()
        {
            var error = LoadFails(new TinySentencePieceModel().Add("<extra_id_0>", 0f, TinySentencePieceModel.UserDefined).Add("<extra_id_2>", 0f, TinySentencePieceModel.UserDefined), out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("<extra_id_1>").And.Contain("--user_defined_symbols"));
        }

        [Test]
        public void Load_AModelWhereAControlTokenIsAnOrdinaryPiece_ThrowsNamingTheFileAndTheToken()
        {
            var model = new TinySentencePieceModel().Add("<extra_id_0>", 0f, TinySentencePieceModel.UserDefined).Add("<extra_id_1>", 0f, TinySentencePieceModel.UserDefined).Add("<extra_id_2>", 0f);

            var error = LoadFails(model, out string path);

            Assert.That(error.Message, Does.Contain(path).And.Contain("<extra_id_2>").And.Contain("--user_defined_symbols"));
        }

        private static string[] Pieces(NpcTokenizer tokenizer, string text) =>
            tokenizer.Encode(text, addBos: false).Select(tokenizer.IdToPiece).ToArray();

        private static NpcTokenizer Load(TinySentencePieceModel model)
        {
            using var stream = new MemoryStream(model.ToBytes());
            return NpcTokenizer.Load(stream, "tiny.model");
        }

        private static InvalidDataException LoadFails(TinySentencePieceModel model, out string path)
        {
            path = Path.Combine(Path.GetTempPath(), $"steerlm-tiny-{Guid.NewGuid():N}.model");
            File.WriteAllBytes(path, model.ToBytes());
            try
            {
                string file = path;
                return Assert.Throws<InvalidDataException>(() => NpcTokenizer.Load(file))!;
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
