using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class EndlessSkySourceTests
    {
        private const string Package = "endless-sky-data";

        // Modelled on data/intro missions.txt (tabs are the format's indentation).
        private const string Mission =
            "# Copyright (c) 2014 by Michael Zahniser\n" +
            "mission \"Intro [0]\"\n" +
            "\tname \"Passenger to <planet>\"\n" +
            "\tdescription \"This old-timer captain offered to ride along with you.\"\n" +
            "\ton offer\n" +
            "\t\tlog \"Factions\" \"Republic\" `Hundreds of years ago, the independent territories agreed to join together.`\n" +
            "\t\tconversation\n" +
            "\t\t\t`You are busy polishing out a few rust spots when an old man walks up.`\n" +
            "\t\t\t`\t\"Nothing quite like buying your very first starship,\" he says.`\n" +
            "\t\t\tchoice\n" +
            "\t\t\t\t`\t\"Yeah, I'm still kind of in shock over how much money I spent.\"`\n" +
            "\t\t\t\t\tgoto money\n" +
            "\t\t\t\t`\t\"Beat it, old-timer.\"`\n" +
            "\t\t\t\t\tdecline\n" +
            "\t\t\t\t`\t(Ignore him.)`\n" +
            "\t\t\t\t`\t\"Who are you?\"`\n" +
            "\t\t\t`\tHe shrugs and looks at the ship.`\n" +
            "\t\t\t`\t\"Was,\" he says. \"Sold off my fleet a few days ago.\"`\n" +
            "\t\t\tlabel money\n" +
            "\t\t\t`\tHe grins. \"I know the feeling. It's a crime how much interest the banks charge.\"`\n" +
            "\t\t\t`\t\"My name is James. I can pay you <payment>.\"`\n" +
            "\t\t\t\taccept\n";

        [Test]
        public void ExtractFile_TakesEveryBacktickStringButNoneWithSubstitutions()
        {
            var (lines, _) = EndlessSkySource.ExtractFile(Mission, Package);

            Assert.That(lines, Does.Contain("Hundreds of years ago, the independent territories agreed to join together."));
            Assert.That(lines, Does.Contain("\"Nothing quite like buying your very first starship,\" he says."));
            Assert.That(lines, Does.Contain("(Ignore him.)"));
            Assert.That(lines.Any(l => l.Contains("James")), Is.False, "<payment> is filled in by the game");
            Assert.That(lines.Any(l => l.Contains("old-timer captain")), Is.False, "double-quoted strings are names and keys");
        }

        [Test]
        public void ExtractFile_PairsAChoiceWithTheSpeechWhereItsGotoLeads()
        {
            var (_, pairs) = EndlessSkySource.ExtractFile(Mission, Package);

            var pair = pairs.Single(p => p.User.StartsWith("Yeah"));
            Assert.That(pair.User, Is.EqualTo("Yeah, I'm still kind of in shock over how much money I spent."));
            Assert.That(pair.Assistant, Is.EqualTo("I know the feeling. It's a crime how much interest the banks charge."));
            Assert.That(pair.Character, Is.EqualTo(DialoguePair.UnknownCharacter));
            Assert.That(pair.System, Does.Contain("Endless Sky"));
        }

        [Test]
        public void ExtractFile_PairsAChoiceWithoutGotoWithTheFirstSpeechAfterTheChoice()
        {
            var (_, pairs) = EndlessSkySource.ExtractFile(Mission, Package);

            var pair = pairs.Single(p => p.User == "Who are you?");
            Assert.That(pair.Assistant, Is.EqualTo("Was. Sold off my fleet a few days ago."), "narration is skipped, speech parts joined");
        }

        [Test]
        public void ExtractFile_DoesNotPairChoicesThatEndTheTalkOrSayNothing()
        {
            var (_, pairs) = EndlessSkySource.ExtractFile(Mission, Package);

            Assert.That(pairs.Select(p => p.User), Is.EquivalentTo(new[]
            {
                "Yeah, I'm still kind of in shock over how much money I spent.",
                "Who are you?",
            }));
        }

        [TestCase("He grins. \"I know the feeling.\"", "I know the feeling.")]
        [TestCase("\"Well,\" he says, \"I've got a spot reserved.\"", "Well, I've got a spot reserved.")]
        [TestCase("\"This goes on into the next paragraph.", "This goes on into the next paragraph.")]
        [TestCase("You sit down.", "")]
        public void ExtractQuoted_KeepsOnlyWhatIsSaid(string text, string said)
        {
            Assert.That(Speech.ExtractQuoted(text), Is.EqualTo(said));
        }
    }
}
