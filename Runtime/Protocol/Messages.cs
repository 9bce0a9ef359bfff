#nullable enable
using System;
using System.Collections.Generic;

namespace SteerLM.Npc.Protocol
{
    /// <summary>The kind of a wire message: the byte after a frame's length.</summary>
    public enum MessageType : byte
    {
        /// <summary>Client to worker, first: protocol version and the launch token.</summary>
        Hello = 1,

        /// <summary>Worker to client, answer to <see cref="Hello"/>: the model, its schema and capabilities.</summary>
        Ready = 2,

        /// <summary>Client to worker: generate a line.</summary>
        Generate = 3,

        /// <summary>Worker to client: new text of a line (never text sent before).</summary>
        TextPiece = 4,

        /// <summary>Worker to client: a line is finished.</summary>
        Complete = 5,

        /// <summary>Client to worker: stop a request.</summary>
        Cancel = 6,

        /// <summary>Client to worker: measure a line's attributes with the APM.</summary>
        Score = 7,

        /// <summary>Worker to client: the APM's values for a line.</summary>
        ScoreResult = 8,

        /// <summary>Either way: something went wrong (with the request it concerns, if any).</summary>
        Error = 9,

        /// <summary>Either way: are you there?</summary>
        Ping = 10,

        /// <summary>Answer to <see cref="Ping"/>.</summary>
        Pong = 11,

        /// <summary>Client to worker: finish and exit.</summary>
        Shutdown = 12,

        /// <summary>Worker to its launcher, once, as the only frame on standard output: where to connect.</summary>
        Listening = 13,
    }

    /// <summary>Base of every wire message.</summary>
    public abstract class Message
    {
        /// <summary>The message's type byte.</summary>
        public abstract MessageType Type { get; }
    }

    /// <summary>Client to worker, the first message on a connection.</summary>
    public sealed class Hello : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Hello;

        /// <summary>The protocol version the client speaks.</summary>
        public int ProtocolVersion { get; set; } = WireFormat.ProtocolVersion;

        /// <summary>The per-launch secret the worker printed in its ready line; a wrong token closes the connection.</summary>
        public string Token { get; set; } = "";

        /// <summary>Who is connecting (for the worker's log).</summary>
        public string ClientName { get; set; } = "";
    }

    /// <summary>Worker to client: the handshake answer.</summary>
    public sealed class Ready : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Ready;

        /// <summary>The protocol version the worker speaks.</summary>
        public int ProtocolVersion { get; set; } = WireFormat.ProtocolVersion;

        /// <summary>The loaded model's identifier.</summary>
        public string ModelId { get; set; } = "";

        /// <summary>The model's attribute schema as JSON (<c>attributes.json</c>).</summary>
        public string SchemaJson { get; set; } = "";

        /// <summary>Tokens per sequence (prompt and reply).</summary>
        public int ContextLength { get; set; }

        /// <summary>Most requests decoded together.</summary>
        public int MaxBatch { get; set; }

        /// <summary>What the worker can do, e.g. <c>generate</c>, <c>score</c>, <c>cuda</c>.</summary>
        public List<string> Capabilities { get; set; } = new List<string>();
    }

    /// <summary>One turn of a request's history.</summary>
    public sealed class WireTurn
    {
        /// <summary>True for the character's lines, false for the player's.</summary>
        public bool IsCharacter { get; set; }

        /// <summary>The text.</summary>
        public string Text { get; set; } = "";

        /// <summary>For character lines, the attribute string they were generated with; else null.</summary>
        public string? Attributes { get; set; }
    }

    /// <summary>Client to worker: generate a character's line.</summary>
    public sealed class Generate : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Generate;

        /// <summary>Chosen by the client, unique per connection; every answer carries it.</summary>
        public long RequestId { get; set; }

        /// <summary>The character speaking (for logs and fairness).</summary>
        public string CharacterId { get; set; } = "";

        /// <summary>The system text (persona).</summary>
        public string System { get; set; } = "";

        /// <summary>Earlier turns, oldest first.</summary>
        public List<WireTurn> History { get; set; } = new List<WireTurn>();

        /// <summary>What the player just said.</summary>
        public string PlayerLine { get; set; } = "";

        /// <summary>Attribute values by name, checked against the worker's schema.</summary>
        public Dictionary<string, int> Attributes { get; set; } = new Dictionary<string, int>();

        /// <summary>Sampling temperature (0 = greedy).</summary>
        public float Temperature { get; set; } = 0.7f;

        /// <summary>Top-k (0 = off).</summary>
        public int TopK { get; set; } = 40;

        /// <summary>Top-p (1 = off).</summary>
        public float TopP { get; set; } = 0.9f;

        /// <summary>Repetition penalty (1 = off).</summary>
        public float RepetitionPenalty { get; set; } = 1.1f;

        /// <summary>Seed, or null for a random one.</summary>
        public ulong? Seed { get; set; }

        /// <summary>Most tokens to generate.</summary>
        public int MaxTokens { get; set; } = 96;

        /// <summary>Higher goes first when requests wait for a slot.</summary>
        public int Priority { get; set; }

        /// <summary>Milliseconds from receipt after which the request ends with a deadline error; 0 for none.</summary>
        public int DeadlineMs { get; set; }
    }

    /// <summary>Worker to client: new text of a line.</summary>
    public sealed class TextPiece : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.TextPiece;

        /// <summary>The request.</summary>
        public long RequestId { get; set; }

        /// <summary>0, 1, 2, ... per request: a gap or repeat means a lost or doubled message.</summary>
        public int Sequence { get; set; }

        /// <summary>Only the new text.</summary>
        public string Text { get; set; } = "";
    }

    /// <summary>Worker to client: a line is finished.</summary>
    public sealed class Complete : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Complete;

        /// <summary>The request.</summary>
        public long RequestId { get; set; }

        /// <summary>The sequence number after the last text piece.</summary>
        public int Sequence { get; set; }

        /// <summary>The whole line.</summary>
        public string Text { get; set; } = "";

        /// <summary>Why it ended: stop, stop_string, length, context_full, cancelled, deadline.</summary>
        public string FinishReason { get; set; } = "";

        /// <summary>Prompt length in tokens.</summary>
        public int PromptTokens { get; set; }

        /// <summary>Generated tokens.</summary>
        public int CompletionTokens { get; set; }

        /// <summary>Milliseconds from receipt to the first token.</summary>
        public float TimeToFirstTokenMs { get; set; }

        /// <summary>Milliseconds from receipt to completion.</summary>
        public float TotalMs { get; set; }

        /// <summary>The seed used.</summary>
        public ulong Seed { get; set; }
    }

    /// <summary>Client to worker: stop a request (its Complete says cancelled).</summary>
    public sealed class Cancel : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Cancel;

        /// <summary>The request.</summary>
        public long RequestId { get; set; }
    }

    /// <summary>Client to worker: measure a line's attributes with the attribute prediction model.</summary>
    public sealed class Score : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Score;

        /// <summary>The request.</summary>
        public long RequestId { get; set; }

        /// <summary>The system text.</summary>
        public string System { get; set; } = "";

        /// <summary>The player's line.</summary>
        public string PlayerLine { get; set; } = "";

        /// <summary>The reply to measure.</summary>
        public string Reply { get; set; } = "";
    }

    /// <summary>Worker to client: the APM's values, by attribute name, on the schema's scale.</summary>
    public sealed class ScoreResult : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.ScoreResult;

        /// <summary>The request.</summary>
        public long RequestId { get; set; }

        /// <summary>Predicted values by attribute name.</summary>
        public Dictionary<string, float> Values { get; set; } = new Dictionary<string, float>();
    }

    /// <summary>Machine-readable error codes.</summary>
    public static class ErrorCodes
    {
        /// <summary>A frame or message could not be read.</summary>
        public const string Malformed = "malformed";

        /// <summary>A frame is larger than the limit.</summary>
        public const string TooLarge = "too_large";

        /// <summary>The message type is not known.</summary>
        public const string UnknownType = "unknown_type";

        /// <summary>The handshake failed (version or token).</summary>
        public const string Handshake = "handshake";

        /// <summary>An attribute name is not in the schema, or a value is out of range.</summary>
        public const string BadAttributes = "bad_attributes";

        /// <summary>A request field is invalid (sampling settings, ids, lengths).</summary>
        public const string BadRequest = "bad_request";

        /// <summary>The request failed inside the worker.</summary>
        public const string Internal = "internal";
    }

    /// <summary>Either way: an error, with the request it concerns (0 for the connection).</summary>
    public sealed class Error : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Error;

        /// <summary>The request, or 0.</summary>
        public long RequestId { get; set; }

        /// <summary>One of <see cref="ErrorCodes"/>.</summary>
        public string Code { get; set; } = "";

        /// <summary>A sentence for a person.</summary>
        public string Text { get; set; } = "";
    }

    /// <summary>Either way: a liveness check.</summary>
    public sealed class Ping : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Ping;

        /// <summary>Echoed in the pong.</summary>
        public long Nonce { get; set; }
    }

    /// <summary>The answer to a ping.</summary>
    public sealed class Pong : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Pong;

        /// <summary>The ping's nonce.</summary>
        public long Nonce { get; set; }
    }

    /// <summary>Client to worker: finish and exit.</summary>
    public sealed class Shutdown : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Shutdown;
    }

    /// <summary>
    /// Worker to the process that launched it: the one frame written to standard output once the model is loaded and the
    /// socket is listening. The launcher reads it with a <see cref="FrameReader"/>; readiness is never parsed from text.
    /// </summary>
    public sealed class Listening : Message
    {
        /// <inheritdoc />
        public override MessageType Type => MessageType.Listening;

        /// <summary>The protocol version.</summary>
        public int ProtocolVersion { get; set; } = WireFormat.ProtocolVersion;

        /// <summary>The TCP port on the loopback address (0 in standard input/output mode).</summary>
        public int Port { get; set; }

        /// <summary>The token a client must present in its hello.</summary>
        public string Token { get; set; } = "";

        /// <summary>The worker's process id.</summary>
        public int ProcessId { get; set; }

        /// <summary>The loaded model.</summary>
        public string ModelId { get; set; } = "";
    }
}
