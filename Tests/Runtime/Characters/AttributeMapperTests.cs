#nullable enable

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

        // Worked by hand from the innkeeper's baseline (humor 2, helpfulness 4, formality 1, the rest the schema's defaults)
        // and the default effects: baseline + effect x intensity, rounded half away from zero, clamped to 0..4.
        [TestCase(Mood.Sad, 0.55f, "humor:1,toxicity:0,helpfulness:4,formality:1,verbosity:1,joy:0,anger:0,fear:0,sadness:2")]
        [TestCase(Mood.Angry, 0.5f, "humor:1,toxicity:2,helpfulness:3,formality:1,verbosity:2,joy:0,anger:2,fear:0,sadness:0")]
        [TestCase(Mood.Happy, 1f, "humor:3,toxicity:0,helpfulness:4,formality:1,verbosity:2,joy:4,anger:0,fear:0,sadness:0")]
        [TestCase(Mood.Afraid, 0.25f, "humor:2,toxicity:0,helpfulness:4,formality:1,verbosity:2,joy:1,anger:0,fear:1,sadness:0")]
        public void Map_GivesTheValuesTheFormulaGives(Mood mood, float intensity, string expected)
        {
            Assert.That(AttributeMapper.Default.Map(Innkeeper(), mood, intensity).ToAttributeString(), Is.EqualTo(expected));
        }

        [Test]
        public void Map_WithIntensityOutsideZeroToOne_IsRefused()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => AttributeMapper.Default.Map(Innkeeper(), Mood.Sad, 1.5f));
            Assert.That(error!.Message, Does.Contain("1.5").And.Contain("0..1"));
        }

        [Test]
        public void Constructor_WithAnEffectNameNoSchemaHas_ListsTheKnownNames()
        {
            var effects = new Dictionary<Mood, IReadOnlyDictionary<string, float>>
            {
                [Mood.Angry] = new Dictionary<string, float> { ["angr"] = 4f },
            };

            var error = Assert.Throws<ArgumentException>(() => new AttributeMapper(effects));

            Assert.That(error!.Message, Does.Contain("Angry.angr").And.Contain("anger").And.Contain("quality").And.Contain("npc-v1"));
        }

        [Test]
        public void Constructor_AcceptsNamesOfEitherSchema_AndMapDropsThoseTheTargetLacks()
        {
            var effects = new Dictionary<Mood, IReadOnlyDictionary<string, float>>
            {
                [Mood.Amused] = new Dictionary<string, float> { ["creativity"] = 4f, ["humor"] = 2f },
            };
            var mapper = new AttributeMapper(effects);

            var npc = mapper.Map(Innkeeper(), Mood.Amused, 1f);
            var nvidia = mapper.Map(Innkeeper(), Mood.Amused, 1f, AttributeSchemas.SteerLM);

            Assert.That(npc.Schema.Contains("creativity"), Is.False, "the NPC schema has no creativity: that effect is dropped");
            Assert.That(npc["humor"], Is.EqualTo(4));
            Assert.That(nvidia["creativity"], Is.EqualTo(4));
        }

        [Test]
        public void Constructor_WithACustomSchema_AcceptsItsNames()
        {
            var sarcasm = new AttributeSchema("studio-v1", new[] { new AttributeDefinition("sarcasm", 0, 4, 0) });
            var effects = new Dictionary<Mood, IReadOnlyDictionary<string, float>>
            {
                [Mood.Annoyed] = new Dictionary<string, float> { ["sarcasm"] = 3f },
            };

            var mapper = new AttributeMapper(effects, new[] { sarcasm });

            var profile = new NpcProfile("x", new Persona("X"), schema: sarcasm);
            Assert.That(mapper.Map(profile, Mood.Annoyed, 1f)["sarcasm"], Is.EqualTo(3));
        }
    }
}
