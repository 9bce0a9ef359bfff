using System;
using System.Collections.Generic;
using NUnit.Framework;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Characters
{
    public class AttributeMapperTests
    {
        private static NpcProfile Innkeeper() => new NpcProfile("marta", new Persona("Marta", "innkeeper"),
            new Dictionary<string, int> { ["humor"] = 2, ["helpfulness"] = 4, ["formality"] = 1 });

        [Test]
        public void Map_AtRest_GivesTheProfileBaselineAndSchemaDefaults()
        {
            var values = AttributeMapper.Default.Map(Innkeeper(), Mood.Calm, 0f);

            Assert.That(values.ToAttributeString(),
                Is.EqualTo("humor:2,toxicity:0,helpfulness:4,formality:1,verbosity:2,joy:1,anger:0,fear:0,sadness:0"));
        }

        [Test]
        public void Map_WhenAngry_RaisesAngerAndToxicityWithIntensity()
        {
            var mild = AttributeMapper.Default.Map(Innkeeper(), Mood.Angry, 0.3f);
            var strong = AttributeMapper.Default.Map(Innkeeper(), Mood.Angry, 1f);

            Assert.That(strong["anger"], Is.EqualTo(4));
            Assert.That(strong["toxicity"], Is.EqualTo(3));
            Assert.That(mild["anger"], Is.LessThan(strong["anger"]));
            Assert.That(strong["helpfulness"], Is.LessThan(mild["helpfulness"]));
        }

        [Test]
        public void Map_ClampsToTheSchemaRange()
        {
            var values = AttributeMapper.Default.Map(Innkeeper(), Mood.Amused, 1f);
            Assert.That(values["humor"], Is.EqualTo(4), "2 + 3 is clamped to the maximum 4");
        }

        [Test]
        public void Map_NeverExceedsTheProfilesLimits()
        {
            var forChildren = Innkeeper().WithLimits(AttributeLimits.None.WithMaximum("toxicity", 1).WithMaximum("anger", 2));

            var values = AttributeMapper.Default.Map(forChildren, Mood.Angry, 1f);

            Assert.That(values["toxicity"], Is.EqualTo(1));
            Assert.That(values["anger"], Is.EqualTo(2));
        }

        [Test]
        public void Map_ToNvidiasSchema_KeepsSharedAttributesAndDropsEmotions()
        {
            var values = AttributeMapper.Default.Map(Innkeeper(), Mood.Angry, 1f, AttributeSchemas.SteerLM);

            Assert.That(values.Schema, Is.SameAs(AttributeSchemas.SteerLM));
            Assert.That(values["toxicity"], Is.EqualTo(3));
            Assert.That(values["helpfulness"], Is.EqualTo(2));
            Assert.That(values["quality"], Is.EqualTo(4), "attributes the profile does not set take the model schema's default");
        }

        [Test]
        public void Map_IsDeterministic()
        {
            var a = AttributeMapper.Default.Map(Innkeeper(), Mood.Sad, 0.55f);
            var b = AttributeMapper.Default.Map(Innkeeper(), Mood.Sad, 0.55f);
            Assert.That(a.ToAttributeString(), Is.EqualTo(b.ToAttributeString()));
        }

        [Test]
        public void Map_WithIntensityOutsideZeroToOne_IsRefused()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => AttributeMapper.Default.Map(Innkeeper(), Mood.Sad, 1.5f));
            Assert.That(error!.Message, Does.Contain("1.5").And.Contain("0..1"));
        }
    }
}
