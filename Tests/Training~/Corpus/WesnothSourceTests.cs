using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class WesnothSourceTests
    {
        private const string Campaign = "The South Guard";
        private const string Package = "wesnoth-1.16-tsg";

        // Modelled on data/campaigns/The_South_Guard/scenarios/01_Born_to_the_Banner.cfg.
        private const string Scenario = @"#textdomain wesnoth-tsg
[scenario]
    id=01_Born_to_the_Banner
    name= _ ""Born to the Banner""
    [story]
        [part]
            story= _ ""The South Guard was <i>once</i> strong.""
        [/part]
    [/story]
    [event]
        name=start
        [message]
            speaker=Moreth
            message= _ ""You will never take this village! I’ll defend them to the death if I must!""
        [/message]

        [message]
            speaker=Deoran
            image=portraits/deoran-mad.png
            message= _ ""My kind? What do you mean, <i>“my kind”</i>? And where is the South Guard?""
        [/message]
        {HIGHLIGHT_IMAGE 9 10 items/gohere.png ()}
        [message]
            speaker=Moreth
            message= _ ""My deepest apologies, sir! Bandits have been pillaging the villages.""
        [/message]
        [message]
            speaker=narrator
            message= _ ""Deoran gazes at the ruined village.""
        [/message]
        [message]
            speaker=Deoran
            message= _ ""Then we ride at dawn.""
        [/message]
    [/event]
[/scenario]
";

        [Test]
        public void ExtractFile_FindsEveryMessageAndStoryPartAsPlainText()
        {
            var (lines, _) = WesnothSource.ExtractFile(Scenario, Campaign, Package);

            Assert.That(lines, Is.EqualTo(new[]
            {
                "The South Guard was once strong.",
                "You will never take this village! I'll defend them to the death if I must!",
                "My kind? What do you mean, \"my kind\"? And where is the South Guard?",
                "My deepest apologies, sir! Bandits have been pillaging the villages.",
                "Deoran gazes at the ruined village.",
                "Then we ride at dawn.",
            }));
        }

        [Test]
        public void ExtractFile_PairsConsecutiveMessagesOfTwoSpeakersButNeverTheNarrator()
        {
            var (_, pairs) = WesnothSource.ExtractFile(Scenario, Campaign, Package);

            Assert.That(pairs.Select(p => (p.Character, p.User, p.Assistant)), Is.EqualTo(new[]
            {
                ("Deoran", "You will never take this village! I'll defend them to the death if I must!",
                    "My kind? What do you mean, \"my kind\"? And where is the South Guard?"),
                ("Moreth", "My kind? What do you mean, \"my kind\"? And where is the South Guard?",
                    "My deepest apologies, sir! Bandits have been pillaging the villages."),
            }));
            Assert.That(pairs[0].System, Is.EqualTo("You are Deoran, a character in The Battle for Wesnoth: The South Guard."));
            Assert.That(pairs[0].Package, Is.EqualTo(Package));
        }

        [Test]
        public void ExtractFile_LeavesOutMessagesWithVariablesAndMacros()
        {
            const string cfg = @"[event]
    [message]
        speaker=Garrath
        message=_""You wanna cross it? Cost you only $fee gold!""
    [/message]
    [message]
        speaker=Harold
        message={WHISPER _""Is it safe to have this lunatic with us?""}
    [/message]
    [message]
        speaker=Harold
        message=$random_liches[$random].quote
    [/message]
[/event]";

            var (lines, pairs) = WesnothSource.ExtractFile(cfg, Campaign, Package);

            Assert.That(lines, Is.EqualTo(new[] { "Is it safe to have this lunatic with us?" }));
            Assert.That(pairs, Is.Empty);
        }

        [Test]
        public void ExtractFile_ReadsStringsOverSeveralLinesWithDoubledQuotesAndPlusJoins()
        {
            const string cfg = "[message]\n    speaker=Konrad\n    message= _ \"The elves call it \"\"the Ford\"\",\nand so shall we.\" +\n        _ \" Onward!\" # a comment\n[/message]\n";

            var (lines, _) = WesnothSource.ExtractFile(cfg, Campaign, Package);

            Assert.That(lines, Is.EqualTo(new[] { "The elves call it \"the Ford\", and so shall we. Onward!" }));
        }

        [Test]
        public void ExtractFile_StripsTranslationContextsAndMarkup()
        {
            const string cfg = "[message]\n    speaker=Li'sar\n    female_message= _ \"female^Should <b>she</b> read the book?\"\n    message= _ \"<span color='#ff0000'>Tom &amp; Jerry</span>\"\n[/message]\n";

            var (lines, _) = WesnothSource.ExtractFile(cfg, Campaign, Package);

            Assert.That(lines, Is.EquivalentTo(new[] { "Should she read the book?", "Tom & Jerry" }));
        }

        [Test]
        public void ExtractFile_PairsAnOptionWithTheFirstReplyInsideItsCommand()
        {
            const string cfg = @"[message]
    speaker=Garrath
    message= _ ""Greetings, strangers! This swamp is dangerous.""
    [option]
        label= _ ""Thanks very much. Here’s the gold...""
        [command]
            [message]
                speaker=Garrath
                message= _ ""You really ought to be more careful with suspicious strangers like me.""
            [/message]
        [/command]
    [/option]
    [option]
        label= _ ""No thanks — we’ll manage by ourselves...""
        [command]
            [message]
                speaker=Harold
                message= _ ""Suit yourselves.""
            [/message]
        [/command]
    [/option]
[/message]";

            var (_, pairs) = WesnothSource.ExtractFile(cfg, Campaign, Package);

            // The first option is answered by the one who asked (Garrath): not a reply to someone else, so no pair.
            Assert.That(pairs.Select(p => (p.Character, p.User, p.Assistant)), Is.EqualTo(new[]
            {
                ("Harold", "No thanks — we'll manage by ourselves...", "Suit yourselves."),
            }));
        }

        [Test]
        public void ExtractFile_DoesNotPairMessagesAcrossPreprocessorBranches()
        {
            const string cfg = @"[event]
#ifdef EASY
    [message]
        speaker=Gerrick
        message= _ ""Easy words.""
    [/message]
#else
    [message]
        speaker=Deoran
        message= _ ""Hard words.""
    [/message]
#endif
[/event]";

            Assert.That(WesnothSource.ExtractFile(cfg, Campaign, Package).Pairs, Is.Empty);
        }

        [Test]
        public void ExtractFile_NamesTheTriggeringUnitUnknown()
        {
            const string cfg = @"[event]
    [message]
        speaker=Aleron
        message= _ ""More bandits? Begone, we have nothing left for you.""
    [/message]
    [message]
        speaker=unit
        message= _ ""We fight under the banner of the South Guard!""
    [/message]
[/event]";

            var pair = WesnothSource.ExtractFile(cfg, Campaign, Package).Pairs.Single();

            Assert.That(pair.Character, Is.EqualTo(DialoguePair.UnknownCharacter));
            Assert.That(pair.System, Is.EqualTo("You are a character in The Battle for Wesnoth: The South Guard."));
        }

        [Test]
        public void CampaignName_ReadsTheNameOfTheCampaignTag()
        {
            const string main = "#textdomain wesnoth-tsg\n[textdomain]\n    name=\"wesnoth-tsg\"\n[/textdomain]\n[campaign]\n    id=The_South_Guard\n    name= _ \"The South Guard\"\n    abbrev= _ \"TSG\"\n[/campaign]\n";

            Assert.That(WesnothSource.CampaignName(main), Is.EqualTo("The South Guard"));
        }
    }
}
