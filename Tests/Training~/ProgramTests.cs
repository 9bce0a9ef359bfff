using System.IO;
using NUnit.Framework;

namespace SteerLM.Npc.Training.Tests
{
    public class ProgramTests
    {
        [Test]
        public void Run_WithAnUnknownCommand_PrintsUsageAndExitsWith2()
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = Program.Run(new[] { "pretrian" }, output, error);

            Assert.That(code, Is.EqualTo(2));
            Assert.That(error.ToString(), Does.Contain("unknown command 'pretrian'").And.Contain("usage:").And.Contain("corpus"));
        }

        [Test]
        public void Run_WithNoCommand_PrintsUsageAndExitsWith2()
        {
            var error = new StringWriter();
            Assert.That(Program.Run(new string[0], new StringWriter(), error), Is.EqualTo(2));
            Assert.That(error.ToString(), Does.Contain("usage:"));
        }

        [Test]
        public void Run_WithHelp_ListsEveryStageAndExitsWith0()
        {
            var output = new StringWriter();

            var code = Program.Run(new[] { "--help" }, output, new StringWriter());

            Assert.That(code, Is.EqualTo(0));
            foreach (var stage in Program.Stages)
            {
                Assert.That(output.ToString(), Does.Contain(stage.Name).And.Contain(stage.Description));
            }
        }

        [Test]
        public void Run_CorpusWithAnUnknownFlag_ExitsWith2NamingTheFlag()
        {
            var error = new StringWriter();

            var code = Program.Run(new[] { "corpus", "--cache", "/tmp/x", "--max-word", "5" }, new StringWriter(), error);

            Assert.That(code, Is.EqualTo(2));
            Assert.That(error.ToString(), Does.Contain("corpus").And.Contain("unknown option '--max-word'"));
        }

        [Test]
        public void Run_CorpusWithAnUnknownSource_ExitsWith2ListingTheSources()
        {
            var error = new StringWriter();

            var code = Program.Run(new[] { "corpus", "--cache", "/tmp/x", "--sources", "fortunes,gutenberg" }, new StringWriter(), error);

            Assert.That(code, Is.EqualTo(2));
            Assert.That(error.ToString(), Does.Contain("'gutenberg'").And.Contain("wesnoth").And.Contain("nlp-corpus"));
        }
    }
}
