#nullable enable

using System;
using MessagePack;
using SteerLM.Npc.Internal;

namespace SteerLM.Npc.Characters
{
    /// <summary>A character's mood and its intensity, as kept in a game save.</summary>
    /// <remarks>
    /// <see cref="ToBytes"/> and <see cref="FromBytes"/> write and read it as MessagePack with the package's explicit
    /// formatters (no code generated at run time, so IL2CPP builds can use them): an array <c>[mood, intensity]</c>,
    /// the mood as its integer value and the intensity as a 32-bit float.
    /// </remarks>
    public sealed class MoodSnapshot
    {
        /// <summary>The mood.</summary>
        public Mood Mood { get; set; }

        /// <summary>Its intensity, 0..1.</summary>
        public float Intensity { get; set; }

        /// <summary>The snapshot as MessagePack bytes, for a game save.</summary>
        public byte[] ToBytes() => MessagePackSerializer.Serialize(this, SaveFormat.Options);

        /// <summary>Reads a snapshot written by <see cref="ToBytes"/>. The values are checked when the snapshot is restored.</summary>
        /// <exception cref="FormatException">The bytes are not a mood snapshot.</exception>
        public static MoodSnapshot FromBytes(byte[] bytes)
        {
            if (bytes == null)
            {
                throw new ArgumentNullException(nameof(bytes));
            }

            try
            {
                return MessagePackSerializer.Deserialize<MoodSnapshot>(bytes, SaveFormat.Options)
                    ?? throw new FormatException("The mood snapshot is nil.");
            }
            catch (MessagePackSerializationException e)
            {
                throw SaveFormat.Corrupt("mood snapshot", e);
            }
        }

        /// <inheritdoc />
        public override string ToString() => $"{Mood} ({Intensity.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)})";
    }
}
