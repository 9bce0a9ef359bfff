using NUnit.Framework;
using SteerLM.Npc.Training.Cli;

namespace SteerLM.Npc.Training.Tests.Cli
{
    public class ArgumentParserTests
    {
        private static ArgumentParser Parser() => new ArgumentParser("corpus [--cache DIR]")
            .Option("--cache", "DIR", "cache folder")
            .Option("--max-words-per-source", "N", "cap")
            .Flag("--fresh", "start over");

        [Test]
        public void Parse_AcceptsAValueAfterASpaceOrAnEqualsSign()
        {
            var parsed = Parser().Parse(new[] { "--cache", "/tmp/a", "--max-words-per-source=10", "--fresh" });

            Assert.That(parsed.Value("--cache"), Is.EqualTo("/tmp/a"));
            Assert.That(parsed.Int64("--max-words-per-source", 1), Is.EqualTo(10));
            Assert.That(parsed.Has("--fresh"), Is.True);
            Assert.That(parsed.Value("--sources"), Is.Null);
        }

        [Test]
        public void Parse_OfAnUnknownOption_FailsNamingTheOption()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "--cahce", "/tmp/a" }));
            Assert.That(error!.Message, Does.Contain("unknown option '--cahce'"));
        }

        [Test]
        public void Parse_OfAnUnknownOptionWithAnEqualsSign_NamesOnlyTheOption()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "--colour=red" }));
            Assert.That(error!.Message, Does.Contain("'--colour'").And.Not.Contain("red"));
        }

        [Test]
        public void Parse_OfAnOptionWithoutItsValue_SaysWhatValueItNeeds()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "--cache", "--fresh" }));
            Assert.That(error!.Message, Does.Contain("'--cache'").And.Contain("DIR"));
        }

        [Test]
        public void Parse_OfAPositionalArgument_Fails()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "fortunes" }));
            Assert.That(error!.Message, Does.Contain("'fortunes'"));
        }

        [Test]
        public void Parse_OfAnOptionGivenTwice_Fails()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "--cache", "a", "--cache", "b" }));
            Assert.That(error!.Message, Does.Contain("'--cache'").And.Contain("more than once"));
        }

        [Test]
        public void Parse_OfAValueOnAFlag_Fails()
        {
            var error = Assert.Throws<UsageException>(() => Parser().Parse(new[] { "--fresh=yes" }));
            Assert.That(error!.Message, Does.Contain("'--fresh'").And.Contain("no value"));
        }

        [TestCase("ten")]
        [TestCase("0")]
        [TestCase("-5")]
        public void Int64_OfABadNumber_FailsNamingTheOptionAndTheValue(string value)
        {
            var parsed = Parser().Parse(new[] { "--max-words-per-source", value });
            var error = Assert.Throws<UsageException>(() => parsed.Int64("--max-words-per-source", 1));
            Assert.That(error!.Message, Does.Contain("'--max-words-per-source'").And.Contain($"'{value}'"));
        }

        [Test]
        public void Parse_OfHelp_IsRecordedNotAnError()
        {
            Assert.That(Parser().Parse(new[] { "--help" }).HelpRequested, Is.True);
            Assert.That(Parser().Parse(new[] { "-h" }).HelpRequested, Is.True);
        }
    }
}
