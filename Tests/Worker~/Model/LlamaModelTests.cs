using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    [TestFixture]
    public sealed class LlamaModelTests
    {
        private static string[] HuggingFaceNames(int layers, bool tied, bool score, bool scoreBias)
        {
            var names = new System.Collections.Generic.List<string> { "model.embed_tokens.weight" };
            for (int i = 0; i < layers; i++)
            {
                string p = $"model.layers.{i}.";
                names.AddRange(new[]
                {
                    p + "input_layernorm.weight",
                    p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight", p + "self_attn.o_proj.weight",
                    p + "post_attention_layernorm.weight",
                    p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight",
                });
            }
            names.Add("model.norm.weight");
            if (!tied)
            {
                names.Add("lm_head.weight");
            }
            if (score)
            {
                names.Add("score.weight");
                if (scoreBias)
                {
                    names.Add("score.bias");
                }
            }
            return names.ToArray();
        }

        [Test]
        public void StateDict_WithTiedEmbeddings_HasExactlyHuggingFacesNames()
        {
            using var model = new LlamaModel(LlamaConfig.Tiny, device: torch.CPU);

            Assert.That(model.state_dict().Keys, Is.EquivalentTo(HuggingFaceNames(4, tied: true, score: false, scoreBias: false)));
        }

        [Test]
        public void StateDict_WithAnUntiedHeadAndAnApmHead_AddsLmHeadAndScore()
        {
            LlamaConfig config = TestModels.Micro.WithAttributes(new[] { "quality", "toxicity", "humor" }, scoreBias: true);
            using var model = new LlamaModel(config, device: torch.CPU);

            Assert.That(model.state_dict().Keys, Is.EquivalentTo(HuggingFaceNames(2, tied: false, score: true, scoreBias: true)));
            Assert.That(model.state_dict()["score.weight"].shape, Is.EqualTo(new long[] { 3, 32 }));
            Assert.That(model.state_dict()["model.layers.1.self_attn.k_proj.weight"].shape, Is.EqualTo(new long[] { 16, 32 }));
        }

        [Test]
        public void ParameterCounts_OfThePresets_AreAboutOneAndTenMillion()
        {
            using var tiny = new LlamaModel(LlamaConfig.Tiny, device: torch.CPU);
            using var small = new LlamaModel(LlamaConfig.Small, device: torch.CPU);

            Assert.That(tiny.ParameterCount(), Is.InRange(1_000_000, 2_000_000));
            Assert.That(small.ParameterCount(), Is.InRange(9_500_000, 11_000_000));
            Assert.That(small.ParameterCount(), Is.EqualTo(LlamaConfig.Small.ParameterCount()));
        }

        [Test]
        public void FreshModels_WithTheSameSeed_HaveTheSameWeights_DrawnWithStd002()
        {
            using var a = new LlamaModel(TestModels.Micro, device: torch.CPU, seed: 3);
            using var b = new LlamaModel(TestModels.Micro, device: torch.CPU, seed: 3);
            using var c = new LlamaModel(TestModels.Micro, device: torch.CPU, seed: 4);
            Tensor wa = a.state_dict()["model.embed_tokens.weight"];

            Assert.That(TestModels.MaxDifference(wa, b.state_dict()["model.embed_tokens.weight"]), Is.EqualTo(0));
            Assert.That(TestModels.MaxDifference(wa, c.state_dict()["model.embed_tokens.weight"]), Is.GreaterThan(0));
            Assert.That(wa.std().item<float>(), Is.EqualTo(0.02).Within(0.002));
            Assert.That(a.state_dict()["model.norm.weight"].min().item<float>(), Is.EqualTo(1f));
        }

        [Test]
        public void Logits_MatchAPlainReimplementationOfHuggingFacesLlama()
        {
            using var model = TestModels.Sharp(TestModels.Micro);
            long[] ids = { 5, 17, 3, 60, 22, 9, 41 };
            double[][] expected = new ReferenceLlama(model).Logits(ids);

            using DisposeScope scope = torch.NewDisposeScope();
            using var inference = torch.inference_mode();
            Tensor logits = model.FullForward(torch.tensor(ids, new long[] { 1, ids.Length }));  // (1, T, V)

            Assert.That(logits.shape, Is.EqualTo(new long[] { 1, ids.Length, 64 }));
            Tensor reference = torch.tensor(expected.SelectMany(row => row).ToArray(), new long[] { 1, ids.Length, 64 });
            Assert.That(reference.abs().max().item<double>(), Is.GreaterThan(1.0), "the check needs logits far from zero");
            Assert.That(TestModels.MaxDifference(logits, reference), Is.LessThan(1e-4));
        }

        [Test]
        public void Logits_WithTiedEmbeddingsAndOneKeyValueHeadPerQueryHead_MatchTheReimplementation()
        {
            LlamaConfig config = TestModels.Micro with { TieWordEmbeddings = true, NumKeyValueHeads = null, RopeTheta = 500000 };
            using var model = TestModels.Sharp(config);
            long[] ids = { 1, 2, 3, 4, 5 };
            double[][] expected = new ReferenceLlama(model).Logits(ids);

            using DisposeScope scope = torch.NewDisposeScope();
            Tensor logits = model.FullForward(torch.tensor(ids, new long[] { 1, ids.Length }));
            Tensor reference = torch.tensor(expected.SelectMany(row => row).ToArray(), new long[] { 1, ids.Length, 64 });

            Assert.That(TestModels.MaxDifference(logits, reference), Is.LessThan(1e-4));
        }

        [Test]
        public void SaveThenLoad_GivesTheSameWeightsAndLogits()
        {
            using var folder = new TempFolder();
            using var model = TestModels.Sharp(TestModels.Micro.WithAttributes(new[] { "a", "b" }));
            model.Save(folder.Path);

            using var loaded = LlamaModel.Load(folder.Path, device: torch.CPU);

            Assert.That(loaded.Config.NumAttributes, Is.EqualTo(2));
            Assert.That(loaded.Config.SteerLM!.AttributeNames, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(loaded.DType, Is.EqualTo(ScalarType.Float32));
            foreach ((string name, Tensor tensor) in model.state_dict())
            {
                Assert.That(TestModels.MaxDifference(tensor, loaded.state_dict()[name]), Is.EqualTo(0), name);
            }
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(6, 64, seed: 1);
            Assert.That(TestModels.MaxDifference(model.FullForward(ids), loaded.FullForward(ids)), Is.EqualTo(0));
        }

        [Test]
        public void Load_OfAShardedCheckpoint_ReadsEveryShard()
        {
            using var folder = new TempFolder();
            using var model = TestModels.Sharp(TestModels.Micro);
            model.Save(folder.Path);
            var weights = Safetensors.Load(folder.File("model.safetensors"));
            File.Delete(folder.File("model.safetensors"));
            var first = weights.Where(p => p.Key.StartsWith("model.layers.0.", StringComparison.Ordinal)).ToList();
            var rest = weights.Except(first).ToList();
            Safetensors.Save(folder.File("model-00001-of-00002.safetensors"), first);
            Safetensors.Save(folder.File("model-00002-of-00002.safetensors"), rest);
            string map = string.Join(",", first.Select(p => $"\"{p.Key}\": \"model-00001-of-00002.safetensors\"")
                .Concat(rest.Select(p => $"\"{p.Key}\": \"model-00002-of-00002.safetensors\"")));
            File.WriteAllText(folder.File("model.safetensors.index.json"), "{\"metadata\": {}, \"weight_map\": {" + map + "}}");

            using var loaded = LlamaModel.Load(folder.Path, device: torch.CPU);

            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(5, 64, seed: 8);
            Assert.That(TestModels.MaxDifference(model.FullForward(ids), loaded.FullForward(ids)), Is.EqualTo(0));
        }

        [TestCase(ScalarType.BFloat16, 0.25)]
        [TestCase(ScalarType.Float16, 0.05)]
        public void LoadingInAHalfPrecisionType_GivesLogitsCloseToFloat32(ScalarType dtype, double tolerance)
        {
            using var folder = new TempFolder();
            using var model = TestModels.Sharp(TestModels.Micro, scale: 2f);
            model.Save(folder.Path);

            using var half = LlamaModel.Load(folder.Path, dtype, torch.CPU);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(8, 64, seed: 2);
            Tensor full = half.FullForward(ids);

            Assert.That(half.DType, Is.EqualTo(dtype));
            Assert.That(full.dtype, Is.EqualTo(ScalarType.Float32), "logits come back in float32");
            Assert.That(TestModels.MaxDifference(full, model.FullForward(ids)), Is.LessThan(tolerance));
            using var cache = KvCache.For(half, maxBatch: 1, maxSequence: 16);
            Tensor cached = half.Forward(ids, cache);
            Assert.That(TestModels.MaxDifference(cached, full), Is.LessThan(tolerance));
        }

        [Test]
        public void SavingInBFloat16_WritesTheTypeIntoTheConfig_AndLoadsBackAsBFloat16()
        {
            using var folder = new TempFolder();
            using var model = new LlamaModel(TestModels.Micro, ScalarType.BFloat16, torch.CPU);
            model.Save(folder.Path);

            Assert.That(LlamaConfig.Load(folder.File("config.json")).TorchDtype, Is.EqualTo("bfloat16"));
            using var loaded = LlamaModel.Load(folder.Path, device: torch.CPU);
            Assert.That(loaded.DType, Is.EqualTo(ScalarType.BFloat16));
        }

        [Test]
        public void Loading_AFileWithAWrongShape_RaisesAnErrorNamingTheTensorAndBothShapes()
        {
            using var folder = new TempFolder();
            using (var model = new LlamaModel(TestModels.Micro, device: torch.CPU))
            {
                model.Save(folder.Path);
            }
            var weights = Safetensors.Load(folder.File("model.safetensors"));
            weights["model.layers.1.mlp.up_proj.weight"] = torch.zeros(40, 32);
            Safetensors.Save(folder.File("model.safetensors"), weights);

            var error = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(folder.Path, device: torch.CPU));

            Assert.That(error!.Message, Does.Contain("model.layers.1.mlp.up_proj.weight"));
            Assert.That(error.Message, Does.Contain("[40, 32]").And.Contain("[48, 32]"));
            Assert.That(error.Message, Does.Contain("model.safetensors"));
        }

        [Test]
        public void Loading_AFileWithAMissingTensor_RaisesAnErrorNamingTheTensor()
        {
            using var folder = new TempFolder();
            using (var model = new LlamaModel(TestModels.Micro, device: torch.CPU))
            {
                model.Save(folder.Path);
            }
            var weights = Safetensors.Load(folder.File("model.safetensors"));
            weights.Remove("model.layers.0.self_attn.v_proj.weight");
            Safetensors.Save(folder.File("model.safetensors"), weights);

            var error = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(folder.Path, device: torch.CPU));

            Assert.That(error!.Message, Does.Contain("missing tensor 'model.layers.0.self_attn.v_proj.weight'"));
            Assert.That(error.Message, Does.Contain("[16, 32]"));
        }

        [Test]
        public void Loading_AFileWithATensorTheConfigDoesNotDescribe_RaisesAnErrorNamingIt()
        {
            using var folder = new TempFolder();
            using (var model = new LlamaModel(TestModels.Micro.WithAttributes(new[] { "a" }), device: torch.CPU))
            {
                model.Save(folder.Path);
            }
            TestModels.Micro.Save(folder.File("config.json"));

            var error = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(folder.Path, device: torch.CPU));

            Assert.That(error!.Message, Does.Contain("unexpected tensor 'score.weight'"));
        }

        [Test]
        public void Loading_ATiedCheckpointThatStillCarriesLmHead_IgnoresIt()
        {
            using var folder = new TempFolder();
            LlamaConfig tied = TestModels.Micro with { TieWordEmbeddings = true };
            using (var model = new LlamaModel(tied, device: torch.CPU))
            {
                model.Save(folder.Path);
            }
            var weights = Safetensors.Load(folder.File("model.safetensors"));
            weights["lm_head.weight"] = weights["model.embed_tokens.weight"].clone();
            weights["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4);
            Safetensors.Save(folder.File("model.safetensors"), weights);

            Assert.That(() => LlamaModel.Load(folder.Path, device: torch.CPU).Dispose(), Throws.Nothing);
        }

        [Test]
        public void ApmHead_GivesOneValuePerAttributePerSequence()
        {
            using var model = TestModels.Sharp(TestModels.Micro.WithAttributes(new[] { "quality", "toxicity", "humor", "creativity" }));
            using DisposeScope scope = torch.NewDisposeScope();

            Tensor scores = model.Score(TestModels.Tokens(7, 64, seed: 3, batch: 3));

            Assert.That(scores.shape, Is.EqualTo(new long[] { 3, 4 }));
            Assert.That(scores.dtype, Is.EqualTo(ScalarType.Float32));
        }

        [Test]
        public void ApmHead_ReadsEachSequencesLastRealToken_SoPaddingAfterItChangesNothing()
        {
            using var model = TestModels.Sharp(TestModels.Micro.WithAttributes(new[] { "quality", "toxicity" }, scoreBias: true));
            using DisposeScope scope = torch.NewDisposeScope();
            long[] shortRow = { 4, 8, 15 };
            long[] longRow = { 16, 23, 42, 5, 6 };
            Tensor padded = torch.tensor(new long[] { 4, 8, 15, 0, 0, 16, 23, 42, 5, 6 }, new long[] { 2, 5 });
            Tensor otherPadding = torch.tensor(new long[] { 4, 8, 15, 61, 33, 16, 23, 42, 5, 6 }, new long[] { 2, 5 });

            Tensor batched = model.Score(padded, new long[] { 3, 5 });
            Tensor alone = model.Score(torch.tensor(shortRow, new long[] { 1, 3 }));
            Tensor longAlone = model.Score(torch.tensor(longRow, new long[] { 1, 5 }));

            Assert.That(TestModels.MaxDifference(batched[0], alone[0]), Is.LessThan(1e-5));
            Assert.That(TestModels.MaxDifference(batched[1], longAlone[0]), Is.LessThan(1e-5));
            Assert.That(TestModels.MaxDifference(model.Score(otherPadding, new long[] { 3, 5 }), batched), Is.LessThan(1e-5));
            Assert.That(TestModels.MaxDifference(model.Score(padded), batched), Is.GreaterThan(1e-3), "without lengths the padding is read");
        }

        [Test]
        public void ApmHead_OnAModelWithoutOne_RaisesAnErrorSayingSo()
        {
            using var model = new LlamaModel(TestModels.Micro, device: torch.CPU);
            using DisposeScope scope = torch.NewDisposeScope();

            Assert.That(() => model.Score(TestModels.Tokens(3, 64, seed: 1)),
                Throws.InvalidOperationException.With.Message.Contains("num_attributes"));
        }

        [Test]
        public void Training_ThroughFullForward_GivesGradientsToEveryParameter()
        {
            using var model = new LlamaModel(TestModels.Micro.WithAttributes(new[] { "a" }), device: torch.CPU);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(6, 64, seed: 5, batch: 2);

            Tensor logits = model.FullForward(ids);
            Tensor loss = nn.functional.cross_entropy(logits.view(-1, 64), ids.view(-1)) + model.Score(ids).sum();
            loss.backward();

            foreach ((string name, TorchSharp.Modules.Parameter parameter) in model.named_parameters())
            {
                Assert.That(parameter.grad, Is.Not.Null, name);
                Assert.That(parameter.grad!.abs().sum().item<float>(), Is.GreaterThan(0), name);
            }
        }

        [Test]
        public void Training_AfterAPassInInferenceMode_StillWorks()
        {
            using var model = new LlamaModel(TestModels.Micro, device: torch.CPU);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor ids = TestModels.Tokens(6, 64, seed: 6);
            using (torch.inference_mode())
            {
                using var cache = KvCache.For(model, maxBatch: 1, maxSequence: 8);
                model.Forward(ids, cache);
            }

            Tensor loss = nn.functional.cross_entropy(model.FullForward(ids).view(-1, 64), ids.view(-1));

            Assert.That(() => loss.backward(), Throws.Nothing);
        }

        [Test]
        public void DefaultDevice_WithoutAGpu_IsTheCpu()
        {
            Assert.That(LlamaModel.DefaultDevice.type, Is.EqualTo(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU));
        }
    }
}
