using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;
using SteerLM.Npc.Worker.Tokenization;

namespace SteerLM.Npc.Worker.Tests.Tokenization
{
    [TestFixture]
    public class IncrementalDecoderTests
    {
        private static readonly string[] StreamedTexts =
        {
            "Hello there, traveller!",
            "  Two leading spaces, and  two inside.",
            "Café au lait costs €3.50 😀 today.",
            "Dragons 🐉🔥, a family 👨‍👩‍👧, 日本語.\nNext line\tand a tab.",
            "<extra_id_0>System\nHi\n<extra_id_1>User\nHello\n<extra_id_1>Assistant\n<extra_id_2>humor:4,toxicity:0\n",
            " ",
            "",
        };

        private static NpcTokenizer Tokenizer => ShippedTokenizer.Instance;

        [TestCaseSource(nameof(StreamedTexts))]
        public void ThePiecesOfAStream_AddUpToTheFullDecode(string text)
        {
            int[] ids = Tokenizer.Encode(text, addBos: true);

            string streamed = Stream(ids);

            Assert.That(streamed, Is.EqualTo(Tokenizer.Decode(ids)));
            Assert.That(streamed, Is.EqualTo(text));
        }

        [Test]
        public void AnEmojiSpreadOverFourByteTokens_AppearsWholeOnTheLastOne()
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();
            var pieces = new List<string>();

            foreach (int id in Tokenizer.Encode("Hi 😀", addBos: false))
            {
                pieces.Add(decoder.Push(id));
            }

            // ▁H i ▁ <0xF0> <0x9F> <0x98> <0x80>
            Assert.That(pieces, Is.EqualTo(new[] { "H", "i", " ", "", "", "", "😀" }));
        }

        [Test]
        public void OnlyTheFirstLeadingSpaceOfTheStream_IsDropped()
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();
            int[] ids = Tokenizer.Encode("Don't you dare", addBos: true);

            var pieces = new List<string>();
            foreach (int id in ids)
            {
                pieces.Add(decoder.Push(id));
            }

            Assert.That(pieces, Is.EqualTo(new[] { "", "Don", "'", "t", " you", " d", "are" }));
        }

        [Test]
        public void Flush_GivesBytesThatNeverCompletedACharacter_AsReplacementCharacters()
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();
            int[] ids = { 7012, 246, 165 }; // ▁x, then two of the four bytes of 😀

            string pushed = decoder.Push(ids[0]) + decoder.Push(ids[1]) + decoder.Push(ids[2]);
            string flushed = decoder.Flush();

            Assert.That(pushed, Is.EqualTo("x"));
            Assert.That(flushed, Is.EqualTo("\uFFFD\uFFFD"));
            Assert.That(pushed + flushed, Is.EqualTo(Tokenizer.Decode(ids)));
        }

        [Test]
        public void Reset_StartsANewStreamThatDropsItsLeadingSpaceAgain()
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();
            int hello = Tokenizer.Encode("Hello", addBos: false)[0]; // ▁Hell
            decoder.Push(hello);
            decoder.Push(246); // a dangling byte is forgotten too

            decoder.Reset();

            Assert.That(decoder.Push(hello), Is.EqualTo("Hell"));
            Assert.That(decoder.Flush(), Is.Empty);
        }

        [Test]
        public void AnyIdSequence_StreamsToExactlyWhatDecodeGives()
        {
            // Random sequences heavy in byte pieces, control tokens and '▁' pieces: the cases where streaming can go wrong.
            var random = new Random(1234);
            int[] interesting = { 0, 1, 2, 3, 4, 5, 16, 7910, 7012, 232, 136, 178, 246, 165, 158, 134, 201, 175, 0x80 + 6, 0xC0 + 6, 0xFF + 6 };
            for (int trial = 0; trial < 500; trial++)
            {
                int[] ids = new int[random.Next(0, 12)];
                for (int i = 0; i < ids.Length; i++)
                {
                    ids[i] = random.Next(3) == 0 ? random.Next(Tokenizer.VocabSize) : interesting[random.Next(interesting.Length)];
                }

                Assert.That(Stream(ids), Is.EqualTo(Tokenizer.Decode(ids)), "ids: " + string.Join(", ", ids));
            }
        }

        [Test]
        public void Push_AnIdOutsideTheVocabulary_Throws()
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();

            Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Push(-1));
        }

        private static string Stream(int[] ids)
        {
            IncrementalDecoder decoder = Tokenizer.CreateDecoder();
            var text = new StringBuilder();
            foreach (int id in ids)
            {
                text.Append(decoder.Push(id));
            }

            return text.Append(decoder.Flush()).ToString();
        }
    }
}
