using System;
using System.Collections.Generic;
using NUnit.Framework;
using SteerLM.Npc.Internal;

namespace SteerLM.Npc.Tests.Internal
{
    public class JsonTests
    {
        [Test]
        public void Parse_ReadsObjectsArraysNumbersStringsAndLiterals()
        {
            var value = Json.Parse("{\"a\": [1, -2.5e1, \"x\\n\\u00e9\"], \"b\": true, \"c\": null, \"d\": {}}", "test");

            var map = (Dictionary<string, object?>)value!;
            var list = (object?[])map["a"]!;
            Assert.That(list[0], Is.EqualTo(1L));
            Assert.That(list[1], Is.EqualTo(-25.0));
            Assert.That(list[2], Is.EqualTo("x\né"));
            Assert.That(map["b"], Is.EqualTo(true));
            Assert.That(map["c"], Is.Null);
            Assert.That(map["d"], Is.InstanceOf<Dictionary<string, object?>>());
        }

        [TestCase("{\"a\": [1, 2", "end of the text")]
        [TestCase("{\"a\": 1,}", "property name")]
        [TestCase("{a: 1}", "property name")]
        [TestCase("[1 2]", "expected ']'")]
        [TestCase("{\"a\": tru}", "expected a value")]
        [TestCase("{\"a\": \"unterminated}", "unterminated string")]
        [TestCase("{} {}", "after the JSON value")]
        [TestCase("{\"a\": 01x}", "")]
        public void Parse_OfMalformedJson_SaysWhatAndWhere(string text, string expected)
        {
            var error = Assert.Throws<FormatException>(() => Json.Parse(text, "card.json"));
            Assert.That(error!.Message, Does.StartWith("card.json: not valid JSON").And.Contain("line 1, column").And.Contain(expected));
        }

        [Test]
        public void Parse_OfDeeplyNestedArrays_IsRefusedInsteadOfOverflowingTheStack()
        {
            var text = new string('[', 10000) + new string(']', 10000);
            var error = Assert.Throws<FormatException>(() => Json.Parse(text, "x"));
            Assert.That(error!.Message, Does.Contain("nesting"));
        }

        [Test]
        public void Writer_OutputParsesBackToTheSameValues()
        {
            var text = new Json.Writer().BeginObject().String("name", "a \"quoted\"\nline").Number("n", 3L).Number("x", 0.5)
                .Bool("b", false).BeginArray("list").String(null, "one").Number(null, 2L).EndArray().EndObject().ToString();

            var map = (Dictionary<string, object?>)Json.Parse(text, "written")!;
            Assert.That(map["name"], Is.EqualTo("a \"quoted\"\nline"));
            Assert.That(map["n"], Is.EqualTo(3L));
            Assert.That(map["x"], Is.EqualTo(0.5));
            Assert.That(map["b"], Is.EqualTo(false));
            Assert.That((object?[])map["list"]!, Is.EqualTo(new object[] { "one", 2L }));
        }
    }
}
