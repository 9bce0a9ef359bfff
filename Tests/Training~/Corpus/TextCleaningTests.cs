using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class TextCleaningTests
    {
        [Test]
        public void Normalize_CollapsesWhitespaceAndWritesTypographicQuotesAsAscii()
        {
            var text = TextCleaner.Normalize("\t\u201CWe\u2019re   here\u201D\u00A0\u2026\r\n  said  he.\u200B ");

            Assert.That(text, Is.EqualTo("\"We're here\" ... said he."));
        }

        [TestCase("(__)\n (oo)\n /------\\/", false)]
        [TestCase("...", false)]
        [TestCase("for(i=0;i<n;i++){a[i]=b[i]*2;}", false)]
        [TestCase("Yes.", true)]
        [TestCase("Fifty flippant frogs walked by on flippered feet.", true)]
        public void LooksLikeProse_KeepsLanguageAndDropsArtAndCode(string line, bool prose)
        {
            Assert.That(TextCleaner.LooksLikeProse(TextCleaner.Normalize(line)), Is.EqualTo(prose));
        }

        [Test]
        public void CountWords_CountsLikeWc()
        {
            Assert.That(TextCleaner.CountWords("  The jury said, \"no\" -- twice. "), Is.EqualTo(6));
        }

        [Test]
        public void Deduplicate_KeepsTheFirstOccurrenceOfEachLineInOrder()
        {
            var lines = LineDeduplicator.Deduplicate(new[] { "Hello.", "Farewell.", "Hello.", "hello.", "Farewell." }).ToList();

            Assert.That(lines, Is.EqualTo(new[] { "Hello.", "Farewell.", "hello." }));
        }

        [Test]
        public void Add_CountsTheRepeatsItTurnsAway()
        {
            var deduplicator = new LineDeduplicator();

            var added = new[] { "a", "b", "a", "a" }.Select(deduplicator.Add).ToList();

            Assert.That(added, Is.EqualTo(new[] { true, true, false, false }));
            Assert.That(deduplicator.Duplicates, Is.EqualTo(2));
        }

        [Test]
        public void NlpCorpus_ExtractSentences_ReadsTheJsonArrayOfADocument()
        {
            var sentences = NlpCorpusSource.ExtractSentences("[\n  \"Creakiness and atmosphere this film has.\",\n  \"  Two\\n lines \",\n  \"\"\n]").ToList();

            Assert.That(sentences, Is.EqualTo(new[] { "Creakiness and atmosphere this film has.", "Two lines" }));
        }

        [Test]
        public void NlpCorpus_RunsOnlyWhenNamedAndSaysWhy()
        {
            Assert.That(SourceCatalog.Defaults.Select(s => s.Name), Is.EqualTo(new[] { "fortunes", "wesnoth", "endless-sky", "freedroidrpg", "crawl", "brown" }));
            var nlp = SourceCatalog.All.Single(s => s.Name == "nlp-corpus");
            Assert.That(nlp.IncludedByDefault, Is.False);
            Assert.That(nlp.Note, Does.Contain("commercially"));
        }
    }
}
