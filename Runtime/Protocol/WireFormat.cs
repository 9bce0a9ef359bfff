#nullable enable
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MessagePack;

namespace SteerLM.Npc.Protocol
{
    /// <summary>A frame or message that breaks the protocol; <see cref="Code"/> is one of <see cref="ErrorCodes"/>.</summary>
    public sealed class ProtocolException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ProtocolException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

        /// <summary>One of <see cref="ErrorCodes"/>.</summary>
        public string Code { get; }
    }

    /// <summary>
    /// The wire format shared by the game and the worker. A frame is a 4-byte little-endian length, then that many bytes:
    /// one <see cref="MessageType"/> byte and the message body, a MessagePack array of the message's fields in a fixed order
    /// (integer positions, like <c>[Key(n)]</c>). Bodies are written and read by hand with
    /// <see cref="MessagePackWriter"/>/<see cref="MessagePackReader"/>: no reflection, so it works under IL2CPP, and every
    /// read is bounded, so hostile bytes give a <see cref="ProtocolException"/>, never a crash or a huge allocation.
    /// A reader ignores fields it does not know at the end of an array (a newer peer may add fields).
    /// </summary>
    public static partial class WireFormat
    {
        /// <summary>The protocol version; the handshake refuses a peer with another.</summary>
        public const int ProtocolVersion = 1;

        /// <summary>Default largest frame accepted (1 MiB): far above any real request, far below harm.</summary>
        public const int DefaultMaxFrameBytes = 1 << 20;

        /// <summary>Most history turns in a request.</summary>
        public const int MaxHistoryTurns = 256;

        /// <summary>Most attributes, capabilities or scores in one message.</summary>
        public const int MaxMapEntries = 64;

        /// <summary>Encodes a message as a whole frame (length prefix included).</summary>
        public static byte[] Encode(Message message)
        {
            var buffer = new ArrayBuffer(256);
            buffer.Advance(4); // the length, written last
            buffer.GetSpan(1)[0] = (byte)message.Type;
            buffer.Advance(1);
            var writer = new MessagePackWriter(buffer);
            WriteBody(ref writer, message);
            writer.Flush();
            var frame = buffer.ToArray();
            var length = frame.Length - 4;
            frame[0] = (byte)length;
            frame[1] = (byte)(length >> 8);
            frame[2] = (byte)(length >> 16);
            frame[3] = (byte)(length >> 24);
            return frame;
        }

        /// <summary>Decodes a frame's payload (type byte and body, without the length prefix).</summary>
        /// <exception cref="ProtocolException">Unknown type, malformed body, or a limit exceeded.</exception>
        public static Message Decode(ReadOnlyMemory<byte> payload)
        {
            if (payload.Length < 1)
            {
                throw new ProtocolException(ErrorCodes.Malformed, "An empty frame has no message type.");
            }

            var type = (MessageType)payload.Span[0];
            var reader = new MessagePackReader(payload.Slice(1));
            try
            {
                var message = ReadBody(type, ref reader);
                if (!reader.End)
                {
                    throw new ProtocolException(ErrorCodes.Malformed, $"{type}: bytes left after the message body.");
                }

                return message;
            }
            catch (ProtocolException)
            {
                throw;
            }
            catch (Exception e) when (e is MessagePackSerializationException || e is EndOfStreamException || e is InvalidOperationException
                                      || e is OverflowException || e is ArgumentException || e is FormatException)
            {
                throw new ProtocolException(ErrorCodes.Malformed, $"{type}: malformed body ({e.Message})", e);
            }
        }

        /// <summary>Writes a message as one frame to a stream.</summary>
        public static Task WriteAsync(Stream stream, Message message, CancellationToken cancellationToken = default)
        {
            var frame = Encode(message);
            return stream.WriteAsync(frame, 0, frame.Length, cancellationToken);
        }

        /// <summary>A growable byte buffer that MessagePackWriter writes into.</summary>
        private sealed class ArrayBuffer : IBufferWriter<byte>
        {
            private byte[] _data;
            private int _length;

            public ArrayBuffer(int capacity) => _data = new byte[capacity];

            public void Advance(int count) => _length += count;

            public Memory<byte> GetMemory(int sizeHint = 0)
            {
                Ensure(sizeHint);
                return _data.AsMemory(_length);
            }

            public Span<byte> GetSpan(int sizeHint = 0)
            {
                Ensure(sizeHint);
                return _data.AsSpan(_length);
            }

            public byte[] ToArray() => _data.AsSpan(0, _length).ToArray();

            private void Ensure(int sizeHint)
            {
                var needed = _length + Math.Max(sizeHint, 1);
                if (needed > _data.Length)
                {
                    Array.Resize(ref _data, Math.Max(needed, _data.Length * 2));
                }
            }
        }
    }

    /// <summary>
    /// Reads frames from a stream, one at a time, with a size limit. Not thread-safe: one reader per connection.
    /// </summary>
    public sealed class FrameReader
    {
        private readonly Stream _stream;
        private readonly int _maxFrameBytes;
        private readonly byte[] _header = new byte[4];
        private byte[] _payload = new byte[1024];

        /// <summary>Creates a reader over a connected stream.</summary>
        public FrameReader(Stream stream, int maxFrameBytes = WireFormat.DefaultMaxFrameBytes)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            if (maxFrameBytes < 16)
            {
                throw new ArgumentOutOfRangeException(nameof(maxFrameBytes), maxFrameBytes, "The frame limit must be at least 16 bytes.");
            }

            _maxFrameBytes = maxFrameBytes;
        }

        /// <summary>
        /// The next message, or null when the peer closed the connection between frames.
        /// </summary>
        /// <exception cref="ProtocolException">An oversized, truncated or malformed frame, or an unknown type.</exception>
        public async Task<Message?> ReadAsync(CancellationToken cancellationToken = default)
        {
            var got = await ReadFully(_header, 4, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                return null;
            }

            if (got < 4)
            {
                throw new ProtocolException(ErrorCodes.Malformed, "The connection closed inside a frame header.");
            }

            var length = _header[0] | (_header[1] << 8) | (_header[2] << 16) | (_header[3] << 24);
            if (length < 1 || length > _maxFrameBytes)
            {
                throw new ProtocolException(length < 1 ? ErrorCodes.Malformed : ErrorCodes.TooLarge,
                    $"A frame of {(uint)length} bytes is outside 1..{_maxFrameBytes}.");
            }

            if (_payload.Length < length)
            {
                _payload = new byte[Math.Max(length, _payload.Length * 2)];
            }

            if (await ReadFully(_payload, length, cancellationToken).ConfigureAwait(false) < length)
            {
                throw new ProtocolException(ErrorCodes.Malformed, "The connection closed inside a frame.");
            }

            return WireFormat.Decode(new ReadOnlyMemory<byte>(_payload, 0, length));
        }

        private async Task<int> ReadFully(byte[] buffer, int count, CancellationToken cancellationToken)
        {
            var total = 0;
            while (total < count)
            {
                var read = await _stream.ReadAsync(buffer, total, count - total, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }
    }
}
