using System.Text.Json;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class DialogueJsonTests
    {
        [Test]
        public void Format_WritesTheSeedDataLayoutWithoutLabels()
        {
            var pair = new DialoguePair("Deoran", "You are Deoran, a character in The Battle for Wesnoth: The South Guard.",
                "You will never take this village!", "My kind? What do you mean, \"my kind\"?", "wesnoth-1.16-tsg");

            var json = DialogueJson.Format("wesnoth", 7, pair);

            Assert.That(json, Is.EqualTo(
                "{\"id\":\"wesnoth-7\",\"character\":\"Deoran\",\"system\":\"You are Deoran, a character in The Battle for Wesnoth: The South Guard.\"," +
                "\"turns\":[{\"role\":\"user\",\"text\":\"You will never take this village!\"}," +
                "{\"role\":\"assistant\",\"text\":\"My kind? What do you mean, \\\"my kind\\\"?\"}],\"source\":\"wesnoth-1.16-tsg\"}"));
            Assert.That(json, Does.Not.Contain("labels"));
            Assert.That(json, Does.Not.Contain("\n"));
            using var document = JsonDocument.Parse(json);
            Assert.That(document.RootElement.GetProperty("turns").GetArrayLength(), Is.EqualTo(2));
        }

        [Test]
        public void IsUsable_RejectsEmptyTurnsAndTurnsOver400Characters()
        {
            var fine = new DialoguePair("a", "s", "Hello?", new string('x', 400), "p");
            var tooLong = fine with { Assistant = new string('x', 401) };
            var empty = fine with { User = string.Empty };

            Assert.That(fine.IsUsable, Is.True);
            Assert.That(tooLong.IsUsable, Is.False);
            Assert.That(empty.IsUsable, Is.False);
        }
    }
}
