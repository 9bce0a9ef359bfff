using NUnit.Framework;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Tests.Generation
{
    public class StopStringFilterTests
    {
        [Test]
        public void TextThatMightStartAStopString_IsHeldBackUntilItCannot()
        {
            var filter = new StopStringFilter(new[] { "Player:" });

            Assert.That(filter.Push("Well, "), Is.EqualTo("Well, "));
            Assert.That(filter.Push("Pla"), Is.EqualTo(""));
            Assert.That(filter.Push("ce your bets"), Is.EqualTo("Place your bets"));
            Assert.That(filter.Stopped, Is.False);
        }

        [Test]
        public void StopStringAcrossPieces_EndsTheTextBeforeIt()
        {
            var filter = new StopStringFilter(new[] { "Player:" });

            var shown = filter.Push("Aye. Pl") + filter.Push("ayer: hello");

            Assert.That(filter.Stopped, Is.True);
            Assert.That(shown, Is.EqualTo("Aye. "));
            Assert.That(filter.Text, Is.EqualTo("Aye. "));
            Assert.That(filter.Flush(), Is.EqualTo(""));
        }

        [Test]
        public void WithoutStopStrings_EverythingIsShownAtOnce()
        {
            var filter = new StopStringFilter(System.Array.Empty<string>());
            Assert.That(filter.Push("abc"), Is.EqualTo("abc"));
        }
    }
}
