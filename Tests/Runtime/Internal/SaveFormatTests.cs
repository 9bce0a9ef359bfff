#nullable enable

using System;
using MessagePack;
using NUnit.Framework;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Internal;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Internal
{
    public class SaveFormatTests
    {
        [Test]
        public void MoodSnapshot_RoundTripsThroughTheSaveOptions()
        {
            var snapshot = new MoodSnapshot { Mood = Mood.Afraid, Intensity = 0.625f };

            var back = MessagePackSerializer.Deserialize<MoodSnapshot>(MessagePackSerializer.Serialize(snapshot, SaveFormat.Options), SaveFormat.Options);

            Assert.That(back.Mood, Is.EqualTo(Mood.Afraid));
            Assert.That(back.Intensity, Is.EqualTo(0.625f));
        }

        [Test]
        public void MoodSnapshot_IsWrittenAsAnArrayOfTheMoodsNumberAndAFloat()
        {
            var bytes = new MoodSnapshot { Mood = Mood.Angry, Intensity = 0.25f }.ToBytes();

            // [4, 0.25f]: fixarray of 2, positive fixint 4, float32 0x3E800000 (the layout [Key(0)], [Key(1)] gave in 0.1.0).
            Assert.That(bytes, Is.EqualTo(new byte[] { 0x92, 0x04, 0xCA, 0x3E, 0x80, 0x00, 0x00 }));
        }

        [Test]
        public void ConversationHistories_RoundTripThroughTheSaveOptions()
        {
            var history = new ConversationHistory("marta", maxLines: 4, maxCharacters: 100);
            history.AddPlayerLine("A room?", 1.5);
            history.AddCharacterLine("Five silver.", "humor:0", 2.25);

            var bytes = MessagePackSerializer.Serialize(new[] { history }, SaveFormat.Options);
            var back = MessagePackSerializer.Deserialize<ConversationHistory[]>(bytes, SaveFormat.Options);

            Assert.That(back, Has.Length.EqualTo(1));
            Assert.That(back[0].CharacterId, Is.EqualTo("marta"));
            Assert.That(back[0].MaxLines, Is.EqualTo(4));
            Assert.That(back[0].MaxCharacters, Is.EqualTo(100));
            Assert.That(back[0].ToTurns(), Is.EqualTo(new[] { PromptTurn.User("A room?"), PromptTurn.Assistant("Five silver.", "humor:0") }));
            Assert.That(back[0].Lines[1].GameTime, Is.EqualTo(2.25));
        }

        [Test]
        public void Readers_SkipFieldsALaterVersionAppends()
        {
            var bytes = MessagePackSerializer.ConvertFromJson("[5, 0.5, \"a later field\"]", SaveFormat.Options);

            var snapshot = MoodSnapshot.FromBytes(bytes);

            Assert.That(snapshot.Mood, Is.EqualTo(Mood.Afraid));
            Assert.That(snapshot.Intensity, Is.EqualTo(0.5f));
        }

        [TestCase("null")]
        [TestCase("[null, 0.5]")]
        [TestCase("[4, null]")]
        [TestCase("[4]")]
        public void MoodSnapshot_WithNilOrMissingFields_IsAFormatError(string json)
        {
            var bytes = MessagePackSerializer.ConvertFromJson(json, SaveFormat.Options);

            var error = Assert.Throws<FormatException>(() => MoodSnapshot.FromBytes(bytes));

            Assert.That(error!.Message, Does.Contain("mood snapshot"));
        }

        [Test]
        public void Options_GenerateNoFormattersAtRunTime()
        {
            // IL2CPP has no Reflection.Emit: the options must know only the hand-written formatters and the built-in ones,
            // never fall back to MessagePack's dynamic resolvers (which would work here and fail on a device).
            Assert.That(SaveFormat.Options.Resolver.GetFormatter<MoodSnapshot>(), Is.Not.Null);
            Assert.That(SaveFormat.Options.Resolver.GetFormatter<ConversationHistory[]>(), Is.Not.Null);
            Assert.That(SaveFormat.Options.Resolver.GetFormatter<Mood>(), Is.Null, "enums are written as ints by the formatters");
            Assert.That(SaveFormat.Options.Resolver.GetFormatter<PromptTurn>(), Is.Null, "no formatter is generated for other types");
            Assert.That(SaveFormat.Options.Security, Is.SameAs(MessagePackSecurity.UntrustedData));
        }
    }
}
