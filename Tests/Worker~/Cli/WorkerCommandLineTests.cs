using System;
using System.IO;
using System.Text.Json;
using NUnit.Framework;
using SteerLM.Npc.Worker.Tests.Generation;

namespace SteerLM.Npc.Worker.Tests.Cli
{
    [NonParallelizable]
    public class WorkerCommandLineTests
    {
        private string _scratch = "";

        [SetUp]
        public void MakeScratch()
        {
            _scratch = Path.Combine(Path.GetTempPath(), "steerlm-cli-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_scratch);
        }

        [TearDown]
        public void RemoveScratch() => Directory.Delete(_scratch, recursive: true);

        private string CopyOfTinyModel()
        {
            var copy = Path.Combine(_scratch, "model");
            Directory.CreateDirectory(copy);
            foreach (var file in Directory.GetFiles(TinyModel.Path_))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            return copy;
        }

        [Test]
        public void Init_ThenGenerate_PrintsAReplyAndExitsZero()
        {
            var model = Path.Combine(_scratch, "tiny");
            var init = WorkerProcess.Run("init", "--preset", "tiny", "--out", model, "--seed", "3");
            Assert.That(init.ExitCode, Is.EqualTo(0), init.Error);
            Assert.That(File.Exists(Path.Combine(model, "model.safetensors")), Is.True);
            Assert.That(File.Exists(Path.Combine(model, "attributes.json")), Is.True);
            Assert.That(File.Exists(Path.Combine(model, "MODEL_CARD.md")), Is.True);

            var run = WorkerProcess.Run("generate", "--model", model, "--system", "You are Bram.", "--user", "Ale!",
                "--attributes", "humor:4,toxicity:0", "--max-tokens", "8", "--temperature", "0");

            Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
            Assert.That(run.Error, Does.Match(@"\[humor:4,toxicity:0,[a-z0-9:,]+\] \d+ tokens, (Stop|Length)"));
        }

        [Test]
        public void Generate_WithTheSameSeed_PrintsTheSameText()
        {
            var model = TinyModel.Path_;
            var args = new[] { "generate", "--model", model, "--system", "S", "--user", "Hi", "--max-tokens", "12", "--temperature", "1", "--seed", "9" };
            var one = WorkerProcess.Run(args);
            var two = WorkerProcess.Run(args);
            Assert.That(one.ExitCode, Is.EqualTo(0), one.Error);
            Assert.That(two.Output, Is.EqualTo(one.Output));
        }

        [Test]
        public void Generate_WithAnUnknownAttribute_ExitsTwoAndListsTheNames()
        {
            var run = WorkerProcess.Run("generate", "--model", TinyModel.Path_, "--system", "S", "--user", "Hi", "--attributes", "humour:3");

            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("'humour'").And.Contain("humor, toxicity"));
            Assert.That(run.Error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
        }

        [Test]
        public void Generate_WithAValueOutOfRange_ExitsTwoNamingIt()
        {
            var run = WorkerProcess.Run("generate", "--model", TinyModel.Path_, "--system", "S", "--user", "Hi", "--attributes", "anger:9");
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("anger").And.Contain("0..4"));
        }

        [Test]
        public void Generate_WithABadTemperature_ExitsTwoNamingTheField()
        {
            var run = WorkerProcess.Run("generate", "--model", TinyModel.Path_, "--system", "S", "--user", "Hi", "--temperature", "-1");
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("emperature"));
        }

        [Test]
        public void Generate_WithoutTokenizerModel_ExitsOneNamingTheFile()
        {
            var model = CopyOfTinyModel();
            File.Delete(Path.Combine(model, "tokenizer.model"));

            var run = WorkerProcess.Run("generate", "--model", model, "--system", "S", "--user", "Hi");

            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("tokenizer.model"));
        }

        [Test]
        public void Generate_WithTruncatedWeights_ExitsOneNamingTheFile()
        {
            var model = CopyOfTinyModel();
            var weights = Path.Combine(model, "model.safetensors");
            var bytes = File.ReadAllBytes(weights);
            File.WriteAllBytes(weights, bytes.AsSpan(0, bytes.Length / 2).ToArray());

            var run = WorkerProcess.Run("generate", "--model", model, "--system", "S", "--user", "Hi");

            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("model.safetensors"));
        }

        [Test]
        public void Generate_WithAConfigOfTheWrongShape_ExitsOneNamingTheTensorAndShapes()
        {
            var model = CopyOfTinyModel();
            var config = Path.Combine(model, "config.json");
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 344", "\"intermediate_size\": 345"));

            var run = WorkerProcess.Run("generate", "--model", model, "--system", "S", "--user", "Hi");

            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("mlp").And.Contain("344").And.Contain("345"));
        }

        [Test]
        public void Generate_WithAMissingModelDirectory_ExitsOne()
        {
            var run = WorkerProcess.Run("generate", "--model", Path.Combine(_scratch, "nothing here"), "--system", "S", "--user", "Hi");
            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("nothing here"));
        }

        [Test]
        public void UnknownOption_ExitsTwoListingTheOptions()
        {
            var run = WorkerProcess.Run("generate", "--modle", "x");
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("--modle").And.Contain("--model"));
        }

        [Test]
        public void Bench_WithJson_PrintsTokensPerSecondAndTimeToFirstTokenPerStreamCount()
        {
            var run = WorkerProcess.Run("bench", "--model", TinyModel.Path_, "--streams", "1,2", "--prompt-tokens", "32", "--new-tokens", "4", "--repeat", "1", "--json");

            Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
            using var json = JsonDocument.Parse(run.Output);
            var streams = json.RootElement.GetProperty("streams");
            Assert.That(streams.GetProperty("1").GetProperty("tokens_per_s").GetDouble(), Is.GreaterThan(0));
            Assert.That(streams.GetProperty("2").GetProperty("ttft_ms").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.RootElement.GetProperty("peak_memory_mb").GetDouble(), Is.GreaterThan(0));
        }
    }
}
