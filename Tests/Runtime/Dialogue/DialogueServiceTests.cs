#nullable enable
using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Protocol;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Tests.Dialogue
{
    public class DialogueServiceTests
    {
        /// <summary>Records what the service sends and lets the test answer as the worker would, from any thread.</summary>
        private sealed class FakeBackend : IDialogueBackend
        {
            public AttributeSchema? Schema { get; set; } = AttributeSchemas.Npc;

            public List<(Generate Request, IRequestSink Sink)> Sent { get; } = new List<(Generate, IRequestSink)>();

            public List<long> Cancelled { get; } = new List<long>();

            public void Send(Generate request, IRequestSink sink) => Sent.Add((request, sink));

            public void Cancel(long requestId) => Cancelled.Add(requestId);
        }

        private static NpcProfile Bram() => new NpcProfile("bram", new Persona("Old Bram", "barkeep"),
            new Dictionary<string, int> { ["humor"] = 1 }, Temperament.HotTempered, AttributeLimits.None.WithMaximum("toxicity", 2));

        [Test]
        public void Say_ReturnsAtOnce_WithTheAttributesOfProfileAndMood()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var mood = new NpcMood(Bram());
            mood.Insult();

            var request = service.Say(Bram(), mood, "You smell.");

            Assert.That(request.Status, Is.EqualTo(DialogueStatus.Pending));
            var sent = backend.Sent[0].Request;
            Assert.That(sent.Attributes["anger"], Is.EqualTo(3));
            Assert.That(sent.Attributes["toxicity"], Is.EqualTo(2), "the profile's limit caps it");
            Assert.That(sent.System, Does.StartWith("You are Old Bram"));
            Assert.That(sent.Seed, Is.Not.Null, "a seed is always sent, so a replay repeats the line");
        }

        [Test]
        public void Answers_AreAppliedOnlyInsidePump()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var request = service.Say(Bram(), new NpcMood(Bram()), "Hello.");
            var seen = new List<string>();
            request.TextReceived += (_, piece) => seen.Add(piece);
            var sink = backend.Sent[0].Sink;

            Task.Run(() =>
            {
                sink.OnText(new TextPiece { RequestId = 1, Sequence = 0, Text = "Wh" });
                sink.OnText(new TextPiece { RequestId = 1, Sequence = 1, Text = "at?" });
                sink.OnComplete(new Complete { RequestId = 1, Sequence = 2, Text = "What?", FinishReason = "stop" });
            }).Wait();

            Assert.That(request.Text, Is.Empty, "nothing changes between pumps");
            Assert.That(seen, Is.Empty);

            service.Pump(10);

            Assert.That(seen, Is.EqualTo(new[] { "Wh", "at?" }));
            Assert.That(request.Status, Is.EqualTo(DialogueStatus.Completed));
            Assert.That(request.FinalText, Is.EqualTo("What?"));
            Assert.That(request.AsTask().Result, Is.EqualTo("What?"));
            Assert.That(service.Histories.For("bram").ToTurns(), Has.Count.EqualTo(2));
        }

        [Test]
        public void Pump_StopsWhenItsBudgetIsSpent_AndTheRestWaits()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var request = service.Say(Bram(), new NpcMood(Bram()), "Talk.");
            var calls = 0;
            request.TextReceived += (_, _) =>
            {
                calls++;
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 500; // 2 ms of work
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                }
            };
            for (var i = 0; i < 10; i++)
            {
                backend.Sent[0].Sink.OnText(new TextPiece { RequestId = 1, Sequence = i, Text = "x" });
            }

            var applied = service.Pump(1.0);

            Assert.That(applied, Is.EqualTo(1), "one 2 ms callback exhausts a 1 ms budget");
            Assert.That(service.Pump(100), Is.EqualTo(9));
            Assert.That(calls, Is.EqualTo(10));
        }

        [Test]
        public void NewLineForTheSameCharacter_SupersedesTheOneInFlight()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var first = service.Say(Bram(), new NpcMood(Bram()), "Hello.");
            var second = service.Say(Bram(), new NpcMood(Bram()), "Hello again.");

            Assert.That(first.Status, Is.EqualTo(DialogueStatus.Superseded));
            Assert.That(backend.Cancelled, Is.EqualTo(new[] { first.Id }));
            Assert.That(second.Status, Is.EqualTo(DialogueStatus.Pending));

            backend.Sent[0].Sink.OnText(new TextPiece { RequestId = first.Id, Sequence = 0, Text = "late" });
            service.Pump(10);
            Assert.That(first.Text, Is.Empty, "answers for a superseded line are dropped");
        }

        [Test]
        public void Timeout_EndsTheLine_AndCancelsItOnTheWorker()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var request = service.Say(Bram(), new NpcMood(Bram()), "Hello.", SayOptions.Default.WithTimeout(0.001));
            System.Threading.Thread.Sleep(5);

            service.Pump(1);

            Assert.That(request.Status, Is.EqualTo(DialogueStatus.TimedOut));
            Assert.That(backend.Cancelled, Does.Contain(request.Id));
            Assert.That(() => request.AsTask().Wait(), Throws.InstanceOf<AggregateException>().With.InnerException.InstanceOf<DialogueException>());
        }

        [Test]
        public void ReplayedPiecesAfterAWorkerRestart_AreNotShownTwice()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var request = service.Say(Bram(), new NpcMood(Bram()), "Hello.");
            var sink = backend.Sent[0].Sink;
            sink.OnText(new TextPiece { RequestId = 1, Sequence = 0, Text = "Wh" });
            service.Pump(10);

            // The worker restarts and the same seeded request streams again from the start.
            sink.OnText(new TextPiece { RequestId = 1, Sequence = 0, Text = "Wh" });
            sink.OnText(new TextPiece { RequestId = 1, Sequence = 1, Text = "at?" });
            service.Pump(10);

            Assert.That(request.Text, Is.EqualTo("What?"));
        }

        [Test]
        public void WorkerError_FailsTheLineWithItsMessage()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var request = service.Say(Bram(), new NpcMood(Bram()), "Hello.");
            backend.Sent[0].Sink.OnError(new Error { RequestId = 1, Code = ErrorCodes.BadAttributes, Text = "Unknown attribute 'x'." });

            service.Pump(10);

            Assert.That(request.Status, Is.EqualTo(DialogueStatus.Failed));
            Assert.That(request.Error, Does.Contain("bad_attributes").And.Contain("Unknown attribute"));
        }

        [Test]
        public void Say_BeforeTheWorkerIsConnected_SaysSo()
        {
            var service = new DialogueService(new FakeBackend { Schema = null });
            var error = Assert.Throws<InvalidOperationException>(() => service.Say(Bram(), new NpcMood(Bram()), "Hello."));
            Assert.That(error!.Message, Does.Contain("not connected"));
        }

        [Test]
        public void Say_WithAProfileMappedToNvidiasSchema_SendsNvidiasNames()
        {
            var backend = new FakeBackend { Schema = AttributeSchemas.SteerLM };
            var service = new DialogueService(backend);
            service.Say(Bram(), new NpcMood(Bram()), "Hello.");

            Assert.That(backend.Sent[0].Request.Attributes.Keys, Is.EquivalentTo(AttributeSchemas.SteerLM.Names));
        }

        [Test]
        public void Say_WithAPersonaTooLargeForTheWire_IsRefusedBeforeAnythingIsSent()
        {
            var backend = new FakeBackend();
            var service = new DialogueService(backend);
            var huge = new string('a', 400_000);

            var error = Assert.Throws<ArgumentException>(() => service.Say("bram", huge, "Hello.", AttributeSchemas.Npc.Defaults()));

            Assert.That(error!.Message, Does.Contain("too large for the wire"));
            Assert.That(backend.Sent, Is.Empty);
        }

        [Test]
        public void IdlePump_AllocatesNothing()
        {
            var service = new DialogueService(new FakeBackend());
            service.Pump(0.5);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                service.Pump(0.5);
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        }
    }
}
