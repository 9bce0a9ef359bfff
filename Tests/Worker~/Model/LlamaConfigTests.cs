using System.IO;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;

namespace SteerLM.Npc.Worker.Tests.Model
{
    [TestFixture]
    public sealed class LlamaConfigTests
    {
        // TinyLlama-1.1B's config.json, as Hugging Face publishes it (with a list of eos ids, as Llama 3 writes them).
        private const string HuggingFaceConfig = @"{
  ""architectures"": [""LlamaForCausalLM""],
  ""attention_bias"": false,
  ""bos_token_id"": 1,
  ""eos_token_id"": [2, 32000],
  ""hidden_act"": ""silu"",
  ""hidden_size"": 2048,
  ""initializer_range"": 0.02,
  ""intermediate_size"": 5632,
  ""max_position_embeddings"": 2048,
  ""model_type"": ""llama"",
  ""num_attention_heads"": 32,
  ""num_hidden_layers"": 22,
  ""num_key_value_heads"": 4,
  ""pretraining_tp"": 1,
  ""rms_norm_eps"": 1e-05,
  ""rope_scaling"": null,
  ""rope_theta"": 10000.0,
  ""tie_word_embeddings"": false,
  ""torch_dtype"": ""bfloat16"",
  ""transformers_version"": ""4.35.0"",
  ""use_cache"": true,
  ""vocab_size"": 32001
}";

        [Test]
        public void Parse_AHuggingFaceConfig_ReadsItsFields_AndIgnoresOnesItDoesNotNeed()
        {
            LlamaConfig config = LlamaConfig.Parse(HuggingFaceConfig);

            Assert.That(config.VocabSize, Is.EqualTo(32001));
            Assert.That(config.HiddenSize, Is.EqualTo(2048));
            Assert.That(config.IntermediateSize, Is.EqualTo(5632));
            Assert.That(config.NumHiddenLayers, Is.EqualTo(22));
            Assert.That(config.NumAttentionHeads, Is.EqualTo(32));
            Assert.That(config.KeyValueHeads, Is.EqualTo(4));
            Assert.That(config.HeadDim, Is.EqualTo(64));
            Assert.That(config.RmsNormEps, Is.EqualTo(1e-5));
            Assert.That(config.RopeTheta, Is.EqualTo(10000.0));
            Assert.That(config.TieWordEmbeddings, Is.False);
            Assert.That(config.EosTokenIds, Is.EqualTo(new[] { 2, 32000 }));
            Assert.That(config.TorchDtype, Is.EqualTo("bfloat16"));
            Assert.That(config.NumAttributes, Is.EqualTo(0));
            Assert.That(config.ParameterCount(), Is.InRange(1_090_000_000, 1_110_000_000));
        }

        [Test]
        public void AConfigWithoutKeyValueHeads_UsesOnePerQueryHead_AsHuggingFaceDoes()
        {
            LlamaConfig config = LlamaConfig.Parse(@"{""hidden_size"": 64, ""num_attention_heads"": 4, ""vocab_size"": 10, ""eos_token_id"": 2}");

            Assert.That(config.KeyValueHeads, Is.EqualTo(4));
            Assert.That(config.IntermediateSize, Is.EqualTo(11008), "Hugging Face's default");
        }

        [Test]
        public void SaveThenLoad_KeepsEveryField_IncludingTheSteerLMHead()
        {
            using var folder = new TempFolder();
            LlamaConfig config = LlamaConfig.Tiny.WithAttributes(new[] { "quality", "toxicity" }, scoreBias: true)
                .WithSpecialTokens(5, new[] { 6, 7 });

            config.Save(folder.File("config.json"));
            LlamaConfig loaded = LlamaConfig.Load(folder.File("config.json"));

            Assert.That(loaded.ToJson(), Is.EqualTo(config.ToJson()));
            Assert.That(loaded.SteerLM!.AttributeNames, Is.EqualTo(new[] { "quality", "toxicity" }));
            Assert.That(loaded.SteerLM.ScoreBias, Is.True);
            Assert.That(loaded.EosTokenIds, Is.EqualTo(new[] { 6, 7 }));
            Assert.That(File.ReadAllText(folder.File("config.json")), Does.Contain("\"num_key_value_heads\": 2").And.Contain("\"steerlm\""));
        }

        [Test]
        public void ThePresets_AreValid()
        {
            Assert.That(() => LlamaConfig.Tiny.Validate(), Throws.Nothing);
            Assert.That(() => LlamaConfig.Small.Validate(), Throws.Nothing);
        }

        [TestCase(@"""hidden_size"": 100, ""num_attention_heads"": 3", "hidden_size (100) is not divisible by num_attention_heads (3)")]
        [TestCase(@"""num_attention_heads"": 6, ""num_key_value_heads"": 4, ""hidden_size"": 96", "num_attention_heads (6) is not divisible by num_key_value_heads (4)")]
        [TestCase(@"""vocab_size"": 0", "vocab_size (0) must be greater than 0")]
        [TestCase(@"""torch_dtype"": ""int8""", "torch_dtype (\"int8\") is not supported")]
        [TestCase(@"""architectures"": [""MistralForCausalLM""]", "architectures ([MistralForCausalLM])")]
        [TestCase(@"""rope_scaling"": {""rope_type"": ""llama3"", ""factor"": 8.0}", "rope_scaling")]
        [TestCase(@"""hidden_act"": ""gelu""", "hidden_act (\"gelu\") is not supported")]
        [TestCase(@"""eos_token_id"": 99", "eos_token_id (99) is outside the vocabulary (vocab_size 10)")]
        [TestCase(@"""steerlm"": {""num_attributes"": 3, ""attribute_names"": [""a""]}", "steerlm.attribute_names has 1 names but steerlm.num_attributes is 3")]
        public void AnInvalidConfig_RaisesAnErrorNamingTheFieldAndValue(string fields, string expected)
        {
            string json = "{\"vocab_size\": 10, \"hidden_size\": 64, \"num_attention_heads\": 4, \"bos_token_id\": 1, \"eos_token_id\": 2, " + fields + "}";
            json = json.Replace("\"vocab_size\": 10, \"hidden_size\": 64, \"num_attention_heads\": 4, \"bos_token_id\": 1, \"eos_token_id\": 2, \"vocab_size\": 0",
                "\"vocab_size\": 0, \"hidden_size\": 64, \"num_attention_heads\": 4, \"bos_token_id\": null, \"eos_token_id\": []");

            Assert.That(() => LlamaConfig.Parse(json, "model/config.json"),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains(expected).And.Message.StartsWith("model/config.json: "));
        }

        [Test]
        public void AMissingConfigFile_RaisesAnErrorNamingThePath()
        {
            Assert.That(() => LlamaConfig.Load("/nonexistent/model/config.json"),
                Throws.InstanceOf<FileNotFoundException>().With.Message.Contains("/nonexistent/model/config.json"));
        }
    }
}
