#nullable enable

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
        [TestCase("{\"a\": 01x}", "leading zeros")]
        [TestCase("[007]", "leading zeros")]
        [TestCase("[-01]", "leading zeros")]
        [TestCase("[1.]", "a digit after the decimal point")]
        [TestCase("[1.e5]", "a digit after the decimal point")]
        [TestCase("[1e]", "a digit in the exponent")]
        [TestCase("[1e+]", "a digit in the exponent")]
        [TestCase("[-]", "a digit in the number")]
        [TestCase("[-x]", "a digit in the number")]
        [TestCase("{\"a\": 1, \"b\": 2, \"a\": 3}", "the key \"a\" appears twice")]
        [TestCase("[\"\\u 0e9\"]", "exactly four hex digits")]
        [TestCase("[\"\\u00e\"]", "exactly four hex digits")]
        [TestCase("[\"\\u00g9\"]", "exactly four hex digits")]
        [TestCase("[\"\\u+0e9\"]", "exactly four hex digits")]
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

        [Test]
        public void Parse_OfADuplicateKey_PointsAtTheSecondOne()
        {
            var error = Assert.Throws<FormatException>(() => Json.Parse("{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}", "card.json"));
            Assert.That(error!.Message, Does.Contain("\"name\" appears twice").And.Contain("line 3, column 3"));
        }

        [Test]
        public void Parse_OfNumbersRfc8259Allows_ReadsThem()
        {
            var list = (object?[])Json.Parse("[0, -0, 10, 0.5, -0.5e-3, 1E+2, 120]", "test")!;
            Assert.That(list, Is.EqualTo(new object[] { 0L, 0L, 10L, 0.5, -0.0005, 100.0, 120L }));
        }

        [Test]
        public void Parse_SkipsALeadingByteOrderMark()
        {
            var map = (Dictionary<string, object?>)Json.Parse("\uFEFF{\"a\": 1}", "test")!;
            Assert.That(map["a"], Is.EqualTo(1L));
        }

        [Test]
        public void Parse_OfAByteOrderMarkAnywhereElse_IsRefused()
        {
            Assert.Throws<FormatException>(() => Json.Parse("{\"a\": \uFEFF1}", "test"));
        }

    }
}
