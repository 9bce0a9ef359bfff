using System.Collections.Generic;
using NUnit.Framework;
using SteerLM.Npc.Characters;

namespace SteerLM.Npc.Tests.Characters
{
    public class NpcMoodTests
    {
        [Test]
        public void Insult_OfAHotTemperedCharacter_MovesThemFurtherThanAPatientOne()
        {
            var hot = new NpcMood(Temperament.HotTempered);
            var patient = new NpcMood(Temperament.Patient);

            hot.Insult();
            patient.Insult();

            Assert.That(hot.Current, Is.EqualTo(Mood.Angry));
            Assert.That(patient.Current, Is.EqualTo(Mood.Calm));
            var profile = new NpcProfile("x", new Persona("X"));
            Assert.That(AttributeMapper.Default.Map(profile, hot)["anger"], Is.GreaterThan(AttributeMapper.Default.Map(profile, patient)["anger"]));
        }

        [Test]
        public void Insult_WhenAlreadyAnnoyed_MakesABalancedCharacterAngry()
        {
            var mood = new NpcMood(Temperament.Balanced);
            mood.Insult();
            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));

            mood.Insult();

            Assert.That(mood.Current, Is.EqualTo(Mood.Angry));
        }

        [Test]
        public void Insult_OfASensitiveCharacter_SaddensRatherThanAngers()
        {
            var mood = new NpcMood(Temperament.Melancholic);
            mood.Insult();
            Assert.That(mood.Current, Is.EqualTo(Mood.Sad));
        }

        [Test]
        public void Threaten_FrightensATimidCharacterButAngersAHotTemperedOne()
        {
            var timid = new NpcMood(Temperament.Timid);
            var hot = new NpcMood(Temperament.HotTempered);

            timid.Threaten();
            hot.Threaten();

            Assert.That(timid.Current, Is.EqualTo(Mood.Afraid));
            Assert.That(hot.Current, Is.EqualTo(Mood.Angry));
        }

        [Test]
        public void RepeatedInsults_WhileAngry_RaiseTheIntensity()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Insult();
            var first = mood.Intensity;

            mood.Insult();

            Assert.That(mood.Current, Is.EqualTo(Mood.Angry));
            Assert.That(mood.Intensity, Is.GreaterThan(first));
        }

        [Test]
        public void Gift_SoftensAngerToAnnoyance_AndWinsOverAnAnnoyedCharacter()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Insult();
            Assert.That(mood.CanBeSoothed, Is.True);

            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));
            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Happy));
        }

        [Test]
        public void Advance_PastTheReaction_ReturnsToTheRestingMood()
        {
            var mood = new NpcMood(Temperament.Balanced);
            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Happy));

            mood.Advance(10);
            Assert.That(mood.Current, Is.EqualTo(Mood.Happy), "still happy after ten seconds");
            mood.Advance(600);

            Assert.That(mood.Current, Is.EqualTo(Mood.Calm));
            Assert.That(mood.IsResting, Is.True);
            Assert.That(mood.Intensity, Is.EqualTo(0f));
        }

        [Test]
        public void Advance_CoolsAngerThroughAnnoyanceBeforeRest()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            var seen = new List<Mood>();
            mood.Changed += change => seen.Add(change.To);
            mood.Insult();

            for (var second = 0; second < 1200; second++)
            {
                mood.Advance(1);
            }

            Assert.That(seen, Is.EqualTo(new[] { Mood.Angry, Mood.Annoyed, Mood.Calm }));
        }

        [Test]
        public void Advance_InOneStepOrManySmallOnes_EndsInTheSameMood()
        {
            var once = new NpcMood(Temperament.HotTempered);
            var often = new NpcMood(Temperament.HotTempered);
            once.Insult();
            often.Insult();

            once.Advance(100);
            for (var i = 0; i < 6000; i++)
            {
                often.Advance(1.0 / 60.0);
            }

            Assert.That(often.Current, Is.EqualTo(once.Current));
            Assert.That(often.Intensity, Is.EqualTo(once.Intensity).Within(1e-3));
        }

        [Test]
        public void Advance_OfAGrumpyCharacter_ReturnsToGrumpyNotCalm()
        {
            var mood = new NpcMood(Temperament.HotTempered, Mood.Annoyed);
            mood.Gift();
            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Happy));

            mood.Advance(3600);

            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));
            Assert.That(mood.Intensity, Is.EqualTo(NpcMood.RestingIntensity).Within(1e-4));
        }

        [Test]
        public void Advance_WithNegativeTime_IsRefused()
        {
            var mood = new NpcMood(Temperament.Balanced);
            Assert.Throws<System.ArgumentOutOfRangeException>(() => mood.Advance(-1));
        }

        [Test]
        public void Greet_CheersACheerfulCharacterButNotAReservedOne()
        {
            var cheerful = new NpcMood(Temperament.Cheerful);
            var reserved = new NpcMood(Temperament.Patient);

            cheerful.Greet();
            reserved.Greet();

            Assert.That(cheerful.Current, Is.EqualTo(Mood.Happy));
            Assert.That(reserved.Current, Is.EqualTo(Mood.Calm));
        }

        [Test]
        public void Attack_FrightensWhenFearComesEasierThanAnger()
        {
            var timid = new NpcMood(Temperament.Timid);
            var hot = new NpcMood(Temperament.HotTempered);

            timid.Attack();
            hot.Attack();

            Assert.That(timid.Current, Is.EqualTo(Mood.Afraid));
            Assert.That(hot.Current, Is.EqualTo(Mood.Angry));
            Assert.That(hot.IsHostile, Is.True);
            Assert.That(timid.IsDistressed, Is.True);
        }

        [Test]
        public void Joke_AmusesAPlayfulCharacter()
        {
            var mood = new NpcMood(Temperament.Cheerful);
            mood.Joke();
            Assert.That(mood.Current, Is.EqualTo(Mood.Amused));
        }

        [Test]
        public void Ignore_AnnoysACharacterWhoWantsAttention()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Ignore();
            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));
        }

        [Test]
        public void SaveAndRestore_KeepsMoodAndIntensity()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Insult();
            mood.Advance(5);
            var snapshot = mood.Save();

            var loaded = new NpcMood(Temperament.HotTempered);
            loaded.Restore(snapshot);

            Assert.That(loaded.Current, Is.EqualTo(mood.Current));
            Assert.That(loaded.Intensity, Is.EqualTo(mood.Intensity));
        }

        [Test]
        public void Restore_WithAnIntensityOutOfRange_IsRefused()
        {
            var mood = new NpcMood(Temperament.Balanced);
            var error = Assert.Throws<System.ArgumentOutOfRangeException>(() => mood.Restore(new MoodSnapshot { Mood = Mood.Angry, Intensity = 3f }));
            Assert.That(error!.Message, Does.Contain("Intensity").And.Contain("0..1"));
        }

        [Test]
        public void Raise_OfAnInternalEvent_IsRefused()
        {
            var mood = new NpcMood(Temperament.Balanced);
            Assert.Throws<System.ArgumentOutOfRangeException>(() => mood.Raise(MoodEvent.Settled));
        }

        [Test]
        public void ToMermaid_DrawsTheMoodsGroupsAndGuardDescriptions()
        {
            var graph = new NpcMood(Temperament.Balanced).ToMermaid();

            Assert.That(graph, Does.StartWith("stateDiagram-v2"));
            Assert.That(graph, Does.Contain("Hostile").And.Contain("Distressed").And.Contain("AtEase"));
            Assert.That(graph, Does.Contain("hot-tempered: insults go straight to anger"));
            Assert.That(graph, Does.Contain("Insulted"));
        }

        [Test]
        public void ToDot_DrawsAGraphvizDigraph()
        {
            var graph = new NpcMood(Temperament.Balanced).ToDot();

            Assert.That(graph, Does.Contain("digraph"));
            Assert.That(graph, Does.Contain("Angry").And.Contain("CooledDown"));
        }
    }
}
