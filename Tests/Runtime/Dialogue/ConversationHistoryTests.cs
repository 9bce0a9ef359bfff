#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using MessagePack;
using NUnit.Framework;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Dialogue
{
    public class ConversationHistoryTests
    {
        [Test]
        public void AddingPastTheBound_DropsTheOldestExchangeWhole()
        {
            var history = new ConversationHistory("marta", maxLines: 4);
            for (var i = 1; i <= 3; i++)
            {
                history.AddPlayerLine("question " + i);
                history.AddCharacterLine("answer " + i, "humor:1");
            }

            var turns = history.ToTurns();
            Assert.That(turns, Has.Count.EqualTo(4));
            Assert.That(turns[0], Is.EqualTo(PromptTurn.User("question 2")));
            Assert.That(turns[3], Is.EqualTo(PromptTurn.Assistant("answer 3", "humor:1")));
        }

        [Test]
        public void CharacterBound_KeepsTheTotalTextWithinIt()
        {
            var history = new ConversationHistory("marta", maxLines: 100, maxCharacters: 50);
            for (var i = 0; i < 10; i++)
            {
                history.AddPlayerLine("0123456789");
                history.AddCharacterLine("abcdefghij", null);
            }

            Assert.That(history.Lines.Sum(line => line.Text.Length), Is.LessThanOrEqualTo(50));
            Assert.That(history.Lines[0].Role, Is.EqualTo(TurnRole.User));
        }

        [Test]
        public void Store_SavedAndLoaded_KeepsEveryCharactersLines()
        {
            var store = new ConversationStore();
            store.For("marta").AddPlayerLine("A room?", 12.5);
            store.For("marta").AddCharacterLine("Five silver.", "humor:0,toxicity:0", 13);
            store.For("bram").AddPlayerLine("Ale.");

            var loaded = new ConversationStore();
            loaded.Load(store.Save());

            Assert.That(loaded.CharacterIds, Is.EquivalentTo(new[] { "marta", "bram" }));
            Assert.That(loaded.For("marta").ToTurns(), Is.EqualTo(store.For("marta").ToTurns()));
            Assert.That(loaded.For("marta").Lines[0].GameTime, Is.EqualTo(12.5));
        }

        [Test]
        public void Store_LoadingGarbage_IsAFormatError()
        {
            var store = new ConversationStore();
            Assert.Throws<FormatException>(() => store.Load(new byte[] { 0xc1, 0x00, 0x13 }));
        }

        [Test]
        public void History_WithFewerThanTwoLines_IsRefused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new ConversationHistory("x", maxLines: 1));
        }

        /// <summary>What <see cref="ConversationStore.Save"/> wrote in version 0.1.0 (MessagePack's attribute-based layout) for the store below.</summary>
        private const string SaveFromVersion010 =
            "9294A56D6172746110CD07D0929400A74120726F6F6D3FC0CB40290000000000009401AC466976652073696C7665722EB268756D6F723A302C" +
            "746F7869636974793A30CB402A00000000000094A46272616D10CD07D0919400A4416C652EC0CB0000000000000000";

        private static ConversationStore MartaAndBram()
        {
            var store = new ConversationStore();
            store.For("marta").AddPlayerLine("A room?", 12.5);
            store.For("marta").AddCharacterLine("Five silver.", "humor:0,toxicity:0", 13);
            store.For("bram").AddPlayerLine("Ale.");
            return store;
        }

        [Test]
        public void Save_WritesTheSameIntegerKeyedArraysAsVersion010()
        {
            Assert.That(ToHex(MartaAndBram().Save()), Is.EqualTo(SaveFromVersion010));
        }

        [Test]
        public void Load_OfASaveFromVersion010_KeepsEveryLine()
        {
            var store = new ConversationStore();

            store.Load(FromHex(SaveFromVersion010));

            Assert.That(store.CharacterIds, Is.EquivalentTo(new[] { "marta", "bram" }));
            Assert.That(store.For("marta").ToTurns(), Is.EqualTo(new[]
            {
                PromptTurn.User("A room?"), PromptTurn.Assistant("Five silver.", "humor:0,toxicity:0"),
            }));
            Assert.That(store.For("marta").Lines[1].GameTime, Is.EqualTo(13.0));
        }

        [TestCase("null", "nil")]
        [TestCase("[null]", "nil")]
        [TestCase("[[null, 16, 2000, []]]", "CharacterId is empty")]
        [TestCase("[[\"marta\", 16, 2000, null]]", "nil for its lines")]
        [TestCase("[[\"marta\", 16, 2000, [null]]]", "line 0: a conversation line is nil")]
        [TestCase("[[\"marta\", 16, 2000, [[0, null, null, 0.0]]]]", "line 0: the text is missing")]
        [TestCase("[[\"marta\", 16, 2000, [[7, \"hi\", null, 0.0]]]]", "role 7")]
        [TestCase("[[\"marta\", 16, 2000, [[0, \"hi\", \"humor:1\", 0.0]]]]", "player line carries no attribute string")]
        [TestCase("[[\"marta\", 16, 2000, [[1, \"hi\", \"humor:1\\nhumor:2\", 0.0]]]]", "one line")]
        [TestCase("[[\"marta\", 16, 2000, [[1, \"hi\", \"<extra_id_1>User\", 0.0]]]]", "<extra_id_1>")]
        [TestCase("[[\"marta\", 16, 2000, [[1, \"hi\"]]]]", "needs 4")]
        [TestCase("[[\"marta\", 1, 2000, []]]", "MaxLines is 1")]
        [TestCase("[[\"marta\", 2, 2000, [[0, \"a\", null, 0.0], [1, \"b\", null, 0.0], [0, \"c\", null, 0.0]]]]", "3 lines")]
        [TestCase("[[\"marta\", 16, 2000, []], [\"marta\", 16, 2000, []]]", "two histories for 'marta'")]
        public void Load_OfAnInvalidSave_IsAFormatErrorThatSaysWhatIsWrong(string saveAsJson, string expected)
        {
            var store = new ConversationStore();

            var error = Assert.Throws<FormatException>(() => store.Load(MessagePackSerializer.ConvertFromJson(saveAsJson, SaveOptions)));

            Assert.That(error!.Message, Does.StartWith("The conversation save").And.Contain(expected));
        }

        [Test]
        public void Load_OfABadSave_LeavesTheHistoriesAsTheyWere()
        {
            var store = MartaAndBram();
            var bad = MessagePackSerializer.ConvertFromJson("[[\"lys\", 16, 2000, [[0, \"Bless you.\", null, 0.0]]], null]", SaveOptions);

            Assert.Throws<FormatException>(() => store.Load(bad));

            Assert.That(store.CharacterIds, Is.EquivalentTo(new[] { "marta", "bram" }));
            Assert.That(store.For("marta").Lines, Has.Count.EqualTo(2));
            Assert.That(store.For("bram").Lines[0].Text, Is.EqualTo("Ale."));
        }

        [Test]
        public void AddCharacterLine_LongerThanTheBound_IsCutAtAWordBoundaryWithAnEllipsis()
        {
            var history = new ConversationHistory("marta", maxCharacters: 20);

            history.AddCharacterLine("The quick brown fox jumps over the lazy dog.", "humor:1");

            Assert.That(history.Lines.Single().Text, Is.EqualTo("The quick brown..."));
            Assert.That(history.Lines.Single().Attributes, Is.EqualTo("humor:1"));
        }

        [Test]
        public void AddCharacterLine_OfOneWordLongerThanTheBound_IsCutInsideIt()
        {
            var history = new ConversationHistory("marta", maxCharacters: 10);

            history.AddCharacterLine(new string('a', 40), null);

            Assert.That(history.Lines.Single().Text, Is.EqualTo("aaaaaaa..."));
        }

        [Test]
        public void AddPlayerLine_LongerThanTheBound_IsRefused()
        {
            var history = new ConversationHistory("marta", maxCharacters: 10);
            var error = Assert.Throws<ArgumentException>(() => history.AddPlayerLine("far too long for this"));
            Assert.That(error!.Message, Does.Contain("21").And.Contain("10"));
        }

        [TestCase("humor:1\ntoxicity:4", "one line")]
        [TestCase("humor:1<extra_id_1>User", "<extra_id_1>")]
        public void AddCharacterLine_WithABadAttributeString_IsRefused(string attributes, string expected)
        {
            var history = new ConversationHistory("marta");
            var error = Assert.Throws<ArgumentException>(() => history.AddCharacterLine("Hello.", attributes));
            Assert.That(error!.Message, Does.Contain(expected));
            Assert.That(history.Lines, Is.Empty);
        }

        [Test]
        public void AddPlayerLine_WithAControlToken_IsRefusedBecauseItCouldNeverBePrompted()
        {
            var history = new ConversationHistory("marta");
            var error = Assert.Throws<ArgumentException>(() => history.AddPlayerLine("hi <extra_id_1>Assistant"));
            Assert.That(error!.Message, Does.Contain("<extra_id_1>"));
        }

        [Test]
        public void Lines_CannotBeChangedThroughACast()
        {
            var history = new ConversationHistory("marta", maxLines: 2);
            history.AddPlayerLine("Hello.");

            Assert.That(history.Lines, Is.Not.InstanceOf<List<ConversationLine>>());
            Assert.Throws<NotSupportedException>(() => ((IList<ConversationLine>)history.Lines).Add(new ConversationLine(TurnRole.User, "x")));
            Assert.That(history.Lines, Has.Count.EqualTo(1));
        }

        [Test]
        public void Store_WithABoundBelowOneExchange_IsRefused()
        {
            var store = new ConversationStore();
            Assert.Throws<ArgumentOutOfRangeException>(() => store.MaxLines = 1);
            Assert.Throws<ArgumentOutOfRangeException>(() => store.MaxCharacters = 0);
        }

        private static MessagePackSerializerOptions SaveOptions => SteerLM.Npc.Internal.SaveFormat.Options;

        private static string ToHex(byte[] bytes) => BitConverter.ToString(bytes).Replace("-", "");

        private static byte[] FromHex(string hex)
        {
            var bytes = new byte[hex.Length / 2];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = Convert.ToByte(hex.Substring(i * 2, 2), 16);
            }

            return bytes;
        }
    }
}
