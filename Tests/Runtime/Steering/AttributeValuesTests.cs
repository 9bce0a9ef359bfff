#nullable enable

using System;
using NUnit.Framework;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Steering
{
    public class AttributeValuesTests
    {
        [Test]
        public void Parse_OfSomeNames_FillsTheRestWithDefaultsInSchemaOrder()
        {
            var values = AttributeValues.Parse(AttributeSchemas.Npc, "anger:4, humor:0");

            Assert.That(values["anger"], Is.EqualTo(4));
            Assert.That(values["humor"], Is.EqualTo(0));
            Assert.That(values.ToAttributeString(),
                Is.EqualTo("humor:0,toxicity:0,helpfulness:3,formality:2,verbosity:2,joy:1,anger:4,fear:0,sadness:0"));
        }

        [Test]
        public void Parse_OfAMisspeltName_ListsTheNamesThatExistAndSuggestsOne()
        {
            var error = Assert.Throws<ArgumentException>(() => AttributeValues.Parse(AttributeSchemas.Npc, "humour:3"));

            Assert.That(error!.Message, Does.Contain("'humour'").And.Contain("did you mean 'humor'"));
            Assert.That(error.Message, Does.Contain("humor, toxicity, helpfulness, formality, verbosity, joy, anger, fear, sadness"));
        }

        [Test]
        public void Parse_OfAnOutOfRangeValue_NamesAttributeValueAndRange()
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => AttributeValues.Parse(AttributeSchemas.Npc, "toxicity:9"));
            Assert.That(error!.Message, Does.Contain("toxicity").And.Contain("9").And.Contain("0..4"));
        }

        [Test]
        public void Parse_OfANonNumber_SaysWhatItTakes()
        {
            var error = Assert.Throws<FormatException>(() => AttributeValues.Parse(AttributeSchemas.Npc, "joy:lots"));
            Assert.That(error!.Message, Does.Contain("joy").And.Contain("'lots'").And.Contain("whole number 0..4"));
        }

        [TestCase("humor")]
        [TestCase("humor:")]
        [TestCase(":3")]
        [TestCase("humor:1:2")]
        public void Parse_OfAMalformedPair_ShowsThePair(string text)
        {
            var error = Assert.Throws<FormatException>(() => AttributeValues.Parse(AttributeSchemas.Npc, text));
            Assert.That(error!.Message, Does.Contain("name:value"));
        }

        [Test]
        public void Parse_OfANameGivenTwice_Refuses()
        {
            var error = Assert.Throws<ArgumentException>(() => AttributeValues.Parse(AttributeSchemas.Npc, "joy:1,joy:2"));
            Assert.That(error!.Message, Does.Contain("'joy'").And.Contain("twice"));
        }

        [Test]
        public void Parse_WithRequireAll_NamesTheMissingAttribute()
        {
            var error = Assert.Throws<FormatException>(() => AttributeValues.Parse(AttributeSchemas.SteerLM, "quality:4", requireAll: true));
            Assert.That(error!.Message, Does.Contain("'toxicity'"));
        }

        [Test]
        public void With_OfAnUnknownName_IsAnErrorNeverASilentDefault()
        {
            var values = AttributeSchemas.SteerLM.Defaults();
            Assert.Throws<ArgumentException>(() => values.With("anger", 2));
        }

        [Test]
        public void ToAttributeString_ThenParse_GivesEqualValues()
        {
            var values = AttributeSchemas.Npc.Defaults().With("fear", 3).With("verbosity", 0);
            Assert.That(AttributeValues.Parse(AttributeSchemas.Npc, values.ToAttributeString(), requireAll: true), Is.EqualTo(values));
        }
    }
}
