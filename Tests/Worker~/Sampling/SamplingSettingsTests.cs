using System;
using NUnit.Framework;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Tests.Sampling
{
    [TestFixture]
    public class SamplingSettingsTests
    {
        [Test]
        public void TheDefaults_AreModerateSamplingWithoutAFixedSeed()
        {
            SamplingSettings settings = SamplingSettings.Default;

            Assert.That(settings.Temperature, Is.EqualTo(0.7f));
            Assert.That(settings.TopK, Is.EqualTo(40));
            Assert.That(settings.TopP, Is.EqualTo(0.9f));
            Assert.That(settings.RepetitionPenalty, Is.EqualTo(1.1f));
            Assert.That(settings.RepetitionWindow, Is.EqualTo(64));
            Assert.That(settings.Seed, Is.Null);
            Assert.That(settings.IsGreedy, Is.False);
            Assert.That(SamplingSettings.Greedy.IsGreedy, Is.True);
        }

        [Test]
        public void EachWithMethod_ChangesOneSettingInACopy()
        {
            SamplingSettings original = SamplingSettings.Default;

            SamplingSettings changed = original.WithTemperature(1.2f).WithTopK(5).WithTopP(0.5f).WithRepetitionPenalty(1.3f).WithRepetitionWindow(8).WithSeed(99);

            Assert.That(changed.Temperature, Is.EqualTo(1.2f));
            Assert.That(changed.TopK, Is.EqualTo(5));
            Assert.That(changed.TopP, Is.EqualTo(0.5f));
            Assert.That(changed.RepetitionPenalty, Is.EqualTo(1.3f));
            Assert.That(changed.RepetitionWindow, Is.EqualTo(8));
            Assert.That(changed.Seed, Is.EqualTo(99UL));
            Assert.That(original, Is.EqualTo(new SamplingSettings()));
        }

        [Test]
        public void SettingsWithTheSameValues_AreEqual()
        {
            Assert.That(SamplingSettings.Default.WithSeed(3), Is.EqualTo(new SamplingSettings(seed: 3)));
            Assert.That(SamplingSettings.Default.WithSeed(3), Is.Not.EqualTo(new SamplingSettings(seed: 4)));
        }

        [Test]
        public void TheEdgesOfEachRange_AreAccepted()
        {
            Assert.DoesNotThrow(() => new SamplingSettings(temperature: 0f, topK: 0, topP: 1f, repetitionPenalty: 0.01f, repetitionWindow: 0));
            Assert.DoesNotThrow(() => new SamplingSettings(topP: 1e-6f, repetitionPenalty: 100f));
        }

        [TestCase("Temperature", -0.1f, "finite number >= 0")]
        [TestCase("Temperature", float.NaN, "finite number >= 0")]
        [TestCase("Temperature", float.PositiveInfinity, "finite number >= 0")]
        [TestCase("TopP", 0f, "(0, 1]")]
        [TestCase("TopP", 1.5f, "(0, 1]")]
        [TestCase("TopP", float.NaN, "(0, 1]")]
        [TestCase("RepetitionPenalty", 0f, "finite number > 0")]
        [TestCase("RepetitionPenalty", -1f, "finite number > 0")]
        [TestCase("RepetitionPenalty", float.PositiveInfinity, "finite number > 0")]
        public void AnOutOfRangeNumber_ThrowsNamingTheSettingTheValueAndTheRange(string setting, float value, string range)
        {
            TestDelegate change = setting switch
            {
                "Temperature" => () => SamplingSettings.Default.WithTemperature(value),
                "TopP" => () => SamplingSettings.Default.WithTopP(value),
                _ => () => SamplingSettings.Default.WithRepetitionPenalty(value),
            };

            var error = Assert.Throws<ArgumentOutOfRangeException>(change);

            Assert.That(error!.Message, Does.Contain("SamplingSettings." + setting).And.Contain(range).And.Contain(value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        [Test]
        public void ANegativeTopK_ThrowsNamingTheSettingTheValueAndTheRange()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => SamplingSettings.Default.WithTopK(-3));

            Assert.That(error!.Message, Does.Contain("SamplingSettings.TopK is -3").And.Contain(">= 0"));
            Assert.That(error.ParamName, Is.EqualTo("topK"));
        }

        [Test]
        public void ANegativeRepetitionWindow_ThrowsNamingTheSettingTheValueAndTheRange()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingSettings(repetitionWindow: -1));

            Assert.That(error!.Message, Does.Contain("SamplingSettings.RepetitionWindow is -1").And.Contain(">= 0"));
        }
    }
}
