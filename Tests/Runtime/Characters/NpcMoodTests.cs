#nullable enable

using System;
using System.Collections.Generic;
using NUnit.Framework;
using SteerLM.Npc.Characters;

namespace SteerLM.Npc.Tests.Characters
{
    public class NpcMoodTests
    {
        private static readonly Temperament[] Temperaments =
        {
            Temperament.Balanced, Temperament.Patient, Temperament.HotTempered, Temperament.Timid, Temperament.Cheerful, Temperament.Melancholic,
        };

        private static readonly MoodEvent[] GameEvents =
        {
            MoodEvent.Greeted, MoodEvent.Complimented, MoodEvent.Joked, MoodEvent.Insulted, MoodEvent.Threatened,
            MoodEvent.Helped, MoodEvent.Gifted, MoodEvent.Attacked, MoodEvent.Ignored,
        };

        private static readonly Mood[] Moods = { Mood.Calm, Mood.Happy, Mood.Amused, Mood.Annoyed, Mood.Angry, Mood.Afraid, Mood.Sad };

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
            Assert.That(mood.Current, Is.EqualTo(Mood.Angry));
            Assert.That(mood.CanBeSoothed, Is.True, "a gift would leave an angry character merely annoyed");
            Assert.That(mood.Current, Is.EqualTo(Mood.Angry), "asking changes nothing");

            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));
            Assert.That(mood.CanBeSoothed, Is.True, "a gift would make an annoyed character happy");
            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Happy));
            Assert.That(mood.CanBeSoothed, Is.False, "a happy character has nothing to be soothed of");
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
        public void SaveAndRestore_ThroughTheSaveBytes_KeepsMoodAndIntensity()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Insult();
            mood.Advance(5);
            var bytes = mood.Save().ToBytes();

            var loaded = new NpcMood(Temperament.HotTempered);
            loaded.Restore(MoodSnapshot.FromBytes(bytes));

            Assert.That(loaded.Current, Is.EqualTo(Mood.Angry));
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

        [Test]
        public void IntentMethods_CalledFromAChangedHandler_RunAfterItAsIfCalledNext()
        {
            var mood = new NpcMood(Temperament.Balanced);
            var reacted = false;
            mood.Changed += change =>
            {
                if (!reacted)
                {
                    reacted = true;
                    mood.Insult();
                    mood.Gift();
                    Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed), "the calls wait until the handler returns");
                }
            };
            var seen = new List<(Mood To, float Intensity)>();
            mood.Changed += change => seen.Add((change.To, change.Intensity));

            mood.Insult();

            var reference = new NpcMood(Temperament.Balanced);
            var expected = new List<(Mood To, float Intensity)>();
            reference.Changed += change => expected.Add((change.To, change.Intensity));
            reference.Insult();
            reference.Insult();
            reference.Gift();
            Assert.That(seen, Is.EqualTo(expected), "every handler sees the changes in order, each with its own event's intensity");
            Assert.That(expected, Has.Count.EqualTo(3));
            Assert.That(mood.Current, Is.EqualTo(reference.Current));
            Assert.That(mood.Intensity, Is.EqualTo(reference.Intensity));
        }

        [Test]
        public void Advance_CalledFromAChangedHandlerOfAnEvent_RunsAfterTheHandler()
        {
            var mood = new NpcMood(Temperament.Balanced);
            var seen = new List<Mood>();
            mood.Changed += change =>
            {
                seen.Add(change.To);
                if (change.To == Mood.Annoyed)
                {
                    mood.Advance(1000);
                }
            };

            mood.Insult();

            Assert.That(seen, Is.EqualTo(new[] { Mood.Annoyed, Mood.Calm }));
            Assert.That(mood.IsResting, Is.True);
            Assert.That(mood.Intensity, Is.EqualTo(0f));
        }

        [Test]
        public void Advance_CalledFromAHandlerOfAChangeAdvanceCaused_IsRefused_AndTheMoodStillWorks()
        {
            var mood = new NpcMood(Temperament.Balanced);
            mood.Insult();
            Action<MoodChange> passTimeAgain = _ => mood.Advance(1);
            mood.Changed += passTimeAgain;

            var error = Assert.Throws<InvalidOperationException>(() => mood.Advance(1000));

            Assert.That(error!.Message, Does.Contain("Advance").And.Contain("Changed handler"));
            mood.Changed -= passTimeAgain;
            mood.Insult();
            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed));
            Assert.DoesNotThrow(() => mood.Advance(1000));
        }

        [Test]
        public void CanBeSoothed_ReadFromAChangedHandler_SeesTheNewMoodAndChangesNothing()
        {
            var mood = new NpcMood(Temperament.Balanced);
            mood.Insult();
            bool? soothable = null;
            var seen = new List<Mood>();
            mood.Changed += change =>
            {
                seen.Add(change.To);
                soothable = mood.CanBeSoothed;
            };

            mood.Insult();

            Assert.That(soothable, Is.True, "an angry character would calm down with a gift");
            Assert.That(seen, Is.EqualTo(new[] { Mood.Angry }));
            Assert.That(mood.Current, Is.EqualTo(Mood.Angry), "asking fired nothing");
        }

        [Test]
        public void Changed_WhenAReactionSettles_ReportsTheRestingIntensity()
        {
            var mood = new NpcMood(Temperament.Balanced);
            var changes = new List<MoodChange>();
            mood.Changed += changes.Add;
            mood.Gift();

            mood.Advance(600);

            Assert.That(changes, Has.Count.EqualTo(2));
            Assert.That(changes[1].To, Is.EqualTo(Mood.Calm));
            Assert.That(changes[1].Cause, Is.EqualTo(MoodEvent.Settled));
            Assert.That(changes[1].Intensity, Is.EqualTo(0f));
        }

        [Test]
        public void Changed_WhenReassuredCalmGivesWayToAGrumpyRest_ReportsTheRestingIntensity()
        {
            var mood = new NpcMood(Temperament.Timid, Mood.Annoyed);
            mood.Attack();
            Assert.That(mood.Current, Is.EqualTo(Mood.Afraid));
            mood.Gift();
            Assert.That(mood.Current, Is.EqualTo(Mood.Calm));
            var changes = new List<MoodChange>();
            mood.Changed += changes.Add;

            mood.Advance(0);

            Assert.That(changes, Has.Count.EqualTo(1));
            Assert.That(changes[0].To, Is.EqualTo(Mood.Annoyed));
            Assert.That(changes[0].Intensity, Is.EqualTo(NpcMood.RestingIntensity));
            Assert.That(mood.Intensity, Is.EqualTo(NpcMood.RestingIntensity));
        }

        [Test]
        public void Restore_OfAMildAnger_ThenAdvance_CoolsItWithoutRaisingTheIntensity()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            mood.Restore(new MoodSnapshot { Mood = Mood.Angry, Intensity = 0.2f });

            mood.Advance(0);

            Assert.That(mood.Current, Is.EqualTo(Mood.Annoyed), "anger below the cool-down threshold cools at once");
            Assert.That(mood.Intensity, Is.EqualTo(0.2f), "and keeps its lower intensity");
        }

        [Test]
        public void EveryGameEvent_InEveryMood_IsHandled_WhereverTheRulesSay_AndTimeThenReturnsToRest()
        {
            var failures = new List<string>();
            foreach (var temperament in Temperaments)
            {
                foreach (var resting in Moods)
                {
                    foreach (var from in Moods)
                    {
                        foreach (var gameEvent in GameEvents)
                        {
                            var mood = new NpcMood(temperament, resting);
                            mood.Restore(new MoodSnapshot { Mood = from, Intensity = 0.5f });
                            try
                            {
                                var predicted = mood.Peek(gameEvent);
                                mood.Raise(gameEvent);
                                if (mood.Current != predicted)
                                {
                                    failures.Add($"{from} + {gameEvent}: the rules say {predicted}, the machine went to {mood.Current}");
                                }

                                mood.Advance(100000);
                                if (!mood.IsResting)
                                {
                                    failures.Add($"{from} + {gameEvent}: still {mood.Current} after a long time (resting mood {resting})");
                                }
                            }
                            catch (InvalidOperationException e)
                            {
                                failures.Add($"{from} + {gameEvent} (resting mood {resting}): {e.Message}");
                            }
                        }
                    }
                }
            }

            Assert.That(failures, Is.Empty);
        }

        [Test]
        public void CanBeSoothed_WhenAtEase_IsFalse([Values(Mood.Calm, Mood.Happy, Mood.Amused)] Mood current)
        {
            foreach (var temperament in Temperaments)
            {
                var mood = new NpcMood(temperament);
                mood.Restore(new MoodSnapshot { Mood = current, Intensity = 0.5f });
                Assert.That(mood.CanBeSoothed, Is.False, $"{current}: nothing to soothe");
            }
        }

        [Test]
        public void CanBeSoothed_WhenHostileOrDistressed_IsTrue([Values(Mood.Annoyed, Mood.Angry, Mood.Afraid, Mood.Sad)] Mood current)
        {
            foreach (var temperament in Temperaments)
            {
                var mood = new NpcMood(temperament);
                mood.Restore(new MoodSnapshot { Mood = current, Intensity = 0.5f });
                Assert.That(mood.CanBeSoothed, Is.True, $"{current}: a gift or help would make it better");
                Assert.That(mood.Current, Is.EqualTo(current), "asking changes nothing");
            }
        }

        [Test]
        public void CanBeSoothed_IsTrueExactlyWhenAComplimentAGiftOrHelpWouldLeaveABetterMood()
        {
            var unease = new Dictionary<Mood, int>
            {
                [Mood.Calm] = 0, [Mood.Happy] = 0, [Mood.Amused] = 0, [Mood.Annoyed] = 1, [Mood.Angry] = 2, [Mood.Afraid] = 2, [Mood.Sad] = 2,
            };
            foreach (var temperament in Temperaments)
            {
                foreach (var resting in Moods)
                {
                    foreach (var current in Moods)
                    {
                        var better = false;
                        foreach (var kindAct in new[] { MoodEvent.Complimented, MoodEvent.Gifted, MoodEvent.Helped })
                        {
                            var trial = new NpcMood(temperament, resting);
                            trial.Restore(new MoodSnapshot { Mood = current, Intensity = 0.5f });
                            trial.Raise(kindAct);
                            better |= unease[trial.Current] < unease[current];
                        }

                        var mood = new NpcMood(temperament, resting);
                        mood.Restore(new MoodSnapshot { Mood = current, Intensity = 0.5f });
                        Assert.That(mood.CanBeSoothed, Is.EqualTo(better), $"{current} (resting {resting})");
                    }
                }
            }
        }

        [Test]
        public void Reset_CalledFromAChangedHandler_RunsAfterTheHandler()
        {
            var mood = new NpcMood(Temperament.HotTempered);
            var seen = new List<Mood>();
            mood.Changed += change =>
            {
                seen.Add(change.To);
                if (change.To == Mood.Angry)
                {
                    mood.Reset();
                }
            };

            mood.Insult();

            Assert.That(seen, Is.EqualTo(new[] { Mood.Angry, Mood.Calm }));
            Assert.That(mood.IsResting, Is.True);
        }
    }
}
