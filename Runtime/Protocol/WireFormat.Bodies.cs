#nullable enable
using System.Collections.Generic;
using MessagePack;

namespace SteerLM.Npc.Protocol
{
    public static partial class WireFormat
    {
        private static void WriteBody(ref MessagePackWriter w, Message message)
        {
            switch (message)
            {
                case Hello m:
                    w.WriteArrayHeader(3);
                    w.Write(m.ProtocolVersion);
                    w.Write(m.Token);
                    w.Write(m.ClientName);
                    break;
                case Ready m:
                    w.WriteArrayHeader(6);
                    w.Write(m.ProtocolVersion);
                    w.Write(m.ModelId);
                    w.Write(m.SchemaJson);
                    w.Write(m.ContextLength);
                    w.Write(m.MaxBatch);
                    w.WriteArrayHeader(m.Capabilities.Count);
                    foreach (var capability in m.Capabilities)
                    {
                        w.Write(capability);
                    }

                    break;
                case Generate m:
                    w.WriteArrayHeader(15);
                    w.Write(m.RequestId);
                    w.Write(m.CharacterId);
                    w.Write(m.System);
                    w.WriteArrayHeader(m.History.Count);
                    foreach (var turn in m.History)
                    {
                        w.WriteArrayHeader(3);
                        w.Write(turn.IsCharacter);
                        w.Write(turn.Text);
                        WriteNullable(ref w, turn.Attributes);
                    }

                    w.Write(m.PlayerLine);
                    w.WriteMapHeader(m.Attributes.Count);
                    foreach (var pair in m.Attributes)
                    {
                        w.Write(pair.Key);
                        w.Write(pair.Value);
                    }

                    w.Write(m.Temperature);
                    w.Write(m.TopK);
                    w.Write(m.TopP);
                    w.Write(m.RepetitionPenalty);
                    if (m.Seed is ulong seed)
                    {
                        w.Write(seed);
                    }
                    else
                    {
                        w.WriteNil();
                    }

                    w.Write(m.MaxTokens);
                    w.Write(m.Priority);
                    w.Write(m.DeadlineMs);
                    w.WriteArrayHeader(0); // reserved: stop strings
                    break;
                case TextPiece m:
                    w.WriteArrayHeader(3);
                    w.Write(m.RequestId);
                    w.Write(m.Sequence);
                    w.Write(m.Text);
                    break;
                case Complete m:
                    w.WriteArrayHeader(9);
                    w.Write(m.RequestId);
                    w.Write(m.Sequence);
                    w.Write(m.Text);
                    w.Write(m.FinishReason);
                    w.Write(m.PromptTokens);
                    w.Write(m.CompletionTokens);
                    w.Write(m.TimeToFirstTokenMs);
                    w.Write(m.TotalMs);
                    w.Write(m.Seed);
                    break;
                case Cancel m:
                    w.WriteArrayHeader(1);
                    w.Write(m.RequestId);
                    break;
                case Score m:
                    w.WriteArrayHeader(4);
                    w.Write(m.RequestId);
                    w.Write(m.System);
                    w.Write(m.PlayerLine);
                    w.Write(m.Reply);
                    break;
                case ScoreResult m:
                    w.WriteArrayHeader(2);
                    w.Write(m.RequestId);
                    w.WriteMapHeader(m.Values.Count);
                    foreach (var pair in m.Values)
                    {
                        w.Write(pair.Key);
                        w.Write(pair.Value);
                    }

                    break;
                case Error m:
                    w.WriteArrayHeader(3);
                    w.Write(m.RequestId);
                    w.Write(m.Code);
                    w.Write(m.Text);
                    break;
                case Ping m:
                    w.WriteArrayHeader(1);
                    w.Write(m.Nonce);
                    break;
                case Pong m:
                    w.WriteArrayHeader(1);
                    w.Write(m.Nonce);
                    break;
                case Shutdown _:
                    w.WriteArrayHeader(0);
                    break;
                case Listening m:
                    w.WriteArrayHeader(5);
                    w.Write(m.ProtocolVersion);
                    w.Write(m.Port);
                    w.Write(m.Token);
                    w.Write(m.ProcessId);
                    w.Write(m.ModelId);
                    break;
                default:
                    throw new System.ArgumentException($"No wire encoding for {message.GetType().Name}.", nameof(message));
            }
        }

        private static Message ReadBody(MessageType type, ref MessagePackReader r)
        {
            var f = new Fields(ref r, type);
            Message message;
            switch (type)
            {
                case MessageType.Hello:
                {
                    var m = new Hello();
                    if (f.Next()) m.ProtocolVersion = r.ReadInt32();
                    if (f.Next()) m.Token = Text(ref r);
                    if (f.Next()) m.ClientName = Text(ref r);
                    message = m;
                    break;
                }

                case MessageType.Ready:
                {
                    var m = new Ready();
                    if (f.Next()) m.ProtocolVersion = r.ReadInt32();
                    if (f.Next()) m.ModelId = Text(ref r);
                    if (f.Next()) m.SchemaJson = Text(ref r);
                    if (f.Next()) m.ContextLength = r.ReadInt32();
                    if (f.Next()) m.MaxBatch = r.ReadInt32();
                    if (f.Next())
                    {
                        var count = Count(r.ReadArrayHeader(), MaxMapEntries, "capabilities");
                        for (var i = 0; i < count; i++)
                        {
                            m.Capabilities.Add(Text(ref r));
                        }
                    }

                    message = m;
                    break;
                }

                case MessageType.Generate:
                {
                    var m = new Generate();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next()) m.CharacterId = Text(ref r);
                    if (f.Next()) m.System = Text(ref r);
                    if (f.Next())
                    {
                        var count = Count(r.ReadArrayHeader(), MaxHistoryTurns, "history");
                        for (var i = 0; i < count; i++)
                        {
                            var turn = new WireTurn();
                            var t = new Fields(ref r, type);
                            if (t.Next()) turn.IsCharacter = r.ReadBoolean();
                            if (t.Next()) turn.Text = Text(ref r);
                            if (t.Next()) turn.Attributes = r.ReadString();
                            t.SkipRest(ref r);
                            m.History.Add(turn);
                        }
                    }

                    if (f.Next()) m.PlayerLine = Text(ref r);
                    if (f.Next())
                    {
                        var count = Count(r.ReadMapHeader(), MaxMapEntries, "attributes");
                        for (var i = 0; i < count; i++)
                        {
                            var name = Text(ref r);
                            if (m.Attributes.ContainsKey(name))
                            {
                                throw new ProtocolException(ErrorCodes.Malformed, $"Generate: attribute '{name}' appears twice.");
                            }

                            m.Attributes[name] = r.ReadInt32();
                        }
                    }

                    if (f.Next()) m.Temperature = r.ReadSingle();
                    if (f.Next()) m.TopK = r.ReadInt32();
                    if (f.Next()) m.TopP = r.ReadSingle();
                    if (f.Next()) m.RepetitionPenalty = r.ReadSingle();
                    if (f.Next()) m.Seed = r.TryReadNil() ? (ulong?)null : r.ReadUInt64();
                    if (f.Next()) m.MaxTokens = r.ReadInt32();
                    if (f.Next()) m.Priority = r.ReadInt32();
                    if (f.Next()) m.DeadlineMs = r.ReadInt32();
                    if (f.Next()) SkipBounded(ref r, 0); // reserved: stop strings
                    message = m;
                    break;
                }

                case MessageType.TextPiece:
                {
                    var m = new TextPiece();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next()) m.Sequence = r.ReadInt32();
                    if (f.Next()) m.Text = Text(ref r);
                    message = m;
                    break;
                }

                case MessageType.Complete:
                {
                    var m = new Complete();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next()) m.Sequence = r.ReadInt32();
                    if (f.Next()) m.Text = Text(ref r);
                    if (f.Next()) m.FinishReason = Text(ref r);
                    if (f.Next()) m.PromptTokens = r.ReadInt32();
                    if (f.Next()) m.CompletionTokens = r.ReadInt32();
                    if (f.Next()) m.TimeToFirstTokenMs = r.ReadSingle();
                    if (f.Next()) m.TotalMs = r.ReadSingle();
                    if (f.Next()) m.Seed = r.ReadUInt64();
                    message = m;
                    break;
                }

                case MessageType.Cancel:
                {
                    var m = new Cancel();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    message = m;
                    break;
                }

                case MessageType.Score:
                {
                    var m = new Score();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next()) m.System = Text(ref r);
                    if (f.Next()) m.PlayerLine = Text(ref r);
                    if (f.Next()) m.Reply = Text(ref r);
                    message = m;
                    break;
                }

                case MessageType.ScoreResult:
                {
                    var m = new ScoreResult();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next())
                    {
                        var count = Count(r.ReadMapHeader(), MaxMapEntries, "values");
                        for (var i = 0; i < count; i++)
                        {
                            var name = Text(ref r);
                            m.Values[name] = r.ReadSingle();
                        }
                    }

                    message = m;
                    break;
                }

                case MessageType.Error:
                {
                    var m = new Error();
                    if (f.Next()) m.RequestId = r.ReadInt64();
                    if (f.Next()) m.Code = Text(ref r);
                    if (f.Next()) m.Text = Text(ref r);
                    message = m;
                    break;
                }

                case MessageType.Ping:
                {
                    var m = new Ping();
                    if (f.Next()) m.Nonce = r.ReadInt64();
                    message = m;
                    break;
                }

                case MessageType.Pong:
                {
                    var m = new Pong();
                    if (f.Next()) m.Nonce = r.ReadInt64();
                    message = m;
                    break;
                }

                case MessageType.Shutdown:
                    message = new Shutdown();
                    break;
                case MessageType.Listening:
                {
                    var m = new Listening();
                    if (f.Next()) m.ProtocolVersion = r.ReadInt32();
                    if (f.Next()) m.Port = r.ReadInt32();
                    if (f.Next()) m.Token = Text(ref r);
                    if (f.Next()) m.ProcessId = r.ReadInt32();
                    if (f.Next()) m.ModelId = Text(ref r);
                    message = m;
                    break;
                }
                default:
                    throw new ProtocolException(ErrorCodes.UnknownType, $"Unknown message type {(byte)type}.");
            }

            f.SkipRest(ref r);
            return message;
        }

        private static void WriteNullable(ref MessagePackWriter w, string? value)
        {
            if (value == null)
            {
                w.WriteNil();
            }
            else
            {
                w.Write(value);
            }
        }

        private static string Text(ref MessagePackReader r) => r.ReadString() ?? "";

        /// <summary>
        /// Skips one value without recursing deeper than a few levels: MessagePackReader.Skip recurses once per nesting level
        /// with no limit, so a frame of nested one-element arrays would overflow the stack (which no catch can stop).
        /// </summary>
        private static void SkipBounded(ref MessagePackReader r, int depth)
        {
            if (depth > 8)
            {
                throw new ProtocolException(ErrorCodes.Malformed, "A value is nested more than 8 levels deep.");
            }

            switch (r.NextMessagePackType)
            {
                case MessagePackType.Array:
                    var items = Count(r.ReadArrayHeader(), 4096, "nested array");
                    for (var i = 0; i < items; i++)
                    {
                        SkipBounded(ref r, depth + 1);
                    }

                    break;
                case MessagePackType.Map:
                    var pairs = Count(r.ReadMapHeader(), 4096, "nested map");
                    for (var i = 0; i < 2 * pairs; i++)
                    {
                        SkipBounded(ref r, depth + 1);
                    }

                    break;
                default:
                    r.Skip(); // a scalar, string, binary or extension: no recursion
                    break;
            }
        }

        private static int Count(int count, int max, string what)
        {
            if (count < 0 || count > max)
            {
                throw new ProtocolException(ErrorCodes.Malformed, $"{count} {what} entries; at most {max} are allowed.");
            }

            return count;
        }

        /// <summary>Walks the fields of a body array: known fields in order, unknown trailing fields skipped.</summary>
        private struct Fields
        {
            private readonly int _count;
            private int _next;

            public Fields(ref MessagePackReader reader, MessageType type)
            {
                _count = reader.ReadArrayHeader();
                if (_count > 64)
                {
                    throw new ProtocolException(ErrorCodes.Malformed, $"{type}: a body of {_count} fields is not a message.");
                }

                _next = 0;
            }

            public bool Next() => _next++ < _count;

            public void SkipRest(ref MessagePackReader reader)
            {
                for (var i = System.Math.Min(_next, _count); i < _count; i++)
                {
                    SkipBounded(ref reader, 0);
                }

                _next = _count;
            }
        }
    }
}
