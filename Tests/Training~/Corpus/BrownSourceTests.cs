using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class BrownSourceTests
    {
        [Test]
        public void Detokenize_DropsTheTagsAndPutsPunctuationAgainstItsWord()
        {
            var text = BrownSource.Detokenize(
                "\tThe/at jury/nn further/rbr said/vbd in/in term-end/nn presentments/nns that/cs the/at City/nn-tl " +
                "Executive/jj-tl Committee/nn-tl ,/, which/wdt had/hvd over-all/jj charge/nn of/in the/at election/nn ./.");

            Assert.That(text, Is.EqualTo(
                "The jury further said in term-end presentments that the City Executive Committee, which had over-all charge of the election."));
        }

        [Test]
        public void Detokenize_TurnsBacktickQuotesIntoDoubleQuotesAroundTheirWords()
        {
            var text = BrownSource.Detokenize(
                "\t``/`` Only/rb a/at relative/jj handful/nn of/in such/jj reports/nns was/bedz received/vbn ''/'' ,/, " +
                "the/at jury/nn said/vbd ;/. ``/`` no/at evidence/nn ''/'' ?/.");

            Assert.That(text, Is.EqualTo("\"Only a relative handful of such reports was received\", the jury said; \"no evidence\"?"));
        }

        [Test]
        public void Detokenize_KeepsSlashesInsideWordsAndBrackets()
        {
            var text = BrownSource.Detokenize("a/at 1-1/2-story/nn house/nn (/( built/vbn in/in 1958/cd )/) --/-- sold/vbd");

            Assert.That(text, Is.EqualTo("a 1-1/2-story house (built in 1958) -- sold"));
        }

        [Test]
        public void Detokenize_AlternatesSingleQuotesBetweenOpeningAndClosing()
        {
            var text = BrownSource.Detokenize("more/ap '/' pro/jj '/' than/in '/' con/jj '/' ./.");

            Assert.That(text, Is.EqualTo("more 'pro' than 'con'."));
        }

        [TestCase("The/at formula/nn ,/, with/in the/at fractions/nns converted/vbn ,/, becomes/vbz Af/nn ./.")]
        [TestCase("where/wrb **yf/nn is/bez the/at yield/nn ./.")]
        public void Detokenize_LeavesOutSentencesWithFormulaPlaceholders(string line)
        {
            Assert.That(BrownSource.Detokenize(line), Is.Null);
        }

        [Test]
        public void ExtractSentences_GivesOneSentencePerIndentedLine()
        {
            const string file = "\n\n\tThe/at jury/nn said/vbd ./.\n\n\n\tIt/pps did/dod ./.\n";

            Assert.That(BrownSource.ExtractSentences(file).ToList(), Is.EqualTo(new[] { "The jury said.", "It did." }));
        }
    }
}
