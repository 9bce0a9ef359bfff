#nullable enable

using System;
using System.Collections.Generic;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Internal
{
    /// <summary>
    /// The MessagePack options for everything the package saves, used for both writing and reading.
    /// </summary>
    /// <remarks>
    /// IL2CPP has no Reflection.Emit, so MessagePack's standard and dynamic resolvers (which generate formatters for
    /// attributed classes and enums at run time) cannot be used. These formatters are written by hand; the resolver is
    /// them plus MessagePack's built-in primitive formatters, and reading treats the bytes as untrusted
    /// (<see cref="MessagePackSecurity.UntrustedData"/>). Never use <c>MessagePackSerializer.DefaultOptions</c> for saves.
    /// <para>
    /// The layout is integer-keyed arrays, as <c>[Key(n)]</c> attributes would give: a mood snapshot is
    /// <c>[mood (int), intensity (float32)]</c>; a line <c>[role (int), text, attributes or nil, gameTime (float64)]</c>;
    /// a history <c>[characterId, maxLines, maxCharacters, [line, ...]]</c>; a conversation save <c>[history, ...]</c>.
    /// Readers skip elements past the ones they know, so a later version may append fields.
    /// </para>
    /// </remarks>
    internal static class SaveFormat
    {
        /// <summary>The one options instance for saving and loading.</summary>
        public static MessagePackSerializerOptions Options { get; } =
            new MessagePackSerializerOptions(CompositeResolver.Create(
                    new IMessagePackFormatter[]
                    {
                        MoodSnapshotFormatter.Instance,
                        ConversationLineFormatter.Instance,
                        ConversationHistoryFormatter.Instance,
                        new ArrayFormatter<ConversationHistory>(),
                    },
                    new IFormatterResolver[] { BuiltinResolver.Instance }))
                .WithSecurity(MessagePackSecurity.UntrustedData);

        /// <summary>
        /// The error for a save that could not be read: the first <see cref="FormatException"/> a formatter raised (it says
        /// what is wrong), or else the innermost cause (a truncated or garbled byte stream).
        /// </summary>
        public static FormatException Corrupt(string what, MessagePackSerializationException e)
        {
            Exception? cause = e;
            while (cause != null && !(cause is FormatException))
            {
                cause = cause.InnerException;
            }

            var message = cause?.Message ?? e.GetBaseException().Message;
            return new FormatException($"The {what} save is corrupt or from another format: {message}", e);
        }

        /// <summary>Reads an array header, checks it has at least <paramref name="fields"/> elements, and steps the depth guard.</summary>
        private static int BeginArray(ref MessagePackReader reader, MessagePackSerializerOptions options, int fields, string what)
        {
            if (reader.TryReadNil())
            {
                throw new FormatException($"a {what} is nil.");
            }

            var count = reader.ReadArrayHeader();
            if (count < fields)
            {
                throw new FormatException($"a {what} has {count} fields; it needs {fields}.");
            }

            options.Security.DepthStep(ref reader);
            return count;
        }

        /// <summary>Skips the elements a later version may have appended and undoes the depth step.</summary>
        private static void EndArray(ref MessagePackReader reader, int count, int known)
        {
            for (var i = known; i < count; i++)
            {
                reader.Skip();
            }

            reader.Depth--;
        }

        private sealed class MoodSnapshotFormatter : IMessagePackFormatter<MoodSnapshot?>
        {
            public static readonly MoodSnapshotFormatter Instance = new MoodSnapshotFormatter();

            public void Serialize(ref MessagePackWriter writer, MoodSnapshot? value, MessagePackSerializerOptions options)
            {
                if (value == null)
                {
                    writer.WriteNil();
                    return;
                }

                writer.WriteArrayHeader(2);
                writer.Write((int)value.Mood);
                writer.Write(value.Intensity);
            }

            public MoodSnapshot? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            {
                var count = BeginArray(ref reader, options, 2, "mood snapshot");
                var snapshot = new MoodSnapshot { Mood = (Mood)reader.ReadInt32(), Intensity = reader.ReadSingle() };
                EndArray(ref reader, count, 2);
                return snapshot;
            }
        }

        private sealed class ConversationLineFormatter : IMessagePackFormatter<ConversationLine?>
        {
            public static readonly ConversationLineFormatter Instance = new ConversationLineFormatter();

            public void Serialize(ref MessagePackWriter writer, ConversationLine? value, MessagePackSerializerOptions options)
            {
                if (value == null)
                {
                    writer.WriteNil();
                    return;
                }

                writer.WriteArrayHeader(4);
                writer.Write((int)value.Role);
                writer.Write(value.Text);
                writer.Write(value.Attributes);
                writer.Write(value.GameTime);
            }

            public ConversationLine? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            {
                var count = BeginArray(ref reader, options, 4, "conversation line");
                var role = (TurnRole)reader.ReadInt32();
                var text = reader.ReadString();
                var attributes = reader.ReadString();
                var gameTime = reader.ReadDouble();
                EndArray(ref reader, count, 4);

                var problem = ConversationLine.Problem(role, text, attributes, out _);
                if (problem != null)
                {
                    throw new FormatException(problem);
                }

                return new ConversationLine(role, text!, attributes, gameTime);
            }
        }

        private sealed class ConversationHistoryFormatter : IMessagePackFormatter<ConversationHistory?>
        {
            public static readonly ConversationHistoryFormatter Instance = new ConversationHistoryFormatter();

            public void Serialize(ref MessagePackWriter writer, ConversationHistory? value, MessagePackSerializerOptions options)
            {
                if (value == null)
                {
                    writer.WriteNil();
                    return;
                }

                writer.WriteArrayHeader(4);
                writer.Write(value.CharacterId);
                writer.Write(value.MaxLines);
                writer.Write(value.MaxCharacters);
                writer.WriteArrayHeader(value.Lines.Count);
                foreach (var line in value.Lines)
                {
                    ConversationLineFormatter.Instance.Serialize(ref writer, line, options);
                }
            }

            public ConversationHistory? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            {
                var count = BeginArray(ref reader, options, 4, "conversation history");
                var id = reader.ReadString();
                var maxLines = reader.ReadInt32();
                var maxCharacters = reader.ReadInt32();
                var problem = ConversationHistory.BoundsProblem(id, maxLines, maxCharacters);
                if (problem != null)
                {
                    throw new FormatException(problem);
                }

                if (reader.TryReadNil())
                {
                    throw new FormatException($"the history of '{id}' has nil for its lines.");
                }

                var lineCount = reader.ReadArrayHeader();
                var lines = new List<ConversationLine>(lineCount);
                options.Security.DepthStep(ref reader);
                for (var i = 0; i < lineCount; i++)
                {
                    try
                    {
                        lines.Add(ConversationLineFormatter.Instance.Deserialize(ref reader, options)!);
                    }
                    catch (FormatException e)
                    {
                        throw new FormatException($"the history of '{id}', line {i}: {e.Message}", e);
                    }
                }

                reader.Depth--;
                EndArray(ref reader, count, 4);

                problem = ConversationHistory.LinesProblem(lines, maxLines, maxCharacters);
                if (problem != null)
                {
                    throw new FormatException($"the history of '{id}' has {problem}");
                }

                return new ConversationHistory(id!, maxLines, maxCharacters, lines);
            }
        }
    }
}
