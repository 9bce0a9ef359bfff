using System;
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

            var total = 0;
            foreach (var line in history.Lines)
            {
                total += line.Text.Length;
            }

            Assert.That(total, Is.LessThanOrEqualTo(50));
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
    }
}
