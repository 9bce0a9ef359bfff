#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Protocol;

namespace SteerLM.Npc.Tests.Protocol
{
    public class WireFormatTests
    {
        private static Message RoundTrip(Message message)
        {
            var frame = WireFormat.Encode(message);
            Assert.That(BitConverter.ToInt32(frame, 0), Is.EqualTo(frame.Length - 4), "length prefix");
            return WireFormat.Decode(new ReadOnlyMemory<byte>(frame, 4, frame.Length - 4));
        }

        private static Generate SampleGenerate() => new Generate
        {
            RequestId = 42,
            CharacterId = "bram",
            System = "You are Old Bram.",
            History = new List<WireTurn>
            {
                new WireTurn { IsCharacter = false, Text = "Hello." },
                new WireTurn { IsCharacter = true, Text = "What?", Attributes = "humor:0,toxicity:2" },
            },
            PlayerLine = "An ale, please. \u00e9\U0001F37A",
            Attributes = new Dictionary<string, int> { ["humor"] = 1, ["anger"] = 3 },
            Temperature = 0.8f,
            TopK = 20,
            TopP = 0.95f,
            RepetitionPenalty = 1.2f,
            Seed = ulong.MaxValue,
            MaxTokens = 64,
            Priority = 2,
            DeadlineMs = 1500,
        };

        [Test]
        public void Generate_RoundTrips_WithEveryField()
        {
            var back = (Generate)RoundTrip(SampleGenerate());
            var sent = SampleGenerate();

            Assert.That(back.RequestId, Is.EqualTo(42));
            Assert.That(back.CharacterId, Is.EqualTo(sent.CharacterId));
            Assert.That(back.System, Is.EqualTo(sent.System));
            Assert.That(back.History, Has.Count.EqualTo(2));
            Assert.That(back.History[1].IsCharacter, Is.True);
            Assert.That(back.History[1].Attributes, Is.EqualTo("humor:0,toxicity:2"));
            Assert.That(back.History[0].Attributes, Is.Null);
            Assert.That(back.PlayerLine, Is.EqualTo(sent.PlayerLine));
            Assert.That(back.Attributes, Is.EquivalentTo(sent.Attributes));
            Assert.That(back.Temperature, Is.EqualTo(0.8f));
            Assert.That(back.TopK, Is.EqualTo(20));
            Assert.That(back.TopP, Is.EqualTo(0.95f));
            Assert.That(back.RepetitionPenalty, Is.EqualTo(1.2f));
            Assert.That(back.Seed, Is.EqualTo(ulong.MaxValue));
            Assert.That(back.MaxTokens, Is.EqualTo(64));
            Assert.That(back.Priority, Is.EqualTo(2));
            Assert.That(back.DeadlineMs, Is.EqualTo(1500));
        }

        [Test]
        public void EveryOtherMessage_RoundTrips()
        {
            var ready = (Ready)RoundTrip(new Ready
            {
                ModelId = "npc-small", SchemaJson = "{\"id\":\"npc-v1\"}", ContextLength = 1024, MaxBatch = 16,
                Capabilities = new List<string> { "generate", "score" },
            });
            Assert.That(ready.ModelId, Is.EqualTo("npc-small"));
            Assert.That(ready.Capabilities, Is.EqualTo(new[] { "generate", "score" }));
            Assert.That(ready.ContextLength, Is.EqualTo(1024));

            var hello = (Hello)RoundTrip(new Hello { Token = "secret", ClientName = "game" });
            Assert.That(hello.Token, Is.EqualTo("secret"));
            Assert.That(hello.ProtocolVersion, Is.EqualTo(WireFormat.ProtocolVersion));

            var piece = (TextPiece)RoundTrip(new TextPiece { RequestId = 7, Sequence = 3, Text = " ale" });
            Assert.That((piece.RequestId, piece.Sequence, piece.Text), Is.EqualTo((7L, 3, " ale")));

            var complete = (Complete)RoundTrip(new Complete
            {
                RequestId = 7, Sequence = 4, Text = "An ale.", FinishReason = "stop", PromptTokens = 90, CompletionTokens = 5,
                TimeToFirstTokenMs = 12.5f, TotalMs = 40f, Seed = 99,
            });
            Assert.That(complete.FinishReason, Is.EqualTo("stop"));
            Assert.That(complete.TimeToFirstTokenMs, Is.EqualTo(12.5f));
            Assert.That(complete.Seed, Is.EqualTo(99UL));

            Assert.That(((Cancel)RoundTrip(new Cancel { RequestId = 5 })).RequestId, Is.EqualTo(5));
            var score = (ScoreResult)RoundTrip(new ScoreResult { RequestId = 1, Values = new Dictionary<string, float> { ["humor"] = 2.5f } });
            Assert.That(score.Values["humor"], Is.EqualTo(2.5f));
            var error = (Error)RoundTrip(new Error { RequestId = 3, Code = ErrorCodes.BadAttributes, Text = "Unknown attribute 'humour'." });
            Assert.That(error.Code, Is.EqualTo("bad_attributes"));
            Assert.That(((Ping)RoundTrip(new Ping { Nonce = -8 })).Nonce, Is.EqualTo(-8));
            Assert.That(((Pong)RoundTrip(new Pong { Nonce = 8 })).Nonce, Is.EqualTo(8));
            Assert.That(RoundTrip(new Shutdown()), Is.InstanceOf<Shutdown>());
            var scoreRequest = (Score)RoundTrip(new Score { RequestId = 2, System = "S", PlayerLine = "P", Reply = "R" });
            Assert.That(scoreRequest.Reply, Is.EqualTo("R"));
        }

        [Test]
        public void Decode_OfABodyWithExtraTrailingFields_IgnoresThem()
        {
            // A newer peer's Ping with two more fields: [nonce, "new", 1]
            var payload = new byte[] { (byte)MessageType.Ping, 0x93, 0x05, 0xa3, (byte)'n', (byte)'e', (byte)'w', 0x01 };
            var ping = (Ping)WireFormat.Decode(payload);
            Assert.That(ping.Nonce, Is.EqualTo(5));
        }

        [Test]
        public void Decode_OfAnUnknownType_SaysSo()
        {
            var error = Assert.Throws<ProtocolException>(() => WireFormat.Decode(new byte[] { 200, 0x90 }));
            Assert.That(error!.Code, Is.EqualTo(ErrorCodes.UnknownType));
        }

        [Test]
        public void Decode_OfATruncatedBody_IsMalformed()
        {
            var frame = WireFormat.Encode(SampleGenerate());
            var error = Assert.Throws<ProtocolException>(() => WireFormat.Decode(new ReadOnlyMemory<byte>(frame, 4, frame.Length - 10)));
            Assert.That(error!.Code, Is.EqualTo(ErrorCodes.Malformed));
        }

        [Test]
        public void Decode_OfAHugeClaimedCount_IsRefusedWithoutAllocatingIt()
        {
            // Ready whose capabilities array claims 2^31 entries.
            var payload = new byte[] { (byte)MessageType.Ready, 0x96, 0x01, 0xa0, 0xa0, 0x01, 0x01, 0xdd, 0x7f, 0xff, 0xff, 0xff };
            var error = Assert.Throws<ProtocolException>(() => WireFormat.Decode(payload));
            Assert.That(error!.Code, Is.EqualTo(ErrorCodes.Malformed));
        }

        [Test]
        public void Decode_OfDeeplyNestedUnknownFields_IsRefusedWithoutOverflowingTheStack()
        {
            // A Hello [1, "x", "y", [[[[...]]]]] nested 100,000 levels deep in its unknown trailing field.
            var payload = new List<byte> { (byte)MessageType.Hello, 0x94, 0x01, 0xa1, (byte)'x', 0xa1, (byte)'y' };
            for (var i = 0; i < 100_000; i++)
            {
                payload.Add(0x91);
            }

            payload.Add(0x00);
            var error = Assert.Throws<ProtocolException>(() => WireFormat.Decode(payload.ToArray()));
            Assert.That(error!.Message, Does.Contain("nested"));
        }

        [Test]
        public async Task FrameReader_ReadsConsecutiveFrames_AndNullAtACleanEnd()
        {
            using var stream = new MemoryStream();
            await WireFormat.WriteAsync(stream, new Ping { Nonce = 1 });
            await WireFormat.WriteAsync(stream, SampleGenerate());
            stream.Position = 0;
            var reader = new FrameReader(stream);

            Assert.That(((Ping)(await reader.ReadAsync())!).Nonce, Is.EqualTo(1));
            Assert.That(((Generate)(await reader.ReadAsync())!).RequestId, Is.EqualTo(42));
            Assert.That(await reader.ReadAsync(), Is.Null);
        }

        [Test]
        public void FrameReader_RefusesAFrameOverTheLimit()
        {
            var frame = WireFormat.Encode(new Error { Code = "x", Text = new string('a', 5000) });
            var reader = new FrameReader(new MemoryStream(frame), maxFrameBytes: 1024);

            var error = Assert.ThrowsAsync<ProtocolException>(() => reader.ReadAsync());
            Assert.That(error!.Code, Is.EqualTo(ErrorCodes.TooLarge));
        }

        [Test]
        public void FrameReader_RefusesAFrameCutShort()
        {
            var frame = WireFormat.Encode(SampleGenerate());
            var reader = new FrameReader(new MemoryStream(frame, 0, frame.Length - 3));

            var error = Assert.ThrowsAsync<ProtocolException>(() => reader.ReadAsync());
            Assert.That(error!.Message, Does.Contain("closed inside a frame"));
        }

        [Test]
        public void Fuzz_TenThousandRandomAndMutatedPayloads_GiveAMessageOrAProtocolExceptionOnly()
        {
            var random = new Random(12345);
            var seeds = new List<byte[]>
            {
                WireFormat.Encode(SampleGenerate()), WireFormat.Encode(new Hello { Token = "t" }),
                WireFormat.Encode(new Complete { Text = "done", FinishReason = "stop" }),
                WireFormat.Encode(new ScoreResult { Values = new Dictionary<string, float> { ["joy"] = 1f } }),
            };
            var decoded = 0;
            var refused = 0;
            for (var i = 0; i < 10_000; i++)
            {
                byte[] payload;
                if (i % 4 == 0)
                {
                    payload = new byte[random.Next(1, 64)];
                    random.NextBytes(payload);
                }
                else
                {
                    var seed = seeds[random.Next(seeds.Count)];
                    payload = new byte[seed.Length - 4];
                    Array.Copy(seed, 4, payload, 0, payload.Length);
                    var mutations = random.Next(1, 6);
                    for (var m = 0; m < mutations; m++)
                    {
                        switch (random.Next(3))
                        {
                            case 0:
                                payload[random.Next(payload.Length)] = (byte)random.Next(256);
                                break;
                            case 1:
                                Array.Resize(ref payload, random.Next(1, payload.Length + 1));
                                break;
                            default:
                                var at = random.Next(payload.Length);
                                payload[at] ^= (byte)(1 << random.Next(8));
                                break;
                        }
                    }
                }

                try
                {
                    WireFormat.Decode(payload);
                    decoded++;
                }
                catch (ProtocolException)
                {
                    refused++;
                }
            }

            Assert.That(decoded + refused, Is.EqualTo(10_000));
            Assert.That(refused, Is.GreaterThan(1000), "most damaged payloads are refused");
        }
    }
}
