using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class FortunesSourceTests
    {
        // Modelled on usr/share/games/fortunes/computers: fortunes separated by lines holding only '%'.
        private const string Sample =
            "101 USE SFOR A DEAD MICROPROCESSOR\n" +
            "\t(1)  Scarecrow for centipedes\n" +
            "\t(2)  Dead cat brush\n" +
            "%\n" +
            "A biologist, a statistician, a mathematician and a computer scientist are on\n" +
            "a photo-safari in Africa.\n" +
            "\n" +
            "The biologist: \"Look!  A herd of zebras!\"\n" +
            "\t\t-- /etc/motd, cbosgd\n" +
            "%\n" +
            "%\n" +
            "It\u2019s a dog\u2019s life\u2026\n";

        [Test]
        public void SplitFortunes_MakesOneLinePerFortuneWithSingleSpaces()
        {
            var fortunes = FortunesSource.SplitFortunes(Sample).ToList();

            Assert.That(fortunes, Is.EqualTo(new[]
            {
                "101 USE SFOR A DEAD MICROPROCESSOR (1) Scarecrow for centipedes (2) Dead cat brush",
                "A biologist, a statistician, a mathematician and a computer scientist are on a photo-safari in Africa. " +
                    "The biologist: \"Look! A herd of zebras!\" -- /etc/motd, cbosgd",
                "It's a dog's life...",
            }));
        }

        [Test]
        public void SplitFortunes_RemovesOverstrikesOfOldUnderlinedText()
        {
            // "_\bH" underlines H; "e\be" emboldens e.
            var fortunes = FortunesSource.SplitFortunes("_\bH_\bi, e\bevery\bybody\n%\n").ToList();

            Assert.That(fortunes, Is.EqualTo(new[] { "Hi, everybody" }));
        }

        [Test]
        public void SplitFortunes_OfAFileWithoutFortunes_GivesNothing()
        {
            Assert.That(FortunesSource.SplitFortunes("%\n\n%\n"), Is.Empty);
        }
    }
}
