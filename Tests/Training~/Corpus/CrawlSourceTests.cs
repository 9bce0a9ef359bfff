using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class CrawlSourceTests
    {
        // Modelled on usr/share/crawl/dat/database/monspeak.txt and insult.txt.
        private const string Database = @"############################################################
# This file contains the messages of monsters that ""talk""
############################################################
%%%%
_high_priest_medium_

VISUAL:@The_monster@ performs a strange gesture.

@The_monster@ shouts @at_foe@, ""You are a heretic and must be destroyed!""

w:5
@The_monster@ says @to_foe@, ""All @sinners@ must die.""
%%%%
sinners

sinners

heretics
%%%%
orc high priest

@_high_priest_medium_@
%%%%
demon_taunt

@give_up@, thou tasty morsel!
%%%%
give_up

Give up

Surrender
%%%%
insult_noun

scamp
%%%%
Xom general effect

Xom snickers.

""How about this?""

@The_monster@ says, ""{{ return you.race() }}!""

__NONE
%%%%
";

        [Test]
        public void ParseDatabase_SplitsEntriesIntoKeysAndAlternativesWithoutWeightsOrComments()
        {
            var entries = CrawlSource.ParseDatabase(Database);

            Assert.That(entries.Select(e => e.Key), Is.EqualTo(new[]
            {
                "_high_priest_medium_", "sinners", "orc high priest", "demon_taunt", "give_up", "insult_noun", "Xom general effect",
            }));
            Assert.That(entries[0].Alternatives, Is.EqualTo(new[]
            {
                "VISUAL:@The_monster@ performs a strange gesture.",
                "@The_monster@ shouts @at_foe@, \"You are a heretic and must be destroyed!\"",
                "@The_monster@ says @to_foe@, \"All @sinners@ must die.\"",
            }));
        }

        [Test]
        public void ExtractSpeech_ExpandsTheGrammarAndKeepsOnlyTheSpeechAroundGameValues()
        {
            var lines = Extract(Database);

            Assert.That(lines, Does.Contain("You are a heretic and must be destroyed!"));
            Assert.That(lines.Where(l => l.StartsWith("All ")), Is.SubsetOf(new[] { "All sinners must die.", "All heretics must die." }).And.Not.Empty);
            Assert.That(lines.Where(l => l.EndsWith("thou tasty morsel!")), Is.SubsetOf(new[] { "Give up, thou tasty morsel!", "Surrender, thou tasty morsel!" }).And.Not.Empty);
            Assert.That(lines, Does.Contain("Xom snickers."));
            Assert.That(lines, Does.Contain("How about this?"));
        }

        [Test]
        public void ExtractSpeech_LeavesOutNarrationWithGameValuesLuaLoneWordsAndLibraryEntries()
        {
            var lines = Extract(Database);

            Assert.That(lines.Any(l => l.Contains('@') || l.Contains("{{") || l.Contains("__NONE") || l.Contains("gesture")), Is.False);
            Assert.That(lines, Does.Not.Contain("scamp"));
            Assert.That(lines, Does.Not.Contain("sinners"), "a referenced entry is only used inside others");
        }

        private static List<string> Extract(string text)
        {
            var database = CrawlSource.ParseDatabase(text).ToDictionary(e => e.Key, e => e.Alternatives);
            return CrawlSource.ExtractSpeech(database, database.Keys.ToList());
        }
    }
}
