using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus.Formats;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class FreedroidSourceTests
    {
        private const string Package = "freedroidrpg-data";

        // Modelled on data/storyline/act1/dialogs/Bender.lua.
        private const string Script = @"---------------------------------------------------------------------
-- This file is part of Freedroid
---------------------------------------------------------------------
--[[WIKI
PERSONALITY = { ""Friendly"", ""Mentally Diminished"" },
PURPOSE = ""$$NAME$$ is the village idiot, strong but dumb"",
WIKI]]--

local Npc = FDrpg.get_npc()
local Tux = FDrpg.get_tux()

return {
	FirstTime = function()
		Tux:says(_""Hello! I'm new here."")
		Npc:says(_""Hey, man! I'm Bender, the dead man of this town. And you?"")
		Npc:set_name(""Bender"")
		--; TRANSLATORS: %s = Tux:get_player_name()
		Tux:says(_""I'm %s. I'm fine, thank you."", Tux:get_player_name(), ""NO_WAIT"")
		Npc:says(_""Cool, man."")
		show(""node0"")
	end,

	{
		id = ""node0"",
		text = _""What's wrong? You seem to be in pretty good shape for a dead man."",
		code = function()
			Npc:says(_""Yeah. I'm the strongest man in all the world. That's 'cause I took ALL of the strength pills."")
			Npc:says(_""And yet, I might be \""dead\"" soon. GRAH!"", ""NO_WAIT"")
			Npc:set_name(""Bender - The strongest one"")
			show(""node1"", ""node2"")
		end,
	},
	{
		id = ""node1"",
		text = _""Can I help?"",
		code = function()
			if (Tux:has_item_backpack(""Antidote"")) then
				Npc:says(_""You have the antidote!"")
			else
				Npc:says(_""Nah. Only the doc can help."")
			end
			Npc:says_random(_""Later, man!"",
				_""See you!"")
		end,
	},
	{
		id = ""node99"",
		text = _""See you later."",
		code = function()
			end_dialog()
		end,
	},
}
";

        [Test]
        public void ExtractScript_FindsEveryTranslatableStringExceptThoseWithFormatHoles()
        {
            var (lines, _) = FreedroidSource.ExtractScript(Script, "Bender", Package);

            Assert.That(lines, Does.Contain("Hello! I'm new here."));
            Assert.That(lines, Does.Contain("And yet, I might be \"dead\" soon. GRAH!"));
            Assert.That(lines, Does.Contain("See you!"));
            Assert.That(lines, Does.Contain("See you later."));
            Assert.That(lines.Any(l => l.Contains("%s") || l.Contains("I'm fine")), Is.False);
            Assert.That(lines, Does.Not.Contain("Bender"), "plain strings (not _\"...\") are code, not text");
        }

        [Test]
        public void ExtractScript_PairsAChoiceWithTheNpcLinesThatFollowIt()
        {
            var (_, pairs) = FreedroidSource.ExtractScript(Script, "Bender", Package);

            var pair = pairs.Single(p => p.User.StartsWith("What's wrong?"));
            Assert.That(pair.Assistant, Is.EqualTo(
                "Yeah. I'm the strongest man in all the world. That's 'cause I took ALL of the strength pills. " +
                "And yet, I might be \"dead\" soon. GRAH!"));
            Assert.That(pair.Character, Is.EqualTo("Bender"));
            Assert.That(pair.System, Is.EqualTo("You are Bender, a character in FreedroidRPG. Bender is the village idiot, strong but dumb."));
            Assert.That(pair.Package, Is.EqualTo(Package));
        }

        [Test]
        public void ExtractScript_PairsTuxLinesWithTheNpcReplyButNotLinesWithHoles()
        {
            var (_, pairs) = FreedroidSource.ExtractScript(Script, "Bender", Package);

            Assert.That(pairs.Any(p => p.User == "Hello! I'm new here." && p.Assistant == "Hey, man! I'm Bender, the dead man of this town. And you?"), Is.True);
            Assert.That(pairs.Any(p => p.Assistant == "Cool, man."), Is.False, "the line before it has a %s hole");
        }

        [Test]
        public void ExtractScript_TakesTheFirstBranchAsTheReplyAndStopsAtElse()
        {
            var (_, pairs) = FreedroidSource.ExtractScript(Script, "Bender", Package);

            Assert.That(pairs.Where(p => p.User == "Can I help?").Select(p => p.Assistant), Is.EqualTo(new[] { "You have the antidote!" }));
            Assert.That(pairs.Any(p => p.User == "See you later."), Is.False, "end_dialog() gives no reply");
        }

        [Test]
        public void LuaLexer_ReadsEscapesLongStringsAndSkipsComments()
        {
            var (tokens, comments) = LuaLexer.Tokenize("-- note\nx = 'it\\'s' .. [[long\nstring]] --[==[ block ]==]\ny = \"a\\tb\\65\"");

            var strings = tokens.Where(t => t.Kind == LuaTokenKind.String).Select(t => t.Text);
            Assert.That(strings, Is.EqualTo(new[] { "it's", "long\nstring", "a\tbA" }));
            Assert.That(comments, Is.EqualTo(new[] { " block " }));
            Assert.That(tokens.Any(t => t.Is(LuaTokenKind.Symbol, "..")), Is.True);
        }

        [Test]
        public void CleanString_TurnsDoublePercentIntoPercentAndDropsShellPrompts()
        {
            Assert.That(FreedroidSource.CleanString("Less than 5%% fuel remaining!"), Is.EqualTo("Less than 5% fuel remaining!"));
            Assert.That(FreedroidSource.CleanString("Welcome to [b]%s[/b]!"), Is.Null);
            Assert.That(FreedroidSource.CleanString("admin@main.pc.dsb.ms: ~ #"), Is.Null);
            Assert.That(FreedroidSource.CleanString("[b]Login failed.[/b]"), Is.EqualTo("Login failed."));
        }
    }
}
