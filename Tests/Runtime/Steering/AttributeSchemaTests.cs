#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Steering
{
    public class AttributeSchemaTests
    {
        [Test]
        public void SteerLMSchema_HasNvidiasAttributesInOrderWithNvidiasDefaults()
        {
            var schema = AttributeSchemas.SteerLM;

            Assert.That(schema.Names, Is.EqualTo(new[]
            {
                "quality", "toxicity", "humor", "creativity", "helpfulness", "correctness", "coherence", "complexity", "verbosity",
            }));
            Assert.That(schema.Defaults().ToAttributeString(),
                Is.EqualTo("quality:4,toxicity:0,humor:0,creativity:0,helpfulness:4,correctness:4,coherence:4,complexity:2,verbosity:2"));
            Assert.That(schema.Attributes.All(a => a.Minimum == 0 && a.Maximum == 4), Is.True);
        }

        [Test]
        public void NpcSchema_CoversToneAndEmotionsWithEveryLevelDescribed()
        {
            var schema = AttributeSchemas.Npc;

            Assert.That(schema.Names, Is.SupersetOf(new[]
            {
                "humor", "toxicity", "helpfulness", "formality", "verbosity", "joy", "anger", "fear", "sadness",
            }));
            foreach (var attribute in schema.Attributes)
            {
                Assert.That(attribute.Levels, Has.Count.EqualTo(5), attribute.Name);
                Assert.That(attribute.Levels, Has.All.Not.Empty, attribute.Name);
                Assert.That(attribute.DescribeLevel(4), Is.EqualTo(attribute.Levels[4]));
            }
        }

        [Test]
        public void Json_RoundTrip_KeepsNamesOrderRangesDefaultsAndLevels()
        {
            var json = AttributeSchemas.Npc.ToJson();
            var back = AttributeSchema.FromJson(json);

            Assert.That(back.Id, Is.EqualTo("npc-v1"));
            Assert.That(back.IsCompatibleWith(AttributeSchemas.Npc), Is.True);
            Assert.That(back.Defaults(), Is.EqualTo(AttributeSchemas.Npc.Defaults()));
            Assert.That(back["anger"].Levels, Is.EqualTo(AttributeSchemas.Npc["anger"].Levels));
            Assert.That(back.ToJson(), Is.EqualTo(json));
        }

        [Test]
        public void Json_WithDifferentOrder_IsNotCompatible()
        {
            var reordered = new AttributeSchema("x", AttributeSchemas.Npc.Attributes.Reverse());
            Assert.That(reordered.IsCompatibleWith(AttributeSchemas.Npc), Is.False);
        }

        [Test]
        public void FromJson_WithAMissingName_NamesTheField()
        {
            var error = Assert.Throws<FormatException>(() =>
                AttributeSchema.FromJson("{\"id\":\"x\",\"attributes\":[{\"min\":0,\"max\":4}]}", "attributes.json"));
            Assert.That(error!.Message, Does.Contain("attributes.json").And.Contain("attributes[0].name"));
        }

        [Test]
        public void FromJson_WithMalformedJson_SaysSo()
        {
            var error = Assert.Throws<FormatException>(() => AttributeSchema.FromJson("{\"id\": \"x\", \"attributes\": [", "attributes.json"));
            Assert.That(error!.Message, Does.Contain("attributes.json").And.Contain("JSON"));
        }

        [Test]
        public void FromJson_WithADefaultOutsideTheRange_NamesAttributeAndRange()
        {
            var error = Assert.Throws<FormatException>(() =>
                AttributeSchema.FromJson("{\"id\":\"x\",\"attributes\":[{\"name\":\"humor\",\"min\":0,\"max\":4,\"default\":7}]}"));
            Assert.That(error!.Message, Does.Contain("humor").And.Contain("7").And.Contain("0..4"));
        }

        [Test]
        public void Constructor_WithADuplicateName_Refuses()
        {
            var a = new AttributeDefinition("humor", 0, 4, 0);
            var error = Assert.Throws<ArgumentException>(() => new AttributeSchema("x", new[] { a, a }));
            Assert.That(error!.Message, Does.Contain("humor").And.Contain("twice"));
        }

        [Test]
        public void AttributeName_WithAComma_IsRefusedBecauseItWouldBreakTheAttributeString()
        {
            var error = Assert.Throws<ArgumentException>(() => new AttributeDefinition("hu,mor", 0, 4, 0));
            Assert.That(error!.Message, Does.Contain("','"));
        }

        [TestCase("min")]
        [TestCase("max")]
        [TestCase("default")]
        public void FromJson_WithoutARangeOrDefaultField_NamesIt(string missing)
        {
            var fields = new[] { "\"name\":\"humor\"", "\"min\":0", "\"max\":4", "\"default\":1" }
                .Where(f => !f.StartsWith("\"" + missing + "\"", StringComparison.Ordinal));
            var json = "{\"id\":\"x\",\"attributes\":[{" + string.Join(",", fields) + "}]}";

            var error = Assert.Throws<FormatException>(() => AttributeSchema.FromJson(json, "attributes.json"));

            Assert.That(error!.Message, Does.Contain($"'attributes[0].{missing}' is missing"));
        }

        [Test]
        public void FromJson_WithAnUnknownAttributeField_NamesItAndListsTheFields()
        {
            var error = Assert.Throws<FormatException>(() => AttributeSchema.FromJson(
                "{\"id\":\"x\",\"attributes\":[{\"name\":\"humor\",\"min\":0,\"max\":4,\"default\":1,\"maximum\":3}]}", "attributes.json"));

            Assert.That(error!.Message, Does.Contain("'attributes[0].maximum'").And.Contain("name, min, max, default, description, levels"));
        }

        [TestCase("4294967300")]
        [TestCase("-2147483649")]
        [TestCase("1e300")]
        public void FromJson_WithANumberBeyondAnInt_IsRefusedRatherThanWrappedAround(string max)
        {
            var json = "{\"id\":\"x\",\"attributes\":[{\"name\":\"humor\",\"min\":0,\"max\":" + max + ",\"default\":0}]}";

            var error = Assert.Throws<FormatException>(() => AttributeSchema.FromJson(json));

            Assert.That(error!.Message, Does.Contain("'attributes[0].max'"));
        }

        [Test]
        public void AttributesAndLevels_CannotBeChangedThroughACast()
        {
            var schema = AttributeSchema.FromJson(AttributeSchemas.Npc.ToJson());
            var humor = schema["humor"];

            Assert.Throws<NotSupportedException>(() => ((IList<AttributeDefinition>)schema.Attributes)[0] = new AttributeDefinition("joy", 0, 4, 0));
            Assert.Throws<NotSupportedException>(() => ((IList<string>)humor.Levels)[0] = "hilarious");
            Assert.That(schema[0].Name, Is.EqualTo("humor"));
            Assert.That(humor.Levels[0], Is.EqualTo(AttributeSchemas.Npc["humor"].Levels[0]));
        }
    }
}
