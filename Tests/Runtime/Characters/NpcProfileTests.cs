using System;
using System.Collections.Generic;
using NUnit.Framework;
using SteerLM.Npc.Characters;

namespace SteerLM.Npc.Tests.Characters
{
    public class NpcProfileTests
    {
        [Test]
        public void Persona_WithAnEmptyName_IsRefusedNamingTheField()
        {
            var error = Assert.Throws<ArgumentException>(() => new Persona("  "));
            Assert.That(error!.Message, Does.Contain("Persona.Name"));
        }

        [Test]
        public void Persona_ToSystemText_ReadsAsSecondPersonPersona()
        {
            var persona = new Persona("Marta Hollis", "innkeeper of the Crooked Lantern", "Widowed, runs the inn alone",
                "warm, gossipy", new[] { "the mill burned last spring", "rooms cost 5 silver" });

            Assert.That(persona.ToSystemText(), Is.EqualTo(
                "You are Marta Hollis, innkeeper of the Crooked Lantern. Widowed, runs the inn alone. Speaking style: warm, gossipy. " +
                "You know: the mill burned last spring; rooms cost 5 silver."));
        }

        [Test]
        public void Profile_WithAMisspeltBaselineName_ListsTheNamesThatExist()
        {
            var error = Assert.Throws<ArgumentException>(() =>
                new NpcProfile("x", new Persona("X"), new Dictionary<string, int> { ["humour"] = 2 }));
            Assert.That(error!.Message, Does.Contain("'humour'").And.Contain("formality"));
        }

        [Test]
        public void Profile_WithABaselineOutOfRange_NamesAttributeAndRange()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
                new NpcProfile("x", new Persona("X"), new Dictionary<string, int> { ["joy"] = 5 }));
            Assert.That(error!.Message, Does.Contain("joy").And.Contain("5").And.Contain("0..4"));
        }

        [Test]
        public void Profile_WithALimitOnAnUnknownAttribute_IsRefused()
        {
            Assert.Throws<ArgumentException>(() =>
                new NpcProfile("x", new Persona("X"), limits: AttributeLimits.None.WithMaximum("rudeness", 1)));
        }

        [Test]
        public void Profile_WithALimitOutsideTheRange_IsRefused()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
                new NpcProfile("x", new Persona("X"), limits: AttributeLimits.None.WithMaximum("toxicity", 7)));
            Assert.That(error!.Message, Does.Contain("toxicity").And.Contain("0..4"));
        }

        [Test]
        public void Profile_WithAnEmptyId_IsRefused()
        {
            var error = Assert.Throws<ArgumentException>(() => new NpcProfile("", new Persona("X")));
            Assert.That(error!.Message, Does.Contain("NpcProfile.Id"));
        }

        [Test]
        public void WithBaseline_ReturnsAChangedCopyAndLeavesTheOriginal()
        {
            var profile = new NpcProfile("x", new Persona("X"));
            var funnier = profile.WithBaseline("humor", 4);

            Assert.That(funnier.Baseline["humor"], Is.EqualTo(4));
            Assert.That(profile.Baseline["humor"], Is.EqualTo(1));
        }

        [Test]
        public void MoodTraits_WithReactivityAboveOne_NamesFieldAndRange()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MoodTraits(1.5f, 10f));
            Assert.That(error!.Message, Does.Contain("Reactivity").And.Contain("0..1"));
        }

        [Test]
        public void Temperament_HasNoTraitsForCalm()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = Temperament.Balanced[Mood.Calm]);
        }
    }
}
