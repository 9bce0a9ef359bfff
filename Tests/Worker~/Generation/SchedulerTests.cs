using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NUnit.Framework;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Generation;

namespace SteerLM.Npc.Worker.Tests.Generation
{
    [NonParallelizable]
    public class SchedulerTests
    {
        private ModelDirectory _model = null!;

        [OneTimeSetUp]
        public void LoadModel() => _model = TinyModel.Load();

        [OneTimeTearDown]
        public void DisposeModel() => _model.Dispose();

        private int[] Prompt(string user, string attributes = "humor:2") =>
            _model.EncodePrompt("You are Marta, an innkeeper.", new[] { PromptTurn.User(user) }, AttributeValues.Parse(_model.Schema, attributes));

        private GenerationResult RunAlone(int[] prompt, SamplingSettings settings, int maxTokens)
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 512);
            return scheduler.Generate(new GenerationRequest(prompt, settings, maxTokens, ignoreEndOfTurn: true));
        }

        [Test]
        public void Batch_GivesTheSameTokensAsEachSequenceRunAlone()
        {
            var prompts = new[] { Prompt("Hello!"), Prompt("A room for the night, please, and a hot meal.", "anger:3"), Prompt("Any news?", "verbosity:4") };
            var settings = new[] { SamplingSettings.Greedy, new SamplingSettings(temperature: 0.9f, seed: 11), new SamplingSettings(temperature: 1.2f, topK: 0, seed: 5) };
            var alone = prompts.Select((p, i) => RunAlone(p, settings[i], 24)).ToArray();

            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 4, contextLength: 512);
            var tasks = prompts.Select((p, i) => scheduler.Submit(new GenerationRequest(p, settings[i], 24, ignoreEndOfTurn: true))).ToArray();
            scheduler.RunUntilIdle();

            for (var i = 0; i < prompts.Length; i++)
            {
                Assert.That(tasks[i].Result.Tokens, Is.EqualTo(alone[i].Tokens), $"sequence {i}");
            }
        }

        [Test]
        public void RequestJoiningMidway_GetsTheSameTokensAsAlone()
        {
            var first = Prompt("Hello!");
            var second = Prompt("What do you sell?");
            var expected = RunAlone(second, SamplingSettings.Greedy, 16);

            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 2, contextLength: 512);
            var a = scheduler.Submit(new GenerationRequest(first, SamplingSettings.Greedy, 30, ignoreEndOfTurn: true));
            for (var i = 0; i < 5; i++)
            {
                scheduler.Step();
            }

            var b = scheduler.Submit(new GenerationRequest(second, SamplingSettings.Greedy, 16, ignoreEndOfTurn: true));
            scheduler.RunUntilIdle();

            Assert.That(b.Result.Tokens, Is.EqualTo(expected.Tokens));
            Assert.That(a.Result.Tokens, Has.Count.EqualTo(30));
        }

        [Test]
        public void SameSeed_GivesTheSameText_AndAnotherSeedDiffers()
        {
            var prompt = Prompt("Tell me a story.");
            var one = RunAlone(prompt, new SamplingSettings(temperature: 1.0f, topK: 0, topP: 1f, seed: 42), 24);
            var two = RunAlone(prompt, new SamplingSettings(temperature: 1.0f, topK: 0, topP: 1f, seed: 42), 24);
            var other = RunAlone(prompt, new SamplingSettings(temperature: 1.0f, topK: 0, topP: 1f, seed: 43), 24);

            Assert.That(two.Text, Is.EqualTo(one.Text));
            Assert.That(other.Tokens, Is.Not.EqualTo(one.Tokens));
        }

        [Test]
        public void StreamedPieces_AddUpToTheFinalText()
        {
            var pieces = new List<string>();
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 512);
            var result = scheduler.Generate(new GenerationRequest(Prompt("Hi"), new SamplingSettings(temperature: 1f, seed: 3), 40,
                onText: pieces.Add, ignoreEndOfTurn: true));

            Assert.That(string.Concat(pieces), Is.EqualTo(result.Text));
            Assert.That(result.Text, Is.EqualTo(_model.Tokenizer.Decode(result.Tokens.ToArray())));
            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.Length));
            Assert.That(result.Tokens, Has.Count.EqualTo(40));
        }

        [Test]
        public void StopString_EndsTheReplyWithoutShowingAnyOfIt()
        {
            var prompt = Prompt("Hi");
            var free = RunAlone(prompt, SamplingSettings.Greedy, 30);
            Assume.That(free.Text.Length, Is.GreaterThan(12));
            var stop = free.Text.Substring(8, 4);

            var pieces = new List<string>();
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 512);
            var result = scheduler.Generate(new GenerationRequest(prompt, SamplingSettings.Greedy, 30, new[] { stop }, pieces.Add, ignoreEndOfTurn: true));

            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.StopString));
            Assert.That(result.Text, Is.EqualTo(free.Text.Substring(0, free.Text.IndexOf(stop, StringComparison.Ordinal))));
            Assert.That(string.Concat(pieces), Is.EqualTo(result.Text));
        }

        [Test]
        public void Cancel_EndsTheRequestBetweenSteps()
        {
            using var cancel = new CancellationTokenSource();
            var count = 0;
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 512);
            var result = scheduler.Generate(new GenerationRequest(Prompt("Hi"), SamplingSettings.Greedy, 200,
                onText: _ => { if (++count == 3) { cancel.Cancel(); } }, ignoreEndOfTurn: true, cancellationToken: cancel.Token));

            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.Cancelled));
            Assert.That(result.Tokens.Count, Is.LessThan(200));
        }

        [Test]
        public void Deadline_InThePast_EndsTheRequestWithoutGenerating()
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 512);
            var result = scheduler.Generate(new GenerationRequest(Prompt("Hi"), SamplingSettings.Greedy, 50, deadline: DateTime.UtcNow.AddSeconds(-1)));

            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.Deadline));
            Assert.That(result.Tokens, Is.Empty);
        }

        [Test]
        public void PromptLongerThanTheContext_IsAnErrorThatSaysSo()
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: 16);
            var result = scheduler.Generate(new GenerationRequest(Prompt("Hi there, how are you doing this fine evening?"), SamplingSettings.Greedy, 5));

            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.Error));
            Assert.That(result.Error, Does.Contain("context holds 16"));
        }

        [Test]
        public void ReplyReachingTheContextEnd_StopsWithContextFull()
        {
            var prompt = Prompt("Hi");
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 1, contextLength: prompt.Length + 5);
            var result = scheduler.Generate(new GenerationRequest(prompt, SamplingSettings.Greedy, 50, ignoreEndOfTurn: true));

            Assert.That(result.FinishReason, Is.EqualTo(FinishReason.ContextFull));
            Assert.That(result.Tokens, Has.Count.EqualTo(5));
        }

        [Test]
        public void MoreRequestsThanSlots_AllComplete()
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 2, contextLength: 512);
            var tasks = Enumerable.Range(0, 5)
                .Select(i => scheduler.Submit(new GenerationRequest(Prompt("Hello " + i), new SamplingSettings(seed: (ulong)i), 8, ignoreEndOfTurn: true)))
                .ToArray();
            scheduler.RunUntilIdle();

            Assert.That(tasks.Select(t => t.Result.FinishReason), Has.All.EqualTo(FinishReason.Length));
            Assert.That(scheduler.LiveCount, Is.EqualTo(0));
        }

        [Test]
        public void FailingTextCallback_EndsOnlyThatRequest()
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 2, contextLength: 512);
            var bad = scheduler.Submit(new GenerationRequest(Prompt("Hi"), SamplingSettings.Greedy, 10,
                onText: _ => throw new InvalidOperationException("boom"), ignoreEndOfTurn: true));
            var good = scheduler.Submit(new GenerationRequest(Prompt("Hello"), SamplingSettings.Greedy, 10, ignoreEndOfTurn: true));
            scheduler.RunUntilIdle();

            Assert.That(bad.Result.FinishReason, Is.EqualTo(FinishReason.Error));
            Assert.That(bad.Result.Error, Does.Contain("boom"));
            Assert.That(good.Result.FinishReason, Is.EqualTo(FinishReason.Length));
        }

        [Test]
        public void BackgroundThread_CompletesSubmittedRequests()
        {
            using var scheduler = new Scheduler(_model.Model, _model.Tokenizer, maxBatch: 2, contextLength: 512);
            scheduler.Start();
            var result = scheduler.Submit(new GenerationRequest(Prompt("Hi"), SamplingSettings.Greedy, 6, ignoreEndOfTurn: true)).Wait(TimeSpan.FromSeconds(30));
            Assert.That(result, Is.True);
        }
    }
}
